"""How operations read (webapp/operations.py): options in the words of the forms, and summaries an older version
wrote with codes said in those words too."""
import pytest
from flask import Flask

from webapp import register_job_kinds
from webapp.operations import describe, detail, summary


@pytest.fixture(autouse=True)
def job_kinds():
    """Each kind of job says its own options: the kinds an app registers, without any server."""
    app = Flask(__name__)
    register_job_kinds(app)
    with app.app_context():
        yield


def test_a_notify_says_each_of_its_options_as_the_form_does():
    said = describe("notify", {"letters": True, "layout": 4, "language": "es", "reset": True}, "guardians")
    assert said == ("(Re)notification des comptes — responsables (avec courrier, quatre courriers par page, "
                    "en français et en espagnol, mots de passe réinitialisés)")
    assert describe("notify", {"letters": False}) == "(Re)notification des comptes (sans courrier)"
    assert describe("list", {"format": "csv"}) == "Liste des comptes (au format CSV)"
    assert describe("reprint", {"layout": 2, "language": ""}) == \
        "Réimpression des courriers (deux courriers par page, en français seulement)"
    assert describe("made-up") == "Opération"


def test_summaries_written_with_codes_are_read_in_words():
    assert detail("reset (une ligne) : 1 fait(s) sur 1") == \
        "Réinitialisation des mots de passe (un compte, depuis sa ligne de la liste) : 1 fait(s) sur 1"
    old = "notify (language=en, layout=2, letters=True, reset=False) : 3 fait(s), 0 inchangé(s), 0 non traité(s) sur 3"
    assert detail(old) == ("(Re)notification des comptes (avec courrier, deux courriers par page, en français et en "
                           "anglais) : 3 fait(s), 0 inchangé(s), 0 non traité(s) sur 3")
    assert detail("reprint (layout=4, language=es, letters=True, source=abc) : 2 fait(s)").startswith(
        "Réimpression des courriers (quatre courriers par page, en français et en espagnol) : 2 fait(s)")
    said = summary("reset", {}, "students", 2, 1, 0, 3)
    assert detail(said) == said == "Réinitialisation des mots de passe : 2 fait(s), 1 inchangé(s), 0 non traité(s) sur 3"
    assert detail("Délégation accordée à x") == "Délégation accordée à x"
