"""Issue 25 « Must show », on a slapd and a worker of the module's own, with exports the tests build from the
public formats (tests/registry_files.py): a rentrée of the LP (a new division and a new MEF with their labels, a
relabelled division, a move, a leaver, a departure planned a week ahead), a primary school from ONDE with its
parents, an export older than the last applied, and the words every screen uses for the operations."""
from __future__ import annotations

import html
import io
import re
from datetime import date, datetime, timedelta

import ldap3
import pytest

from directory import attributes as A
from directory.audit import PARIS
from directory.passwords import Sealer
from directory.registry.files import OWN_HEADER
from directory.registry.structures import existing

from registry_files import (Pupil, onde_parents, onde_pupils, siecle_nomenclature, siecle_structures,
                            siecle_students, students_of)
from support import SEAL_KEY, SUFFIX, confirmed, csrf_token, pdf_pages, sign_in, wait_for_job

LP, LYC, SCHOOL = "0990002P", "0990003R", "0990004S"
PREVIEW_URL = re.compile(r"/alimentation/apercu/([0-9a-f]{32})$")
JOB_URL = re.compile(r"/alimentation/travaux/([0-9a-f]{32})$")
NEW_DIVISION, NEW_DIVISION_LABEL = "2NEW1", "Seconde nouvelle 1"
NEW_MEF, NEW_MEF_LABEL = "24799999999", "2NDPRO MÉTIERS DU NUMÉRIQUE"
RELABELLED, NEW_LABEL = "2AGORA", "Seconde AGORA (métiers de la relation client)"
TODAY = datetime.now(PARIS).date()


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _visible(page: str) -> str:
    """What a person reads on the page: the text outside tags, scripts and attributes."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _signed_in(app, uid: str):
    client = app.test_client()
    assert sign_in(client, uid).status_code == 302
    return client


def _upload(client, files: dict[str, bytes]):
    token = csrf_token(client.get("/alimentation").get_data(as_text=True))
    return client.post("/alimentation/apercu", data={"csrf_token": token, "fichiers": [
        (io.BytesIO(content), name) for name, content in files.items()]}, content_type="multipart/form-data")


def _preview(client, files) -> str:
    response = _upload(client, files)
    assert response.status_code == 303, _text(response)
    return PREVIEW_URL.search(response.headers["Location"]).group(0)


def _apply(client, config, preview_path: str, confirm=()) -> str:
    token = csrf_token(client.get(preview_path).get_data(as_text=True))
    response = client.post(preview_path + "/appliquer", data={"csrf_token": token, "confirmer": list(confirm)})
    job_id = JOB_URL.search(response.headers["Location"]).group(1)
    assert wait_for_job(config["SESAME_REDIS_URL"], job_id, timeout=120).status == "finished"
    return job_id


def _entry(directory, ine: str) -> tuple[str, dict]:
    found = directory.search(f"{A.STUDENTS},{SUFFIX}", f"({A.INE}={ine})",
                             [A.ACCOUNT_ID, A.UID, A.UAI, A.LEFT_ON, A.LEFT_UAI, A.LEAVES_ON, A.CLASS_CODE, A.MEF_CODE,
                              A.LEVEL, A.SEALED_PASSWORD, A.ACCOUNT_ORIGIN, A.SURNAME], ldap3.LEVEL)
    assert len(found) == 1, f"{ine}: {len(found)} entries"
    return found[0]


def _holder_signs_in(app, identifier: str, password: str) -> bool:
    client = app.test_client()
    form = client.get("/compte/connexion").get_data(as_text=True)
    signed = client.post("/compte/connexion", data={"csrf_token": csrf_token(form), "identifier": identifier,
                                                    "password": password})
    return signed.status_code == 302 and "/compte/mot-de-passe" in signed.headers["Location"]


def _provisional_password(directory, entry_dn: str) -> str:
    entry = directory.read_entry(entry_dn, [A.SEALED_PASSWORD, A.ACCOUNT_ID])
    return Sealer(SEAL_KEY).open(entry["raw_attributes"][A.SEALED_PASSWORD][0], entry["attributes"][A.ACCOUNT_ID][0])


@pytest.fixture(scope="module")
def rentree(own_demo):
    """The LP's rentrée, previewed and applied once for the module: its SIECLE export (every student now, one
    leaving a week ahead, one gone, one arriving from the lycée, two new in a new division with a new MEF), its
    structures (labels of the divisions, one changed) and nomenclature (the new MEF's label), and a Sésame CSV
    with one more student."""
    directory, config, _ = own_demo
    from webapp import create_app
    app = create_app(dict(config))
    lp = students_of(directory, LP)
    planned = next(p for p in lp if _entry(directory, p.ine)[1].get(A.SEALED_PASSWORD))
    gone = next(p for p in lp if p is not planned and p.class_code == "2LOG")
    mover = next(p for p in students_of(directory, LYC) if _entry(directory, p.ine)[1].get(A.UID))
    new = [Pupil("2600000001A", "Ndiaye", "Awa", date(2011, 3, 14), NEW_DIVISION, NEW_MEF),
           Pupil("2600000002B", "Le Goff", "Maël", date(2011, 6, 2), NEW_DIVISION, NEW_MEF)]
    pupils = [p.moved(left_on=TODAY + timedelta(days=7)) if p is planned else p for p in lp if p is not gone]
    pupils += [mover.moved(class_code="2AGORA", mef="24734001310")] + new
    divisions = {c.code: c.label for c in directory.classes(LP)}
    divisions.update({RELABELLED: NEW_LABEL, NEW_DIVISION: NEW_DIVISION_LABEL})
    own_csv = ";".join(OWN_HEADER) + f"\r\n{LP};2600000003C;Martin;Lucas;01/02/2011;{NEW_DIVISION};;{NEW_MEF};\r\n"
    files = {"ElevesSansAdresses.xml": siecle_students(LP, pupils), "Structures.xml": siecle_structures(LP, divisions),
             "Nomenclature.xml": siecle_nomenclature(LP, {NEW_MEF: NEW_MEF_LABEL}),
             "autres-sources.csv": own_csv.encode("utf-8")}
    admin = _signed_in(app, "admin.idt")
    preview_path = _preview(admin, files)
    preview_page = _text(admin.get(preview_path))
    mover_id = _entry(directory, mover.ine)[1][A.ACCOUNT_ID][0]
    job_id = _apply(admin, config, preview_path)
    return {"app": app, "directory": directory, "config": config, "preview": preview_page, "job": job_id,
            "planned": planned, "gone": gone, "mover": mover, "mover_id": mover_id, "new": new, "files": files,
            "admin": admin}


def test_new_divisions_and_mefs_are_created_with_their_labels_and_reach_every_screen(rentree):
    page, directory, app = rentree["preview"], rentree["directory"], rentree["app"]
    structures = page.split('class="summary structures"')[1].split("</table>")[0]
    row = re.search(rf'<tr data-uai="{LP}">(.*?)</tr>', structures, re.S).group(1)
    assert f"{NEW_DIVISION} ({NEW_DIVISION_LABEL})" in re.search(r'data-structure="divisions">(.*?)</td>', row).group(1)
    assert f"{NEW_MEF} ({NEW_MEF_LABEL})" in re.search(r'data-structure="mefs">(.*?)</td>', row).group(1)
    assert f"Division {RELABELLED} : « 2nde AGORA » → « {NEW_LABEL} »" in row
    exports = page.split('class="summary exports"')[1].split("</table>")[0]
    assert "2026-2027" in exports and "01/09/2026 à 08:15" in exports and "SIECLE (second degré)" in exports

    # in the directory: entries with their labels, the changed label updated
    classes, mefs = existing(directory, LP)
    assert classes[NEW_DIVISION] == NEW_DIVISION_LABEL and classes[RELABELLED] == NEW_LABEL
    assert mefs[NEW_MEF] == NEW_MEF_LABEL

    # « Classe(s) » offers the division with its label, and finds its students by it
    head = _signed_in(app, "chef.lp")
    students_page = _text(head.get("/eleves"))
    assert f'value="{NEW_DIVISION}"> {NEW_DIVISION} <span class="muted">{NEW_DIVISION_LABEL}</span>' in students_page
    found = _text(head.get("/eleves", query_string={"classe": NEW_DIVISION}))
    assert "NDIAYE Awa" in found and "LE GOFF Maël" in found and "MARTIN Lucas" in found
    assert found.count('name="ids" value=') == 3
    assert "Import CSV" in found and "Base élèves (SIECLE)" in found      # each account says where it came from

    # the class list PDF heads the division's section with its label
    token = csrf_token(found)
    head.post("/eleves/selection/vider", data={"csrf_token": token})
    head.post("/eleves/selection/tout", data={"csrf_token": token, "tout": "1", "classe": NEW_DIVISION})
    listed = head.post("/eleves/listes", data=confirmed({"csrf_token": token, "format": "pdf"}))
    list_job = re.search(r"/travaux/([0-9a-f]{32})$", listed.headers["Location"]).group(1)
    assert wait_for_job(rentree["config"]["SESAME_REDIS_URL"], list_job).status == "finished"
    link = re.search(r'href="(/fichiers/[^"]+)"', head.get(f"/travaux/{list_job}").get_data(as_text=True)).group(1)
    pages = pdf_pages(head.get(link).data)
    assert pages and all(NEW_DIVISION in p and NEW_DIVISION_LABEL in p for p in pages)

    # « Statistiques » shows the new division with its label
    stats = _text(head.get("/statistiques"))
    assert re.search(rf'>{NEW_DIVISION}</a></th><td>{re.escape(NEW_DIVISION_LABEL)}</td>\s*<td class="number">3</td>',
                     stats), stats[stats.find(NEW_DIVISION) - 200:][:600]


def test_a_departure_planned_a_week_ahead_keeps_the_pupil_until_the_daily_task_runs_on_that_day(rentree):
    directory, app, planned = rentree["directory"], rentree["app"], rentree["planned"]
    entry_dn, entry = _entry(directory, planned.ine)
    day = TODAY + timedelta(days=7)
    assert entry[A.UAI] == [LP] and entry[A.LEAVES_ON] == [f"{day:%Y%m%d}000000Z"] and A.LEFT_ON not in entry
    password = _provisional_password(directory, entry_dn)
    identifier = entry[A.UID][0]
    head = _signed_in(app, "chef.lp")
    listed = _text(head.get("/eleves", query_string={"q": planned.surname}))
    assert f">{identifier}<" in listed and f"départ prévu le {day:%d/%m/%Y}" in listed
    assert _holder_signs_in(app, identifier, password)

    from webapp.alimentation.departures import depart_when_due
    with app.app_context():
        assert depart_when_due(TODAY + timedelta(days=6)) == (0, 0)      # the day before: nothing yet
        assert _entry(directory, planned.ine)[1][A.UAI] == [LP]
        assert depart_when_due(day) == (1, 0)
        assert depart_when_due(day) is None                              # once a day
    left = _entry(directory, planned.ine)[1]
    assert A.UAI not in left and left[A.LEFT_UAI] == [LP] and left[A.LEFT_ON] == [f"{day:%Y%m%d}000000Z"]
    assert A.LEAVES_ON not in left
    assert f">{identifier}<" not in _text(head.get("/eleves", query_string={"q": planned.surname}))
    assert _holder_signs_in(app, identifier, password)                   # a leaver's tolerance period begins
    history = _text(rentree["admin"].get(f"/alimentation/compte/{left[A.ACCOUNT_ID][0]}"))
    assert f"Départ : Établissement {LP} → parti le {day:%d/%m/%Y} (départ prévu par la base élèves)" in history


def test_an_export_older_than_the_last_applied_is_said_in_the_preview(rentree):
    admin = rentree["admin"]
    older = siecle_students(LP, students_of(rentree["directory"], LP), year=2025, exported="03/07/2026 17:40:00")
    page = _text(admin.get(_preview(admin, {"ElevesSansAdresses.xml": older})))
    warning = re.search(rf'data-older="{LP}">(.*?)</p>', page, re.S).group(1)
    assert "Cet export (année 2025-2026, fait le 03/07/2026 à 17:40) est plus ancien que le dernier appliqué" in warning
    fresh = siecle_students(LP, students_of(rentree["directory"], LP), exported="15/09/2026 08:00:00")
    assert "data-older=" not in _text(admin.get(_preview(admin, {"ElevesSansAdresses.xml": fresh})))


ROW_IDS = re.compile(r'name="ids" value="([0-9a-f]{32})"')
# what a person must never read where an operation is shown: the codes of actions and options
CODES = re.compile(r"(?<![\'’])\b(import|leave|move-in|notify|reprint|reset)\b|language=|layout=|letters=|"
                   r"\(\d par page|par page, (en|es|pt|ar)\)")


def _moment(text: str) -> datetime:
    return datetime.strptime(text, "%d/%m/%Y à %H:%M").replace(tzinfo=PARIS)


def test_every_screen_says_operations_in_the_words_of_the_screens_at_paris_time(rentree):
    app, config, admin = rentree["app"], rentree["config"], rentree["admin"]
    head = _signed_in(app, "chef.lp")
    page = head.get("/eleves", query_string={"classe": NEW_DIVISION}).get_data(as_text=True)
    token = csrf_token(page)
    notified = ROW_IDS.findall(page)[0]
    head.post("/eleves/selection/vider", data={"csrf_token": token})
    head.post("/eleves/selection/tout", data={"csrf_token": token, "tout": "1", "classe": NEW_DIVISION})
    posted = head.post("/eleves/notifications", data=confirmed({
        "csrf_token": token, "notification": "courrier", "reset_password": "y", "layout": "4", "language": "es"}))
    job_id = re.search(r"/travaux/([0-9a-f]{32})$", posted.headers["Location"]).group(1)
    job = wait_for_job(config["SESAME_REDIS_URL"], job_id)
    assert job.status == "finished"
    assert head.post(f"/eleves/{notified}/reinitialisation", data={"csrf_token": token}).status_code in (200, 303)

    shown = {"Journal des opérations": head.get("/journal"), "Accueil": head.get("/"), "Mes opérations": head.get("/travaux"),
             "Historique (changement d'établissement)": admin.get(f"/alimentation/compte/{rentree['mover_id']}"),
             "Historique (notification, réinitialisation)": admin.get(f"/alimentation/compte/{notified}")}
    for name, response in shown.items():
        assert response.status_code == 200, name
        visible = " ".join(_visible(response.get_data(as_text=True)).split())
        code = CODES.search(visible)
        assert code is None, f"{name}: « {code.group(0)} » in « {visible[max(0, code.start() - 120):code.end() + 80]} »"
        shown[name] = visible
    said = ("(Re)notification des comptes (avec courrier, quatre courriers par page, en français et en espagnol, "
            "mots de passe réinitialisés)")
    assert said in shown["Mes opérations"] and said in shown["Journal des opérations"]
    assert "Réinitialisation des mots de passe (un compte, depuis sa ligne de la liste) : 1 fait(s)" in \
        shown["Journal des opérations"]
    assert "Changement d'établissement (alimentation)" in shown["Historique (changement d'établissement)"]
    assert f"Alimentation de l'annuaire ({LP})" in shown["Accueil"]

    # every time is Paris time: « Mes opérations » says the job's, and the journal and the history the same
    created = datetime.fromtimestamp(job.created, PARIS).strftime("%d/%m/%Y à %H:%M")
    mine = head.get("/travaux").get_data(as_text=True)
    assert re.search(rf'{job_id}">[^<]*</a></td>\s*<td>{created}</td>', mine), created
    journal = html.unescape(head.get("/journal").get_data(as_text=True))
    row = next(r for r in journal.split("<tr>") if said in r)
    history = html.unescape(admin.get(f"/alimentation/compte/{notified}").get_data(as_text=True))
    event = next(r for r in history.split("<tr>") if said in r)
    for where, found in (("journal", row), ("historique", event)):
        moment = _moment(re.search(r"<td>(\d\d/\d\d/\d{4} à \d\d:\d\d)</td>", found).group(1))
        assert abs((moment - _moment(created)).total_seconds()) <= 60, (where, moment, created)


def test_a_division_its_students_all_leave_is_said_empty_and_kept(rentree, own_demo):
    directory, config, _ = own_demo
    admin = rentree["admin"]
    # the LP's export again, without the students of 1BTS2: the division is shown empty, never deleted
    leaving = [p for p in students_of(directory, LP) if p.class_code == "1BTS2"]
    kept = [p for p in students_of(directory, LP) if p.class_code != "1BTS2"]
    assert leaving and len(leaving) < 0.1 * (len(kept) + len(leaving))
    preview_path = _preview(admin, {"ElevesSansAdresses.xml": siecle_students(LP, kept, exported="02/09/2026 08:00:00")})
    row = re.search(rf'<tr data-uai="{LP}">(.*?)</tr>', _text(admin.get(preview_path)).split(
        'class="summary structures"')[1], re.S).group(1)
    assert "1BTS2" in re.search(r'data-structure="emptied">(.*?)</td>', row, re.S).group(1)
    _apply(admin, config, preview_path)
    assert "1BTS2" in existing(directory, LP)[0]
    assert not directory.search(f"{A.STUDENTS},{SUFFIX}", f"(&({A.UAI}={LP})({A.CLASS_CODE}=1BTS2))", ["1.1"],
                                ldap3.LEVEL)


def test_a_primary_school_from_onde_gets_levels_and_its_parents_accounts(own_demo, rentree):
    directory, config, _ = own_demo
    directory.writes.run(lambda conn: conn.add(f"{A.UAI}={SCHOOL},{A.ESTABLISHMENTS},{SUFFIX}", [A.OC_ESTABLISHMENT], {
        A.UAI: SCHOOL, A.ORGANIZATION: "École élémentaire Jean Jaurès", A.LOCALITY: "Sésame"}))
    pupils = [Pupil("2700000001A", "Durand", "Léa", date(2019, 5, 3), "CP Mme Roux", level="CP"),
              Pupil("2700000002B", "Durand", "Hugo", date(2017, 9, 21), "CE2-CM1 M. Petit", level="CE2"),
              Pupil("2700000003C", "Benali", "Inès", date(2018, 1, 12), "CE1 Mme Blanc", level="CE1")]
    parents = onde_parents([("Durand", "Claire", "claire.durand@example.org", pupils[:2]),
                            ("Benali", "Karim", "", [pupils[2]])])
    from webapp import create_app
    admin = _signed_in(create_app(dict(config)), "admin.idt")
    preview_path = _preview(admin, {f"CSVExtraction_{SCHOOL}.csv": onde_pupils(pupils), "CSVExtraction.csv": parents})
    page = _text(admin.get(preview_path))
    counts = re.search(rf'<tr data-uai="{SCHOOL}" data-kind="parent">(.*?)</tr>', page, re.S).group(1)
    assert re.search(r'data-category="create"><a [^>]*>2</a>', counts), counts
    _apply(admin, config, preview_path)

    entries = {e[A.INE][0]: (d, e) for d, e in directory.search(
        f"{A.STUDENTS},{SUFFIX}", f"({A.UAI}={SCHOOL})", [A.INE, A.LEVEL, A.MEF_CODE, A.CLASS_CODE, A.ACCOUNT_ORIGIN],
        ldap3.LEVEL)}
    assert {ine: e[A.LEVEL] for ine, (_, e) in entries.items()} == {p.ine: [p.level] for p in pupils}
    assert all(A.MEF_CODE not in e for _, e in entries.values()), "a level is never stored as a MEF"
    assert all(e[A.ACCOUNT_ORIGIN] == ["ONDE"] for _, e in entries.values())
    guardians = {e[A.GIVEN_NAME][0]: e for _, e in directory.search(
        f"{A.GUARDIANS},{SUFFIX}", f"({A.UAI}={SCHOOL})", [A.GIVEN_NAME, A.CHILD, A.MAIL], ldap3.LEVEL)}
    dn_of = {ine: d.lower() for ine, (d, _) in entries.items()}
    assert sorted(c.lower() for c in guardians["Claire"][A.CHILD]) == sorted(dn_of[p.ine] for p in pupils[:2])
    assert [c.lower() for c in guardians["Karim"][A.CHILD]] == [dn_of[pupils[2].ine]]
    assert guardians["Claire"][A.MAIL] == ["claire.durand@example.org"]

    # the school's screens say « Niveau » where the others say « MEF »
    token = csrf_token(admin.get("/eleves").get_data(as_text=True))
    admin.post("/etablissement", data={"csrf_token": token, "uai": SCHOOL})
    listed = _text(admin.get("/eleves"))
    assert '<label for="mef">Niveau</label>' in listed and ">Niveau</a>" in listed and ">MEF<" not in listed
    assert _text(admin.get("/eleves", query_string={"mef": "CE2"})).count('name="ids" value=') == 1
    guardians_page = _text(admin.get("/responsables"))
    assert "DURAND Claire" in guardians_page and "BENALI Karim" in guardians_page


def test_the_onde_example_of_the_readme_is_a_valid_file_name():
    from directory.registry.files import ONDE_EXAMPLE, read_upload
    from directory.uai import normalize_uai
    readme = (__import__("pathlib").Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    named = re.findall(r"CSVExtraction_(\d{7}[A-Z])\.csv", readme)
    assert named and all(normalize_uai(u) == u for u in named)
    assert ONDE_EXAMPLE in readme
    from directory.registry.files import FileRefused
    with pytest.raises(FileRefused) as refused:
        read_upload("CSVExtraction.csv", "Nom élève;Prénom élève;Date naissance;Niveau\r\n".encode("utf-8"))
    assert ONDE_EXAMPLE in refused.value.message and normalize_uai(ONDE_EXAMPLE[14:22])


def test_two_creations_of_one_ine_at_the_same_moment_make_one_entry(own_demo):
    """Whatever races: two imports' rows for the same new pupils, each pair sent at the same moment (a barrier
    before every row), leave one entry per INE; the other row is refused and says why."""
    import threading
    from directory.registry.apply import TAKEN, RowOutcome, apply_row
    from directory.registry.files import read_upload
    from directory.registry.preview import make_preview
    directory, _, _ = own_demo
    content = (";".join(OWN_HEADER) + "\r\n" + "".join(
        f"{LP};{29000000 + n:010d}K;Simultané{n:02d};Jade;{1 + n:02d}/04/2011;2LOG;;;\r\n" for n in range(30))).encode()
    rows = [[r for r in make_preview(directory, read_upload("autres-sources.csv", content)).rows()
             if r.category == "create"] for _ in range(2)]
    assert [len(r) for r in rows] == [30, 30]
    barrier, outcomes = threading.Barrier(2), {0: [], 1: []}

    def apply(side: int) -> None:
        for row in rows[side]:
            barrier.wait()
            outcomes[side].append(apply_row(directory, row, f"race-{side}", "admin.idt"))
    threads = [threading.Thread(target=apply, args=(side,)) for side in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    found = directory.search(f"{A.STUDENTS},{SUFFIX}", "(sn=Simultané*)", [A.INE], ldap3.LEVEL)
    per_ine = {}
    for _, entry in found:
        per_ine[entry[A.INE][0]] = per_ine.get(entry[A.INE][0], 0) + 1
    assert len(per_ine) == 30 and set(per_ine.values()) == {1}, sorted(per_ine.values())
    for first, second in zip(outcomes[0], outcomes[1]):
        assert sorted(o.value for o, _ in (first, second)) == ["done", "refused"]
        assert TAKEN in (first[1], second[1])
    assert RowOutcome.DONE in {o for o, _ in outcomes[0] + outcomes[1]}


def test_an_onde_parents_file_without_its_school_is_refused_in_french(rentree):
    admin = rentree["admin"]
    alone = onde_parents([("Durand", "Claire", "", [Pupil("2700000009Z", "Durand", "Léa", date(2019, 5, 3), "CP")])])
    refused = _upload(admin, {"CSVExtraction.csv": alone,
                              "autres-sources.csv": (";".join(OWN_HEADER) + "\r\n").encode("utf-8")})
    assert refused.status_code == 400
    assert "l'extraction ONDE des responsables ne dit pas son école" in _text(refused)
    assert "Rien n'a été modifié" in _text(refused)
