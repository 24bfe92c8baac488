"""The one list of the app's screens, who sees each and at what address: the accessibility check visits every
one of them in Chromium, and the hostile-input test feeds every field and link they hold. A new screen is one
line here; the tabs of webapp/access.py TABS are added by themselves."""
from __future__ import annotations

from dataclasses import dataclass

from directory.model import AccountState


@dataclass(frozen=True)
class Screen:
    name: str
    who: str        # nobody, head (chef.lp), admin (admin.idt), support (support.lp, SSO), holder (activated),
                    # new-holder, birth-date
    path: str       # {student}: one of the LP's students; {job}: a finished job of chef.lp's
    selection: bool = False    # the action screens show their form once something is selected


SCREENS = [
    Screen("staff sign-in", "nobody", "/connexion"),
    Screen("holders' sign-in", "nobody", "/compte/connexion"),
    Screen("holders' sign-in, identifier from a letter's QR code", "nobody", "/compte/connexion?identifiant=zoe.martin"),
    Screen("forgotten password", "nobody", "/compte/mot-de-passe-oublie"),
    Screen("forgotten identifier", "nobody", "/compte/identifiant-oublie"),
    Screen("students, searched", "head", "/eleves?q=martin"),
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
    Screen("Dépannage, searched", "support", "/eleves?q=martin"),
    Screen("holder: choose a password", "new-holder", "/compte/mot-de-passe"),
    Screen("holder: birth date", "birth-date", "/compte/naissance"),
    Screen("holder: their account", "holder", "/compte/"),
    Screen("holder: e-mail", "holder", "/compte/courriel"),
    Screen("Journal des opérations", "head", "/journal"),
    Screen("Statistiques des responsables", "head", "/statistiques?population=responsables"),
    Screen("Statistiques: tous les établissements", "admin", "/statistiques/etablissements"),
    Screen("Alimentation: recherche dans tous les établissements", "admin", "/alimentation/recherche?q=martin"),
    Screen("Alimentation: comptes supprimables", "admin", "/alimentation/departs"),
]


# the tabs that are not a population's list: a new tab without its address here fails the collection
OTHER_TABS = {"home.index": ("head", "/"), "stats.index": ("head", "/statistiques"),
              "settings.index": ("head", "/parametrage"), "alimentation.index": ("admin", "/alimentation")}


def _tabs() -> list[Screen]:
    from webapp.access import TABS
    from webapp.students.population import ALL
    prefixes = {f"{p.name}.index": ("head", p.prefix) for p in ALL}
    return [Screen(f"tab « {label} »", *{**prefixes, **OTHER_TABS}[endpoint]) for endpoint, label, _ in TABS]


ALL_SCREENS = SCREENS + _tabs()


def finished_job(app_config, make_account) -> str:
    """A finished notify of chef.lp's, of an account of the test's own: its job id."""
    from redis import Redis
    from webapp.jobs.store import DONE, FINISHED, JobStore
    record, _ = make_account.student(AccountState.NOTIFIED)
    store = JobStore(Redis.from_url(app_config["SESAME_REDIS_URL"]))
    job, _ = store.create("notify", "chef.lp", "0990002P", "students", [record.account_id], {"letters": True})
    store.record(job.id, record.account_id, DONE, "NOTIFIED")
    job.status = FINISHED
    store.save(job)
    return job.id
