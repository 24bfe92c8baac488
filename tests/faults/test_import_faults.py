"""« Alimentation » under faults, on the fault suite's own servers: the import's worker killed mid-job then
« Relancer » (every row done once, the report complete), a row changed between the preview and the apply
(refused, reported « modifié entre-temps », not overwritten), slapd killed between a row's write and its journal
record (the resumed import writes the record), two identity-team admins applying the same new pupils at once
(one entry per INE, the loser's report says so); and the removal of « Comptes supprimables » as a job, its
worker, slapd and Redis killed in turn, then its records lost (every leaver removed once, its identifier
reserved, the report from the directory)."""
from __future__ import annotations

import csv
import html
import io
import re
import threading
import time
from collections import Counter
from datetime import date, timedelta

import ldap3
from redis import Redis

from directory import attributes as A
from directory.registry import lookup
from directory.registry.files import OWN_HEADER
from directory.registry.leavers import REMOVED

from faults.helpers import LYC, job_status, make_app, students, wait_until
from faults.ldap_proxy import LdapProxy
from registry_files import siecle_students, students_of
from support import DEMO_PASSWORD, SUFFIX, csrf_token, own_staff_member, remove_entry, sign_in

PREVIEW_URL = re.compile(r"/alimentation/apercu/([0-9a-f]{32})$")
JOB_URL = re.compile(r"/alimentation/travaux/([0-9a-f]{32})$")


def _lycee_students(directory, start: int, count: int) -> list[tuple[str, dict]]:
    found = directory.search(directory.base(A.STUDENTS), f"(&({A.UAI}={LYC})({A.INE}=*))",
                             [A.ACCOUNT_ID, A.INE, A.SURNAME, A.GIVEN_NAME, A.BIRTH_DATE, A.CLASS_CODE, A.MEF_CODE],
                             ldap3.LEVEL)
    return sorted(found, key=lambda f: f[1][A.ACCOUNT_ID][0])[start:start + count]


def _csv_moving_class(students, new_class: str) -> bytes:
    """Sésame's CSV naming these students with another class: one update each."""
    lines = [";".join(OWN_HEADER)]
    for _, entry in students:
        born = entry[A.BIRTH_DATE][0]       # 20101209000000Z
        lines.append(";".join([LYC, entry[A.INE][0], entry[A.SURNAME][0], entry[A.GIVEN_NAME][0],
                               f"{born[6:8]}/{born[4:6]}/{born[:4]}", new_class, "", (entry.get(A.MEF_CODE) or [""])[0], ""]))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _identity_team(config, uid: str = "admin.idt"):
    client = make_app(config).test_client()
    assert sign_in(client, uid).status_code == 302
    return client


def _preview(client, content: bytes, name: str = "autres-sources.csv") -> str:
    token = csrf_token(client.get("/alimentation").get_data(as_text=True))
    response = client.post("/alimentation/apercu", data={"csrf_token": token,
                                                          "fichiers": [(io.BytesIO(content), name)]},
                           content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)
    return PREVIEW_URL.search(response.headers["Location"]).group(0)


def _apply(client, preview_path: str) -> str:
    token = csrf_token(client.get(preview_path).get_data(as_text=True))
    response = client.post(preview_path + "/appliquer", data={"csrf_token": token})
    assert response.status_code == 303
    return JOB_URL.search(response.headers["Location"]).group(1)


def _report(client, job_id: str) -> dict[str, tuple[str, str]]:
    """The downloaded report: name → (result, reason), one line per row."""
    response = client.get(f"/alimentation/travaux/{job_id}/compte-rendu.csv")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["UAI", "Type", "Catégorie", "Nom", "INE", "Identifiant", "Résultat", "Motif"]
    by_ine = {}
    for row in rows[1:]:
        assert row[4] not in by_ine, f"{row[4]} twice in the report"
        by_ine[row[4]] = (row[6], row[7])
    return by_ine


