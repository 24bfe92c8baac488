"""SPEC §8 « Must show », through the real forms, on a slapd and a worker of the test's own: the identity
team drops the demo's next-year exports, reads counts that match the generator, applies them (after the
brake's confirmation), gets a report of the same counts; the moved student keeps identifier and password and
changes lists; a leaver leaves the lists and still signs in, until the tolerance period ends; the same import
again changes nothing."""
from __future__ import annotations

import html
import io
import re
import time
from datetime import date, datetime, timedelta, timezone

import ldap3
import pytest

from directory import attributes as A
from directory.passwords import Sealer
from devtools.demo_exports import NEXT_YEAR, demo_exports

from support import SEAL_KEY, SUFFIX, binds, csrf_token, sign_in, wait_for_job

PREVIEW_URL = re.compile(r"/alimentation/apercu/([0-9a-f]{32})$")
JOB_URL = re.compile(r"/alimentation/travaux/([0-9a-f]{32})$")


def _dn(demo_dn: str) -> str:
    return demo_dn.replace("dc=demo", SUFFIX)


def _upload(client, exports, folder=NEXT_YEAR):
    token = csrf_token(client.get("/alimentation").get_data(as_text=True))
    files = [(io.BytesIO(content), relative.split("/")[-1]) for relative, content in sorted(exports.files.items())
             if relative.startswith(folder + "/")]
    return client.post("/alimentation/apercu", data={"csrf_token": token, "fichiers": files},
                       content_type="multipart/form-data")


def _counts(html: str) -> dict:
    found = {}
    for uai, kind, cells in re.findall(r'<tr data-uai="([^"]*)" data-kind="(\w+)">(.*?)</tr>', html, re.S):
        found[(uai, kind)] = {c: int(n) for c, n in re.findall(r'data-category="([\w-]+)"><a [^>]*>(\d+)</a>', cells)}
    return found


def _outcomes(html: str) -> dict:
    return {k: int(v) for k, v in re.findall(r'data-outcome="(\w+)">(\d+)<', html)}


def _sealed_password(directory, dn: str) -> str:
    entry = directory.read_entry(dn, [A.SEALED_PASSWORD, A.ACCOUNT_ID])
    return Sealer(SEAL_KEY).open(entry["raw_attributes"][A.SEALED_PASSWORD][0], entry["attributes"][A.ACCOUNT_ID][0])


def _apply(client, preview_path: str, confirm=()):
    token = csrf_token(client.get(preview_path).get_data(as_text=True))
    return client.post(preview_path + "/appliquer", data={"csrf_token": token, "confirmer": list(confirm)})


def _in_list(client, head: str, surname: str, identifier: str) -> bool:
    """Whether the head's « Élèves » list, searched by surname, shows the account of that identifier."""
    client.post("/deconnexion", data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))})
    assert sign_in(client, head).status_code == 302
    return f">{identifier}<" in client.get("/eleves", query_string={"q": surname}).get_data(as_text=True)


@pytest.fixture(scope="module")
def exports():
    return demo_exports()


