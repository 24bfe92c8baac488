"""« Journal des opérations »: every action recorded, shown newest first to the establishment's head and to the
identity team, filtered, paged, exported as CSV; never to support staff nor to another establishment's head."""
import csv
import html
import io
import re
from datetime import datetime, timedelta

import pytest

from directory.delegations import PARIS
from directory.model import AccountState
from support import csrf_token, sign_in, through_the_proxy

from parametrage import delegations, grant, letters_form, notify_one, own_settings, save_letters  # noqa: F401

LP, CLG = "0990002P", "0990001N"


def _rows(response) -> list[list[str]]:
    page = response.get_data(as_text=True)
    body = page[page.index("<tbody>"):page.index("</tbody>")]
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def _csv(response) -> list[list[str]]:
    assert response.headers["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))


def test_delegation_its_end_the_settings_change_and_a_notification_are_chef_lps_and_not_chef_clgs(
        app, signed_in, worker, app_config, make_account, delegations, own_settings):  # noqa: F811
    lp = signed_in("chef.lp")
    assert grant(lp, "secretariat.lp", "SUPPORT", reason="Journal").status_code == 303
    granted = [d for d in delegations.of_establishment(LP) if d.reason == "Journal"][0]
    token = csrf_token(lp.get("/parametrage").get_data(as_text=True))
    assert lp.post(f"/parametrage/delegations/{granted.id}/fin", data={"csrf_token": token}).status_code == 303
    assert save_letters(lp, letters_form(lp), contact="la vie scolaire").status_code == 303
    student, _ = make_account.student(AccountState.NOT_NOTIFIED, uai=LP, surname="Journal")
    notify_one(lp, app_config, student.account_id)

    rows = _rows(lp.get("/journal", query_string={"personne": "chef.lp"}))
    actions = [row[2] for row in rows[:4]]          # newest first
    assert actions == ["(Re)notification des comptes", "Réglages des courriers modifiés", "Délégation terminée",
                       "Délégation accordée"]
    assert all(row[1] == "chef.lp" for row in rows[:4])
    assert rows[0][3].startswith("1 : JOURNAL Camille")          # on which account, by name
    assert "la vie scolaire" in rows[1][4] and "secretariat.lp" in rows[3][4]

    exported = _csv(lp.get("/journal/export.csv", query_string={"personne": "chef.lp"}))
    assert exported[0] == ["Date", "Personne", "Action", "Établissement", "Nombre de comptes", "Comptes", "Détail"]
    assert [r[2] for r in exported[1:5]] == actions and {r[1] for r in exported[1:5]} == {"chef.lp"}
    assert exported[1][4] == "1" and "JOURNAL Camille" in exported[1][5]

    clg = app.test_client()
    assert sign_in(clg, "chef.clg").status_code == 302
    seen = _rows(clg.get("/journal", query_string={"personne": "chef.lp"}))
    assert seen == [["Aucune opération ne correspond."]]
    everything = _csv(clg.get("/journal/export.csv", query_string={"etablissement": LP, "du": "2020-01-01"}))
    assert all(r[3] != LP for r in everything[1:]) and not any(r[1] == "chef.lp" for r in everything[1:])

    admin = app.test_client()
    assert sign_in(admin, "admin.idt").status_code == 302
    assert [r[2] for r in _rows(admin.get("/journal", query_string={"personne": "chef.lp"}))[:4]] == actions


def test_the_profile_leads_to_the_accounts_journal(signed_in, make_account):
    lp = signed_in("chef.lp")
    student, _ = make_account.student(AccountState.NOTIFIED, uai=LP, surname="Fiche")
    profile = lp.get(f"/eleves/fiche/{student.account_id}").get_data(as_text=True)
    link = html.unescape(re.search(r'href="([^"]*/journal\?compte=[^"]+)"', profile).group(1))
    token = csrf_token(lp.get("/eleves").get_data(as_text=True))
    assert lp.post(f"/eleves/{student.account_id}/reinitialisation", data={"csrf_token": token}).status_code in (200, 303)
    rows = _rows(lp.get(link))
    assert rows and rows[0][2] == "Réinitialisation des mots de passe" and "FICHE Camille" in rows[0][3]
    by_name = _rows(lp.get("/journal", query_string={"compte": "fiche camille"}))
    assert by_name[0] == rows[0]


def test_sign_ins_and_refused_sign_ins_are_in_the_identity_teams_journal(app, client):
    assert sign_in(client, "chef.lp", "wrong password").status_code == 401
    assert sign_in(client, "chef.lp").status_code == 302
    admin = app.test_client()
    assert sign_in(admin, "admin.idt").status_code == 302
    rows = _rows(admin.get("/journal", query_string={"personne": "chef.lp"}))
    actions = [r[2] for r in rows]
    assert actions.index("Connexion d'un personnel") < actions.index("Connexion refusée")
    refused = _rows(admin.get("/journal", query_string={"action": "sign-in-refused", "personne": "chef.lp"}))
    assert refused and all(r[2] == "Connexion refusée" for r in refused)


@pytest.mark.parametrize("args, message", [
    ({"du": "2026-12-10", "au": "2026-12-01"}, "La date « Au » précède la date « Du »."),
    ({"du": "hier"}, "La date « Du » n'est pas une date"),
    ({"action": "<script>"}, "Cette action n'existe pas"),
])
def test_bad_criteria_are_said_in_french_with_a_400(signed_in, args, message):
    response = signed_in("chef.lp").get("/journal", query_string=args)
    assert response.status_code == 400
    assert message in html.unescape(response.get_data(as_text=True))


def test_a_date_range_keeps_only_its_days_and_the_default_is_the_last_month(signed_in):
    lp = signed_in("chef.lp")
    today = datetime.now(PARIS).date()
    page = html.unescape(lp.get("/journal").get_data(as_text=True))
    assert f"les opérations depuis le {today - timedelta(days=31):%d/%m/%Y}" in page
    rows = _rows(lp.get("/journal", query_string={"du": today.isoformat(), "au": today.isoformat()}))
    assert rows and all(r[0].startswith(f"{today:%d/%m/%Y}") for r in rows if len(r) > 1)
    assert _rows(lp.get("/journal", query_string={"du": "2020-01-01", "au": "2020-01-31"})) == [
        ["Aucune opération ne correspond."]]


def test_support_staff_see_no_journal_and_records_cannot_be_changed_through_the_app(app, signed_in):
    support = app.test_client()
    through_the_proxy(support)
    assert support.get("/journal").status_code == 403
    assert support.get("/journal/export.csv").status_code == 403
    lp = signed_in("chef.lp")
    for method in (lp.post, lp.put, lp.delete):
        assert method("/journal").status_code == 405