def _state(directory, students) -> dict[str, tuple]:
    """Per account: class, mark and entryCSN (which changes at every write)."""
    ids = "".join(f"({A.ACCOUNT_ID}={e[A.ACCOUNT_ID][0]})" for _, e in students)
    found = directory.search(directory.base(A.STUDENTS), f"(|{ids})", [A.ACCOUNT_ID, A.CLASS_CODE, A.LAST_JOB,
                                                                        "entryCSN"], ldap3.LEVEL)
    return {e[A.ACCOUNT_ID][0]: ((e.get(A.CLASS_CODE) or [""])[0], (e.get(A.LAST_JOB) or [""])[0],
                                 e["entryCSN"][0]) for _, e in found}


def test_the_import_worker_killed_mid_job_then_resumed_does_every_row_once(fresh):
    servers = fresh
    students = _lycee_students(servers.directory, 0, 600)
    client = _identity_team(servers.config)
    preview_path = _preview(client, _csv_moving_class(students, "T-REPRISE"))
    worker = servers.start_worker()
    job_id = _apply(client, preview_path)
    # the rows carrying the job's mark, counted by the mark's index (the worker writes several at once: quick)
    marked = lambda: servers.directory.search(servers.directory.base(A.STUDENTS), f"({A.LAST_JOB}={job_id})",  # noqa: E731
                                              ["1.1"], ldap3.LEVEL)
    wait_until(lambda: len(marked()) >= 30, every=0.005)
    servers.kill(worker)
    before_resume = _state(servers.directory, students)
    done_before = {i for i, (_, mark, _) in before_resume.items() if mark == job_id}
    assert 30 <= len(done_before) < len(students), "the worker was to be killed halfway"

    # nobody holds the job: the page offers « Relancer l'opération »
    wait_until(lambda: "Relancer l'opération" in html.unescape(
        client.get(f"/alimentation/travaux/{job_id}").get_data(as_text=True)), timeout=15, every=0.2)
    page = client.get(f"/alimentation/travaux/{job_id}").get_data(as_text=True)
    assert client.post(f"/alimentation/travaux/{job_id}/relancer",
                       data={"csrf_token": csrf_token(page)}).status_code == 303
    servers.start_worker()
    wait_until(lambda: job_status(servers.config, job_id) == "finished", timeout=120, every=0.2)

    after = _state(servers.directory, students)
    assert all(after[i][:2] == ("T-REPRISE", job_id) for i in after)
    # the rows done before the kill were not written again (their entryCSN did not move)
    assert all(after[i][2] == before_resume[i][2] for i in done_before)
    page = client.get(f"/alimentation/travaux/{job_id}").get_data(as_text=True)
    assert re.search(r'data-outcome="done">600<', page) and re.search(r'data-outcome="refused">0<', page)
    report = _report(client, job_id)
    assert len(report) == 600 and set(report.values()) == {("Fait", "")}


def test_a_row_changed_between_preview_and_apply_is_refused_not_overwritten(fresh):
    servers = fresh
    students = _lycee_students(servers.directory, 700, 3)
    client = _identity_team(servers.config)
    preview_path = _preview(client, _csv_moving_class(students, "T-APERCU"))
    changed_dn, changed = students[1]
    # someone else changes that student's class after the preview was read
    servers.directory.writes.run(lambda conn: conn.modify(changed_dn, {A.CLASS_CODE: [(ldap3.MODIFY_REPLACE,
                                                                                       ["T-AILLEURS"])]}))
    servers.start_worker()
    job_id = _apply(client, preview_path)
    wait_until(lambda: job_status(servers.config, job_id) == "finished", timeout=60, every=0.1)

    after = _state(servers.directory, students)
    assert after[changed[A.ACCOUNT_ID][0]][:2] == ("T-AILLEURS", "")
    others = [e for _, e in students if e is not changed]
    assert all(after[e[A.ACCOUNT_ID][0]][:2] == ("T-APERCU", job_id) for e in others)
    report = _report(client, job_id)
    result, reason = report[changed[A.INE][0]]
    assert result == "Non traité" and "modifié entre-temps" in reason
    assert all(report[e[A.INE][0]] == ("Fait", "") for e in others)
    page = html.unescape(client.get(f"/alimentation/travaux/{job_id}").get_data(as_text=True))
    assert "modifié entre-temps" in page and re.search(r'data-outcome="refused">1<', page)

    # the report outlives the preview (24 hours) and the job queue's notes, then the job's record itself:
    # the directory's audit record keeps the rows and their outcomes
    from redis import Redis
    redis = Redis.from_url(servers.config["SESAME_REDIS_URL"])
    preview_id = PREVIEW_URL.search(preview_path).group(1)
    assert redis.delete(f"sesame:import:preview:{preview_id}", f"sesame:job:{job_id}:outcomes") == 2
    for lost in ("preview and notes", "the job's record too"):
        page = html.unescape(client.get(f"/alimentation/travaux/{job_id}").get_data(as_text=True))
        assert re.search(r'data-outcome="done">2<', page) and re.search(r'data-outcome="refused">1<', page), lost
        assert "modifié entre-temps" in page and "Élèves — À mettre à jour" in page, lost
        assert _report(client, job_id) == report, lost
        redis.delete(f"sesame:job:{job_id}")


