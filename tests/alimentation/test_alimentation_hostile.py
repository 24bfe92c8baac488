"""Hostile uploads are refused with a French message and change nothing; every « Alimentation » URL answers
403 to a head of school."""
from __future__ import annotations

import html
import io
import zipfile

import pytest

from directory.registry.files import FileRefused, read_upload
from directory.registry.rows import Cleaner

from support import csrf_token

SIECLE = ('<?xml version="1.0" encoding="UTF-8"?>\n<BEE_ELEVES><PARAMETRES><UAJ>0990002P</UAJ></PARAMETRES>'
          '<DONNEES><ELEVES>{}</ELEVES></DONNEES></BEE_ELEVES>')


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


HOSTILE = {
    "external entity": ("eleves.xml", b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                                      b"<BEE_ELEVES>&x;</BEE_ELEVES>", "DTD ou des entités"),
    "entity bomb": ("eleves.xml", b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY a "aaaaaaaaaa">'
                                  b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
                                  b"<BEE_ELEVES>&c;</BEE_ELEVES>", "DTD ou des entités"),
    "zip bomb": ("export.zip", _zip({"eleves.xml": b" " * (30 * 1024 * 1024)}), "bombe zip"),
    "not a zip": ("export.zip", b"<BEE_ELEVES/>", "n'est pas une archive zip"),
    "an image named xml": ("eleves.xml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "n'est pas un fichier XML"),
    "a zip named xml": ("eleves.xml", _zip({"a.xml": b"<a/>"}), "est une archive zip"),
    "wrong encoding": ("eleves.xml", SIECLE.format("<ELEVE><NOM_DE_FAMILLE>Zo\xe9</NOM_DE_FAMILLE></ELEVE>")
                       .encode("latin-1"), "ligne 2"),
    "csv not in utf-8": ("sesame.csv", "UAI;INE;Nom;Prénom;Date de naissance;Classe;Libellé classe;MEF;Libellé MEF\n"
                         "0990002P;1234567890A;Zoé;Léa;01/01/2010;;;;\n".encode("latin-1"), "UTF-8 (ligne 1)"),
    "unknown type": ("eleves.xlsx", b"PK\x03\x04rest", "type de fichier non pris en charge"),
    "binary csv": ("eleves.csv", b"UAI;INE\x00\x01", "n'est pas un fichier texte"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_file_is_refused_with_a_french_message(case):
    name, content, words = HOSTILE[case]
    with pytest.raises(FileRefused) as refusal:
        read_upload(name, content)
    assert words in refusal.value.message


def test_formula_cells_block_their_row_and_control_characters_and_nfd_are_cleaned():
    clean = Cleaner()
    assert clean.text("=HYPERLINK(\"x\")", "Nom") == ""
    assert "formule de tableur" in clean.problems[0]
    clean = Cleaner()
    assert clean.text("Zoe\u0301\u0007 Le\u200b Goff", "Nom") == "Zoé Le Goff"
    assert any("NFD" in n for n in clean.notes) and any("contrôle" in n for n in clean.notes)


def test_a_hostile_upload_answers_400_in_french_and_changes_nothing(signed_in, demo_directory):
    client = signed_in("admin.idt")
    before = demo_directory.search(demo_directory.base("ou=students"), "(sesameUAI=0990002P)",
                                   ["1.1"])
    token = csrf_token(client.get("/alimentation").get_data(as_text=True))
    name, content, words = HOSTILE["external entity"]
    response = client.post("/alimentation/apercu", data={"csrf_token": token, "fichiers": [(io.BytesIO(content), name)]},
                           content_type="multipart/form-data")
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400 and words in page and "Rien n'a été modifié" in page
    assert "root:" not in page
    after = demo_directory.search(demo_directory.base("ou=students"), "(sesameUAI=0990002P)", ["1.1"])
    assert len(after) == len(before)


def test_a_100_megabyte_upload_is_refused_before_it_is_read(signed_in):
    client = signed_in("admin.idt")
    token = csrf_token(client.get("/alimentation").get_data(as_text=True))
    response = client.post("/alimentation/apercu", data={"csrf_token": token,
                                                         "fichiers": [(io.BytesIO(b"x" * (100 * 1024 * 1024)), "e.xml")]},
                           content_type="multipart/form-data")
    assert response.status_code == 413 and "Fichier trop volumineux" in response.get_data(as_text=True)


URLS = [("get", "/alimentation"), ("post", "/alimentation/apercu"), ("get", "/alimentation/apercu/" + "a" * 32),
        ("get", "/alimentation/apercu/" + "a" * 32 + "/lignes.csv"), ("post", "/alimentation/apercu/" + "a" * 32 + "/appliquer"),
        ("get", "/alimentation/travaux/" + "a" * 32), ("get", "/alimentation/travaux/" + "a" * 32 + "/compte-rendu.csv"),
        ("post", "/alimentation/travaux/" + "a" * 32 + "/relancer"), ("get", "/alimentation/recherche?q=martin"),
        ("get", "/alimentation/compte/" + "a" * 32)]


@pytest.mark.parametrize("method,url", URLS)
def test_a_head_gets_403_on_every_alimentation_url(signed_in, method, url):
    client = signed_in("chef.lp")
    token = csrf_token(client.get("/eleves").get_data(as_text=True))
    for headers in ({}, {"HX-Request": "true"}):
        response = getattr(client, method)(url, headers=headers, data={"csrf_token": token} if method == "post" else None)
        assert response.status_code == 403, (url, headers)
    assert "Alimentation" not in client.get("/eleves").get_data(as_text=True)


def test_the_identity_team_finds_an_account_across_establishments_with_its_history(signed_in):
    client = signed_in("admin.idt")
    page = client.get("/alimentation/recherche", query_string={"q": "zoe"}).get_data(as_text=True)
    for uai in ("0990001N", "0990002P", "0990003R"):
        assert uai in page
    account = page.split('href="/alimentation/compte/', 1)[1].split('"', 1)[0]
    assert "Historique" in client.get(f"/alimentation/compte/{account}").get_data(as_text=True)


@pytest.mark.parametrize("name", ["\u200b=HYPERLINK(\"http://x\")", "\u2060+SOMME(A1)", "\u200e@cmd", "\u200b-2+3",
                                  "Zoé <script>", "Léa>"])
def test_an_imported_name_is_cleaned_first_then_held_to_the_rules_of_every_screen(name):
    """The import's names pass the one cleaning of directory.texts, then its rules: an invisible character
    before =, +, - or @ does not hide a formula, and < > are refused as « Paramétrage » refuses them."""
    from directory.texts import text_problem
    clean = Cleaner()
    assert clean.text(name, "Nom") == ""
    assert clean.problems
    assert text_problem("Motif", name, 200) is not None      # the same rule as « Paramétrage »