def test_the_whole_alimentation_flow(own_demo, import_client, exports):
    directory, config, slapd = own_demo
    client = import_client
    expected = exports.expected["next_year"]
    mover_dn, leaver_dn = _dn(expected["mover"]["dn"]), _dn(expected["leaver"]["dn"])
    mover_before = directory.read_entry(mover_dn, [A.UID, A.UAI, A.SURNAME])["attributes"]
    mover_password = _sealed_password(directory, mover_dn)
    leaver = directory.read_entry(leaver_dn, [A.UID, A.SURNAME])["attributes"]
    leaver_password = _sealed_password(directory, leaver_dn)

    assert sign_in(client, "admin.idt").status_code == 302
    response = _upload(client, exports)
    assert response.status_code == 303
    preview_path = PREVIEW_URL.search(response.headers["Location"]).group(0)
    page = client.get(preview_path).get_data(as_text=True)
    counts = _counts(page)
    for uai, wanted in expected["students"].items():
        assert counts[(uai, "student")] == wanted, uai
    parents = {c: sum(v.get(c, 0) for (u, k), v in counts.items() if k == "parent") for c in expected["parents"]}
    assert parents == expected["parents"]

    # the brake holds the collège only (161 leavers of 617 wait for a confirmation that names the numbers): the
    # LP and the lycée are applied at once, and the page says which establishment waits
    clg_before = len(directory.search(f"{A.STUDENTS},{SUFFIX}", "(sesameUAI=0990001N)", ["1.1"], ldap3.LEVEL))
    first = _apply(client, preview_path)
    assert first.status_code == 303
    first_id = JOB_URL.search(first.headers["Location"]).group(1)
    said = html.unescape(client.get(first.headers["Location"]).get_data(as_text=True))
    assert "0990001N CLG Jean Moulin : l'import attend votre confirmation explicite (161 départ(s) sur 617 comptes" in said
    assert "Import lancé pour 0990002P, 0990003R ; 0990001N attend votre confirmation" in said
    assert wait_for_job(config["SESAME_REDIS_URL"], first_id, timeout=120).status == "finished"
    assert directory.read_entry(mover_dn, [A.UAI])["attributes"][A.UAI] == ["0990002P"]
    assert len(directory.search(f"{A.STUDENTS},{SUFFIX}", "(sesameUAI=0990001N)", ["1.1"], ldap3.LEVEL)) == clg_before
    page = html.unescape(client.get(preview_path).get_data(as_text=True))
    assert 'data-applied="0990002P"' in page and 'data-applied="0990003R"' in page
    assert 'data-applied="0990001N"' not in page and 'id="confirmer-0990001N"' in page

    applied = _apply(client, preview_path, confirm=expected["brake"])
    assert applied.status_code == 303
    job_id = JOB_URL.search(applied.headers["Location"]).group(1)
    job = wait_for_job(config["SESAME_REDIS_URL"], job_id, timeout=120)
    assert job.status == "finished", job.message
    assert job.options["uais"] == ["0990001N"]
    assert len(directory.search(f"{A.STUDENTS},{SUFFIX}", "(sesameUAI=0990001N)", ["1.1"], ldap3.LEVEL)) == \
        clg_before - 161 + 40
    reports = [_outcomes(client.get(f"/alimentation/travaux/{j}").get_data(as_text=True)) for j in (first_id, job_id)]
    report = {k: reports[0][k] + reports[1][k] for k in reports[0]}
    students = expected["students"].values()
    changed = sum(s["create"] + s["update"] + s["move-in"] + s["leave"] for s in students) + \
        expected["parents"]["create"] + expected["parents"]["update"]
    unchanged = sum(s["unchanged"] for s in students) + expected["parents"]["unchanged"]
    assert report == {"done": changed, "unchanged": unchanged, "refused": 0}
    # every row went once: applying again starts nothing more
    again_post = _apply(client, preview_path, confirm=expected["brake"])
    assert JOB_URL.search(again_post.headers["Location"]).group(1) == job_id

    # the mover: same entry, identifier and provisional password, now at the LP
    mover_after = directory.read_entry(mover_dn, [A.UID, A.UAI])["attributes"]
    assert mover_after[A.UID] == mover_before[A.UID] and mover_after[A.UAI] == ["0990002P"]
    assert binds(slapd.ldap_url, mover_dn, mover_password)
    surname = mover_before[A.SURNAME][0]
    identifier = mover_before[A.UID][0]
    assert _in_list(client, "chef.lp", surname, identifier) and not _in_list(client, "chef.lyc", surname, identifier)

    # the move is in the « Journal des opérations » of its new establishment, with the identity team as person
    client.post("/deconnexion", data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))})
    assert sign_in(client, "chef.lp").status_code == 302
    moves = client.get("/journal", query_string={"action": "move-in", "compte": identifier}).get_data(as_text=True)
    row = moves.split("<tbody>")[1].split("</tbody>")[0]
    assert "<td>admin.idt</td><td>Changement d&#39;établissement (alimentation)</td>" in row, row
    assert f"({identifier})" in row and "0990003R → 0990002P" in row, row

    # the leaver: gone from the LP's list, still signs in during the tolerance period
    assert not _in_list(client, "chef.lp", leaver[A.SURNAME][0], leaver[A.UID][0])
    left = directory.read_entry(leaver_dn, [A.UAI, A.LEFT_UAI, A.LEFT_ON])["attributes"]
    assert A.UAI not in left and left[A.LEFT_UAI] == ["0990002P"]
    holder_client = client.application.test_client()
    form = holder_client.get("/compte/connexion").get_data(as_text=True)
    signed = holder_client.post("/compte/connexion", data={"csrf_token": csrf_token(form), "identifier": leaver[A.UID][0],
                                                           "password": leaver_password})
    assert signed.status_code == 302 and "/compte/mot-de-passe" in signed.headers["Location"]

    # the same import again: every row « Inchangé », no account written
    client.post("/deconnexion", data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))})
    assert sign_in(client, "admin.idt").status_code == 302
    time.sleep(1.1)     # the leaver's sign-in above wrote its last-bind date: a second earlier
    before = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%SZ")
    again = PREVIEW_URL.search(_upload(client, exports).headers["Location"]).group(0)
    counts = _counts(client.get(again).get_data(as_text=True))
    assert all(n == 0 for row in counts.values() for c, n in row.items() if c != "unchanged")
    second = JOB_URL.search(_apply(client, again).headers["Location"]).group(1)
    assert wait_for_job(config["SESAME_REDIS_URL"], second, timeout=120).status == "finished"
    report = _outcomes(client.get(f"/alimentation/travaux/{second}").get_data(as_text=True))
    assert report["done"] == 0 and report["refused"] == 0 and report["unchanged"] == sum(
        n for row in counts.values() for n in row.values())
    for branch in (A.STUDENTS, A.GUARDIANS):
        assert directory.search(f"{branch},{SUFFIX}", f"(modifyTimestamp>={before})", ["1.1"], ldap3.LEVEL) == []

    # past the tolerance period the leaver is refused, with a message
    old = (date.today() - timedelta(days=config.get("SESAME_LEAVER_TOLERANCE_DAYS", 30) + 1)).strftime("%Y%m%d000000Z")
    directory.writes.run(lambda conn: conn.modify(leaver_dn, {A.LEFT_ON: [(ldap3.MODIFY_REPLACE, [old])]}))
    form = holder_client.get("/compte/connexion").get_data(as_text=True)
    refused = holder_client.post("/compte/connexion", data={"csrf_token": csrf_token(form),
                                                            "identifier": leaver[A.UID][0], "password": leaver_password})
    assert refused.status_code == 403 and "Ce compte est désactivé" in refused.get_data(as_text=True)