def test_slapd_killed_between_a_rows_write_and_its_journal_record_the_resumed_import_writes_the_record(fresh):
    servers = fresh
    pupils = students_of(servers.directory, LYC)
    gone = pupils[17]        # absent from the lycée's whole export: a leaver, whose departure has its record
    gone_dn, gone_entry = servers.directory.search(f"{A.STUDENTS},{SUFFIX}", f"({A.INE}={gone.ine})",
                                                   [A.ACCOUNT_ID], ldap3.LEVEL)[0]
    account_id = gone_entry[A.ACCOUNT_ID][0]
    killed = threading.Event()

    def between_write_and_record(dn: str) -> bool:
        """The first journal record the worker adds: slapd dies before it is written."""
        if killed.is_set() or f",{A.AUDIT},".lower() not in dn.lower():
            return False
        killed.set()
        servers.kill_slapd()
        return True
    proxy = LdapProxy(servers.slapd.port, before_add=between_write_and_record)
    try:
        client = _identity_team(servers.config)
        export = siecle_students(LYC, [p for p in pupils if p is not gone])
        preview_path = _preview(client, export, "ElevesSansAdresses.xml")
        servers.start_worker(SESAME_LDAP_URL=proxy.url)
        job_id = _apply(client, preview_path)
        wait_until(lambda: job_status(servers.config, job_id) == "failed", timeout=60, every=0.1)
        assert killed.is_set()
        servers.slapd.start()
        left = servers.directory.read_entry(gone_dn, [A.UAI, A.LEFT_UAI, A.LAST_JOB])["attributes"]
        assert A.UAI not in left and left[A.LEFT_UAI] == [LYC] and left[A.LAST_JOB] == [job_id], \
            "the row was written before slapd stopped"
        assert not [e for e in lookup.events(servers.directory, account_id) if e.action == "leave"]

        page = client.get(f"/alimentation/travaux/{job_id}").get_data(as_text=True)
        assert client.post(f"/alimentation/travaux/{job_id}/relancer",
                           data={"csrf_token": csrf_token(page)}).status_code == 303
        wait_until(lambda: job_status(servers.config, job_id) == "finished", timeout=120, every=0.2)
    finally:
        proxy.close()
    departures = [e for e in lookup.events(servers.directory, account_id) if e.action == "leave"]
    assert len(departures) == 1 and departures[0].summary.startswith(f"Départ : Établissement {LYC} → parti le")
    history = html.unescape(client.get(f"/alimentation/compte/{account_id}").get_data(as_text=True))
    assert "Départ (alimentation)" in history
    assert _report(client, job_id)[gone.ine] == ("Fait", "")


