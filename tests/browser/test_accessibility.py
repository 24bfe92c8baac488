"""Every screen of staff and holders checked by axe-core in Chromium: no serious or critical violation.

SCREENS is the one list of screens: a new screen is one line here (who sees it, its address). The tabs
of webapp/access.py TABS are added to it by themselves."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from directory.model import AccountState
from support import SSO_SECRET, csrf_token

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Screen:
    name: str
    who: str        # nobody, head (chef.lp), support (support.lp, SSO), holder (activated), new-holder, birth-date
    path: str       # {student}: one of the LP's students; {job}: a finished job of chef.lp's
    selection: bool = False    # the action screens show their form once something is selected


SCREENS = [
    Screen("staff sign-in", "nobody", "/connexion"),
    Screen("holders' sign-in", "nobody", "/compte/connexion"),
    Screen("holders' sign-in, identifier from a letter's QR code", "nobody", "/compte/connexion?identifiant=zoe.martin"),
    Screen("forgotten password", "nobody", "/compte/mot-de-passe-oublie"),
    Screen("forgotten identifier", "nobody", "/compte/identifiant-oublie"),
    Screen("students, searched", "head", "/eleves?nom=martin"),
    Screen("student's record", "head", "/eleves/fiche/{student}"),
    Screen("(Re)Notifier les comptes", "head", "/eleves/notifier", selection=True),
    Screen("Réinitialiser les mots de passe", "head", "/eleves/reinitialiser", selection=True),
    Screen("Lister les comptes", "head", "/eleves/lister", selection=True),
    Screen("parents' notify", "head", "/responsables/notifier", selection=True),
    Screen("Mes opérations", "head", "/travaux"),
    Screen("a finished job, with « Réimprimer »", "head", "/travaux/{job}"),
    Screen("the guide", "head", "/aide"),
    Screen("the guide: notifying", "head", "/aide/notifier"),
    Screen("Dépannage", "support", "/eleves"),
    Screen("Dépannage, searched", "support", "/eleves?nom=martin"),
    Screen("holder: choose a password", "new-holder", "/compte/mot-de-passe"),
    Screen("holder: birth date", "birth-date", "/compte/naissance"),
    Screen("holder: their account", "holder", "/compte/"),
    Screen("holder: e-mail", "holder", "/compte/courriel"),
]


def _tabs() -> list[Screen]:
    from flask import Flask
    from webapp.access import TABS
    from webapp.students.population import ALL
    prefixes = {f"{p.name}.index": p.prefix for p in ALL}
    upcoming = {"upcoming.stats": "/statistiques", "upcoming.settings": "/parametrage"}
    return [Screen(f"tab « {label} »", "head", prefixes.get(endpoint) or upcoming.get(endpoint) or "/")
            for endpoint, label, _ in TABS]


ALL_SCREENS = SCREENS + _tabs()
SERIOUS = {"serious", "critical"}


@pytest.fixture(scope="module")
def axe():
    from axe_playwright_python.sync_playwright import Axe
    return Axe()


def serious_violations(axe, page) -> list[str]:
    results = axe.run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"] if v["impact"] in SERIOUS]


def _staff(page, live_server, uid):
    page.goto(live_server + "/connexion")
    page.get_by_label("Identifiant").fill(uid)
    page.get_by_label("Mot de passe").fill("demo-sesame-2026")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(lambda url: "/connexion" not in url)


def _holder(page, live_server, identifier, password):
    page.goto(live_server + "/compte/connexion")
    page.get_by_label("Identifiant").fill(identifier)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


def _finished_job(app_config, make_account) -> str:
    from redis import Redis
    from webapp.jobs.store import DONE, FINISHED, JobStore
    record, _ = make_account.student(AccountState.NOTIFIED)
    store = JobStore(Redis.from_url(app_config["SESAME_REDIS_URL"]))
    job, _ = store.create("notify", "chef.lp", "0990002P", "students", [record.account_id], {"letters": True})
    store.record(job.id, record.account_id, DONE, "NOTIFIED")
    job.status = FINISHED
    store.save(job)
    return job.id


def _select_one(page, live_server, prefix):
    page.goto(live_server + prefix)
    box = page.locator("table.accounts tbody input[type=checkbox]").first
    box.check()
    page.wait_for_load_state("networkidle")


def visit(screen: Screen, page, live_server, make_account, app_config):
    page.set_default_timeout(10_000)
    if screen.who == "head":
        _staff(page, live_server, "chef.lp")
    elif screen.who == "support":
        page.set_extra_http_headers({"X-Remote-User": "support.lp", "X-Sesame-Proxy-Secret": SSO_SECRET})
        page.goto(live_server + "/connexion/sso")
    elif screen.who in ("new-holder", "birth-date"):
        record, password = make_account.student(AccountState.NOTIFIED)
        _holder(page, live_server, record.identifier, password)
        if screen.who == "birth-date":
            page.get_by_label("Nouveau mot de passe", exact=True).fill("Un-mot-de-passe-2026")
            page.get_by_label("Confirmez le nouveau mot de passe").fill("Un-mot-de-passe-2026")
            page.get_by_role("button", name="Valider").click()
            page.wait_for_url("**/compte/naissance")
    elif screen.who == "holder":
        record, password = make_account.student(AccountState.ACTIVE)
        _holder(page, live_server, record.identifier, password)
    if screen.selection:
        _select_one(page, live_server, "/" + screen.path.split("/")[1])
    path = screen.path
    if "{student}" in path:
        page.goto(live_server + "/eleves")
        path = path.format(student=page.locator("input[name=ids]").first.get_attribute("value"))
    if "{job}" in path:
        path = path.format(job=_finished_job(app_config, make_account))
    response = page.goto(live_server + path)
    assert response.status == 200, (screen, response.status)
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("screen", ALL_SCREENS, ids=[s.name for s in ALL_SCREENS])
def test_no_serious_or_critical_violation(screen, page, live_server, make_account, app_config, axe):
    visit(screen, page, live_server, make_account, app_config)
    assert serious_violations(axe, page) == []
