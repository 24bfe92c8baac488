"""« Accueil » (counts, « À faire » lines whose links show exactly their accounts, latest operations) and
« Statistiques » (charts and tables by class, MEF and week; every establishment for the identity team)."""
import csv
import html
import io
import re
from datetime import datetime, timezone

import ldap3
import pytest

from directory import attributes as A
from directory.figures import follow_ups
from directory.mapping import first
from directory.model import AccountState
from directory.populations import GUARDIANS, STUDENTS
from directory.search import AccountCriteria
from support import JOB_URL, SSO_SECRET, confirmed, csrf_token, wait_for_job

CLG, LP, LYC = "0990001N", "0990002P", "0990003R"
LINE = re.compile(r'<tr><td><a href="([^"]+)">([^<]+)</a></td><td class="number">(\d+)</td></tr>')
TOTAL = re.compile(r'class="results-summary">\s*<p><strong>(\d+)</strong>')


def _to_do(page: str, caption: str) -> dict[str, tuple[str, int]]:
    """The « À faire » lines of one table of « Accueil »: label → (link, count)."""
    table = page.split(f"<caption>{caption} : à faire</caption>", 1)[1].split("</table>", 1)[0]
    return {html.unescape(label): (html.unescape(link), int(count)) for link, label, count in LINE.findall(table)}


def _total(client, link: str) -> int:
    response = client.get(link)
    assert response.status_code == 200, link
    return int(TOTAL.search(response.get_data(as_text=True)).group(1))


def _csv(response):
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))


def test_home_never_notified_link_opens_exactly_those_students(signed_in, demo_directory):
    client = signed_in("chef.lyc")
    page = client.get("/").get_data(as_text=True)
    link, count = _to_do(page, "Élèves")["Comptes jamais notifiés"]
    expected = demo_directory.count_by_state(STUDENTS, LYC)[AccountState.NOT_NOTIFIED]
    assert count == expected > 0
    assert link.startswith("/eleves?") and "etat=non-notifie" in link
    assert _total(client, link) == expected


def test_every_to_do_line_counts_what_its_search_shows(signed_in, demo_directory, app):
    client = signed_in("chef.lyc")
    page = client.get("/").get_data(as_text=True)
    today = datetime.now(timezone.utc).date()
    lines = follow_ups(today, app.config["SESAME_PROVISIONAL_DAYS"])
    for caption, population in (("Élèves", STUDENTS), ("Responsables", GUARDIANS)):
        shown = _to_do(page, caption)
        assert set(shown) == {line.label for line in lines}
        for line in lines:
            link, count = shown[line.label]
            assert count == demo_directory.population(population).count(LYC, line.criteria), line.label
            assert _total(client, link) == count, line.label
    # the demo has letters older than 30 days and expired provisional passwords: the lines are not empty
    students = _to_do(page, "Élèves")
    assert students["Notifiés et non activés depuis plus de 30 jours"][1] > 0
    assert students["Mots de passe provisoires expirés ou expirant dans les 15 jours"][1] > 0


def test_to_do_lines_follow_an_account_of_the_tests_own(signed_in, make_account, demo_directory):
    record, _ = make_account.student(AccountState.ACTIVE)
    demo_directory.writes.run(lambda conn: conn.modify(record.dn, {
        A.MAIL: [(ldap3.MODIFY_REPLACE, ["jetable@example.org"])],
        A.MAIL_VERIFIED: [(ldap3.MODIFY_REPLACE, ["FALSE"])]}))
    client = signed_in("chef.lp")
    lines = _to_do(client.get("/").get_data(as_text=True), "Élèves")
    link, count = lines["Adresses mail jamais confirmées"]
    ids = demo_directory.students.ids(LP, AccountCriteria(mail_unconfirmed=True))
    assert record.account_id in ids and count == len(ids)
    listed = client.get(link).get_data(as_text=True)
    assert record.surname.upper() in listed and "adresse mail jamais confirmée" in listed