def test_two_admins_applying_the_same_new_pupils_at_once_leave_one_entry_per_ine(fresh):
    servers = fresh
    admin_dn = own_staff_member(servers.directory, "admin2.idt", DEMO_PASSWORD, head_of=None)
    group = f"cn={A.ADMIN_GROUP_CN},{A.GROUPS},{SUFFIX}"
    servers.directory.writes.run(lambda conn: conn.modify(group, {A.MEMBER: [(ldap3.MODIFY_ADD, [admin_dn])]}))
    proxy = LdapProxy(servers.slapd.port)
    try:
        lines = [";".join(OWN_HEADER)] + [f"0990002P;{28000000 + n:010d}R;Course{n:03d};Léa;{1 + n % 28:02d}/03/2011;"
                                          f"2AGORA;;24734001310;" for n in range(120)]
        content = ("\r\n".join(lines) + "\r\n").encode("utf-8")
        alice, bob = _identity_team(servers.config), _identity_team(servers.config, "admin2.idt")
        previews = [_preview(alice, content), _preview(bob, content)]
        proxy.hold()          # both jobs start, and wait for the directory's first answer together
        for _ in range(2):
            servers.start_worker(SESAME_LDAP_URL=proxy.url)
        jobs = [_apply(alice, previews[0]), _apply(bob, previews[1])]
        wait_until(lambda: all(job_status(servers.config, j) == "running" for j in jobs), timeout=30, every=0.05)
        proxy.release()
        wait_until(lambda: all(job_status(servers.config, j) == "finished" for j in jobs), timeout=120, every=0.2)
    finally:
        proxy.close()
    found = servers.directory.search(f"{A.STUDENTS},{SUFFIX}", f"({A.SURNAME}=Course*)", [A.INE], ldap3.LEVEL)
    per_ine = Counter(e[A.INE][0] for _, e in found)
    assert len(per_ine) == 120 and set(per_ine.values()) == {1}, Counter(per_ine.values())
    reports = [_report(client, job) for client, job in ((alice, jobs[0]), (bob, jobs[1]))]
    for ine in per_ine:
        results = sorted(report[ine][0] for report in reports)
        assert results == ["Fait", "Non traité"], (ine, results)
        refused = next(report[ine][1] for report in reports if report[ine][0] == "Non traité")
        assert "un INE n'a qu'un compte" in refused
    remove_entry(servers.directory, admin_dn)


LEAVERS = 450


def _leave(directory, ids, days_ago: int) -> dict[str, str]:
    """The accounts as an import leaves them, gone `days_ago` days ago; their identifiers."""
    left_on = (date.today() - timedelta(days=days_ago)).strftime("%Y%m%d000000Z")
    found = directory.search(directory.base(A.STUDENTS), "(|" + "".join(f"({A.ACCOUNT_ID}={i})" for i in ids) + ")",
                             [A.ACCOUNT_ID, A.UID], ldap3.LEVEL)
    for entry_dn, _ in found:
        directory.writes.run(lambda conn, d=entry_dn: conn.modify(d, {
            A.UAI: [(ldap3.MODIFY_DELETE, [])], A.OBJECT_CLASS: [(ldap3.MODIFY_ADD, [A.OC_LEAVER])],
            A.LEFT_ON: [(ldap3.MODIFY_REPLACE, [left_on])], A.LEFT_UAI: [(ldap3.MODIFY_REPLACE, [LYC])]}))
    return {e[A.ACCOUNT_ID][0]: (e.get(A.UID) or [""])[0] for _, e in found}


def _records(directory, ids) -> list[str]:
    """The removal records naming these accounts, one per removal written."""
    found = directory.search(directory.base(A.AUDIT), f"({A.ACTION}={REMOVED})", [A.TARGET], ldap3.LEVEL)
    return [t for _, e in found for t in e.get(A.TARGET) or () if t in ids]


def _left(directory, ids) -> set[str]:
    found = directory.search(directory.base(A.STUDENTS), "(|" + "".join(f"({A.ACCOUNT_ID}={i})" for i in ids) + ")",
                             [A.ACCOUNT_ID], ldap3.LEVEL)
    return {e[A.ACCOUNT_ID][0] for _, e in found}


def _page(client, job_id: str) -> str:
    return html.unescape(client.get(f"/alimentation/travaux/{job_id}").get_data(as_text=True))


def _relaunch(client, job_id: str) -> None:
    page = wait_until(lambda: (lambda p: p if "Relancer l'opération" in p else None)(_page(client, job_id)),
                      timeout=20, every=0.2)
    assert client.post(f"/alimentation/travaux/{job_id}/relancer",
                       data={"csrf_token": csrf_token(page)}).status_code == 303