def test_support_staff_see_only_the_lines_they_can_act_on(client):
    client.get("/connexion/sso", headers={"X-Remote-User": "support.lp", "X-Sesame-Proxy-Secret": SSO_SECRET})
    page = client.get("/").get_data(as_text=True)
    lines = _to_do(page, "Élèves")
    assert "Comptes bloqués après trop d'erreurs de mot de passe" in lines
    assert "Mots de passe provisoires expirés ou expirant dans les 15 jours" in lines
    assert "Comptes jamais notifiés" not in lines and "Responsables : à faire" not in page
    assert "Dernières opérations" not in page


@pytest.mark.parametrize("query", ["notifie-avant=2026-13-45", "notifie-avant=2026-01-01)(uid=*",
                                   "mdp-provisoire-avant=*", "bloque=1", "courriel=*)(objectClass=*"])
def test_a_bad_follow_up_criterion_is_refused_in_french(signed_in, query):
    response = signed_in("chef.lp").get(f"/eleves?{query}")
    assert response.status_code == 400
    text = html.unescape(response.get_data(as_text=True))
    assert "n'est pas une date valide" in text or "n'accepte que" in text


def test_statistics_by_class_table_and_csv_match_the_directory(signed_in, demo_directory):
    client = signed_in("chef.lyc")
    page = client.get("/statistiques").get_data(as_text=True)
    assert page.count('<svg role="img"') == 3 and "<script" not in page.split("<main", 1)[1]
    assert ' style="' not in page and "<style" not in page
    counts = demo_directory.count_by_state(STUDENTS, LYC)
    rows = _csv(client.get("/statistiques/classes.csv"))
    assert rows[0] == ["UAI", "Établissement", "Classe", "Libellé", "Comptes", "Non notifiés",
                       "Notifiés et non activés", "Activés", "Taux de notification (%)", "Taux d'activation (%)"]
    body = rows[1:]
    assert {r[0] for r in body} == {LYC}
    assert sum(int(r[4]) for r in body) == sum(counts.values())
    assert sum(int(r[5]) for r in body) == counts[AccountState.NOT_NOTIFIED]
    assert sum(int(r[6]) for r in body) == counts[AccountState.NOTIFIED]
    assert sum(int(r[7]) for r in body) == counts[AccountState.ACTIVE]
    first = body[0]
    activated = demo_directory.students.count(LYC, AccountCriteria(classes=(first[2],), states=(AccountState.ACTIVE,)))
    assert int(first[7]) == activated
    assert f'<a href="/eleves?classe={first[2]}">{first[2]}</a>' in page      # the class opens its search
    assert f'xlink:href="/eleves?classe={first[2]}"' in page                  # ... and so does its bar
    mef = _csv(client.get("/statistiques/mef.csv"))
    assert sum(int(r[4]) for r in mef[1:]) == sum(counts.values())
    weeks = _csv(client.get("/statistiques/semaines.csv"))
    assert int(weeks[-1][4]) == counts[AccountState.ACTIVE]
    assert int(weeks[-1][3]) == counts[AccountState.ACTIVE] + counts[AccountState.NOTIFIED]


def test_statistics_of_parents_and_the_stylesheet(signed_in, demo_directory):
    client = signed_in("chef.clg")
    page = client.get("/statistiques?population=responsables")
    assert page.status_code == 200
    counts = demo_directory.count_by_state(GUARDIANS, CLG)
    text = page.get_data(as_text=True)
    assert f'<th scope="row">Établissement</th><td></td>\n    <td class="number">{sum(counts.values())}</td>' in text
    assert client.get("/statistiques?population=nimporte").status_code == 404
    css = client.get("/statistiques/graphiques.css")
    assert css.mimetype == "text/css" and ".pygal-chart" in css.get_data(as_text=True)