def test_the_removal_of_leavers_survives_its_worker_slapd_and_redis_killed_and_its_record_lost(fresh):
    servers = fresh
    ids = students(servers.directory, 800, LEAVERS)     # none of the rows the import tests change
    identifiers = _leave(servers.directory, ids, days_ago=200)
    client = make_app(servers.config).test_client()
    assert sign_in(client, "admin.idt").status_code == 302
    page = html.unescape(client.get("/alimentation/departs").get_data(as_text=True))
    shown = re.findall(r'data-account="([0-9a-f]{32})"', page)
    assert set(shown) == set(ids)
    worker = servers.start_worker()
    posted = client.post("/alimentation/departs/suppression", data={
        "csrf_token": csrf_token(page), "compte": shown, "confirmer-suppression": str(len(shown)),
        "confirmation": re.search(r'name="confirmation" value="([^"]+)"', page).group(1)})
    assert posted.status_code == 303
    job_id = JOB_URL.search(posted.headers["Location"]).group(1)

    # the worker killed mid-job: nobody holds the job, « Relancer » goes on with another worker
    wait_until(lambda: len(_records(servers.directory, ids)) >= 40, every=0.01)
    servers.kill(worker)
    before = len(_records(servers.directory, ids))
    assert before < LEAVERS, "the worker was to be killed halfway"
    _relaunch(client, job_id)
    servers.start_worker()

    # slapd killed mid-job: « Interrompu », then « Relancer » once it is back
    wait_until(lambda: len(_records(servers.directory, ids)) >= before + 40, every=0.01)
    servers.kill_slapd()
    wait_until(lambda: job_status(servers.config, job_id) == "failed", timeout=30)
    servers.slapd.start()
    interrupted = _page(client, job_id)
    assert "Interrompu" in interrupted and "L'annuaire a cessé de répondre" in interrupted
    gone = LEAVERS - len(_left(servers.directory, ids))
    assert re.search(rf'data-outcome="done">{gone}<', interrupted), "the report counts what the directory says"
    _relaunch(client, job_id)

    # Redis killed mid-job: the worker waits for it, and the job goes on by itself
    middle = len(_records(servers.directory, ids))
    wait_until(lambda: len(_records(servers.directory, ids)) >= middle + 40 or
               job_status(servers.config, job_id) == "finished", every=0.01)
    servers.kill_redis()
    time.sleep(1)
    servers.redis.start()
    wait_until(lambda: job_status(servers.config, job_id) == "finished", timeout=90, every=0.2)

    # every leaver removed exactly once, every identifier reserved for ever
    assert _left(servers.directory, ids) == set()
    records = _records(servers.directory, ids)
    assert sorted(records) == sorted(ids), "one removal record per account"
    reserved = {e[A.UID][0] for _, e in servers.directory.search(servers.directory.base(A.RESERVED),
                                                                  f"({A.OBJECT_CLASS}={A.OC_RESERVED})", [A.UID],
                                                                  ldap3.LEVEL)}
    assert {i for i in identifiers.values() if i} <= reserved

    def said() -> tuple[str, list[list[str]]]:
        shown = _page(client, job_id)
        rows = list(csv.reader(io.StringIO(client.get(f"/alimentation/travaux/{job_id}/compte-rendu.csv")
                                           .data.decode("utf-8-sig")), delimiter=";"))
        return shown, rows
    page, rows = said()
    assert re.search(rf'data-outcome="done">{LEAVERS}<', page) and re.search(r'data-outcome="refused">0<', page)
    assert f"{LEAVERS} compte(s) supprimé(s)" in page
    assert len(rows) == LEAVERS + 1 and {row[6] for row in rows[1:]} == {"Fait"}
    assert {row[5]: row[1] for row in rows[1:]} == identifiers

    # the job queue loses every record of it: the report comes back from the directory
    connection = Redis.from_url(servers.config["SESAME_REDIS_URL"])
    connection.delete(*connection.keys(f"sesame:job:{job_id}*"))
    connection.lrem("sesame:jobs:admin.idt", 0, job_id)
    assert f"/alimentation/travaux/{job_id}" in client.get("/travaux").get_data(as_text=True)
    page, rows = said()
    assert "Le suivi de cette suppression a été perdu" in page
    assert re.search(rf'data-outcome="done">{LEAVERS}<', page) and {row[6] for row in rows[1:]} == {"Fait"}