def test_notifying_a_class_changes_home_and_its_bar_at_once(signed_in, make_account, worker, app_config):
    import secrets
    surname = f"Statjetable{''.join(chr(97 + b % 26) for b in secrets.token_bytes(6))}"
    for _ in range(2):
        make_account.student(AccountState.NOT_NOTIFIED, class_code="1BTS2", surname=surname)
    client = signed_in("chef.lp")

    def figures():
        home = client.get("/").get_data(as_text=True)
        never = _to_do(home, "Élèves")["Comptes jamais notifiés"][1]
        row = next(r for r in _csv(client.get("/statistiques/classes.csv"))[1:] if r[2] == "1BTS2")
        bars = client.get("/statistiques").get_data(as_text=True)
        return never, row, bars
    never, row, bars = figures()
    token = csrf_token(client.get("/eleves").get_data(as_text=True))
    client.post("/eleves/selection/vider", data={"csrf_token": token})
    client.post("/eleves/selection/tout", data={"csrf_token": token, "tout": "1", "q": surname})
    posted = client.post("/eleves/notifications", data=confirmed({"csrf_token": token, "notification": "sans-courrier"}))
    job = wait_for_job(app_config["SESAME_REDIS_URL"], JOB_URL.search(posted.headers["Location"]).group(1))
    assert job.status == "finished"
    never_after, row_after, bars_after = figures()
    assert never_after == never - 2
    assert int(row_after[5]) == int(row[5]) - 2 and int(row_after[6]) == int(row[6]) + 2
    assert row_after[8] != row[8]                 # the class's notification rate, and so its bar
    assert bars_after != bars


def test_latest_operations_name_who_what_and_how_many(signed_in, worker, app_config):
    client = signed_in("chef.lp")
    token = csrf_token(client.get("/eleves").get_data(as_text=True))
    client.post("/eleves/selection/vider", data={"csrf_token": token})
    client.post("/eleves/selection/tout", data={"csrf_token": token, "tout": "1", "classe": "1AGORA"})
    posted = client.post("/eleves/listes", data=confirmed({"csrf_token": token, "format": "csv"}))
    job_id = JOB_URL.search(posted.headers["Location"]).group(1)
    wait_for_job(app_config["SESAME_REDIS_URL"], job_id)
    page = client.get("/").get_data(as_text=True)
    operations = page.split("Dernières opérations", 1)[1]
    assert f'href="/travaux/{job_id}">Voir le compte rendu</a>' in operations
    assert "<td>chef.lp</td>" in operations and "Liste des comptes" in operations


def test_identity_team_sees_every_establishment_adding_up_to_the_directory(signed_in, demo_directory):
    client = signed_in("admin.idt")
    page = client.get("/statistiques/etablissements")
    assert page.status_code == 200
    rows = _csv(client.get("/statistiques/etablissements.csv"))
    assert [r[0] for r in rows[1:]] == [CLG, LP, LYC]
    everyone = demo_directory.search(demo_directory.base(A.STUDENTS), "(objectClass=sesameAccount)",
                                     [A.ACCOUNT_STATE], ldap3.LEVEL)
    assert sum(int(r[2]) for r in rows[1:]) == len(everyone)
    assert sum(int(r[5]) for r in rows[1:]) == sum(1 for _, e in everyone if first(e[A.ACCOUNT_STATE]) == "ACTIVE")
    by_name = _csv(client.get("/statistiques/etablissements.csv?tri=eleves&ordre=desc"))
    assert [int(r[2]) for r in by_name[1:]] == sorted((int(r[2]) for r in rows[1:]), reverse=True)
    assert client.get("/statistiques/etablissements?tri=nimporte").status_code == 400
    text = page.get_data(as_text=True)
    assert '<svg role="img"' in text
    lyc = next(r for r in rows[1:] if r[0] == LYC)
    assert (f'<tr><th scope="row">{LYC}</th><td>LYC Marie Curie</td>\n      <td class="number">{lyc[2]}</td>'
            f'<td class="number">{lyc[5]}</td>') in text


def test_only_the_identity_team_compares_establishments(signed_in):
    client = signed_in("chef.lyc")
    assert client.get("/statistiques/etablissements").status_code == 403
    assert client.get("/statistiques/etablissements.csv").status_code == 403


def test_refresh_figures_computes_every_establishment_into_redis(app, redis_server):
    from redis import Redis
    connection = Redis.from_url(redis_server.url)
    result = app.test_cli_runner().invoke(args=["directory", "refresh-figures"])
    assert result.exit_code == 0 and "figures of 3 establishment(s)" in result.output
    assert {k.decode() for k in connection.scan_iter("sesame:figures:*")} >= {
        f"sesame:figures:{uai}" for uai in (CLG, LP, LYC)}
