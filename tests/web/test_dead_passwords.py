"""A provisional password that no longer signs in is never printed: lists (CSV and PDF, every population)
and the dépannage column say « expiré » and how to renew it instead (directory.lifecycle.shown_password)."""
import csv
import io
from datetime import datetime, timedelta, timezone

import pytest

from directory.accounts import Accounts
from directory.model import AccountState, Establishment
from directory.passwords import PasswordHasher, Sealer
from directory.populations import STUDENTS
from directory.search import AccountCriteria
from support import FILE_URL, SEAL_KEY, SSO_SECRET, csrf_token, pdf_pages, run_action
from webapp.documents.lists import EXPIRED_PASSWORD, GUARDIAN_LIST, STUDENT_LIST, ListRow

LP = "0990002P"


def _expired_student(demo_directory):
    """A demo student of the LP whose provisional password is past its 90 days, and that dead password."""
    accounts = Accounts(demo_directory, STUDENTS, PasswordHasher(1, 1024, 1), Sealer(SEAL_KEY))
    old = datetime.now(timezone.utc) - timedelta(days=91)
    ids = demo_directory.students.ids(LP, AccountCriteria(states=(AccountState.NOTIFIED,), password_given_before=old))
    assert ids, "the demo has expired provisional passwords at the LP"
    record = accounts.read_one(LP, ids[0])
    return record, accounts.provisional_password(record)


def _select_only(client, account_ids) -> str:
    token = csrf_token(client.get("/eleves").get_data(as_text=True))
    client.post("/eleves/selection/vider", data={"csrf_token": token})
    for account_id in account_ids:
        client.post("/eleves/selection", data={"csrf_token": token, "id": account_id, "ids": [account_id]})
    return token


def test_a_list_of_an_account_whose_provisional_password_expired_shows_expire_and_no_password(
        signed_in, worker, app_config, demo_directory, make_account):
    dead, dead_password = _expired_student(demo_directory)
    fresh, fresh_password = make_account.student(AccountState.NOTIFIED)
    head = signed_in("chef.lp")
    token = _select_only(head, [dead.account_id, fresh.account_id])
    _, page = run_action(head, app_config["SESAME_REDIS_URL"], "/eleves/listes", {"csrf_token": token, "format": "csv"})
    rows = list(csv.reader(io.StringIO(head.get(FILE_URL.search(page).group(1)).data.decode("utf-8-sig")),
                           delimiter=";"))
    by_identifier = {row[7]: row for row in rows[1:]}
    assert by_identifier[dead.identifier][8] == EXPIRED_PASSWORD
    assert by_identifier[fresh.identifier][8] == fresh_password
    assert dead_password not in str(rows)

    token = _select_only(head, [dead.account_id, fresh.account_id])
    _, page = run_action(head, app_config["SESAME_REDIS_URL"], "/eleves/listes", {"csrf_token": token, "format": "pdf"})
    text = "".join(pdf_pages(head.get(FILE_URL.search(page).group(1)).data))
    assert dead_password not in text and fresh_password in text
    assert "expiré" in text and "Réinitialiser les mots de passe" in text


@pytest.mark.parametrize("layout", [STUDENT_LIST, GUARDIAN_LIST], ids=["students and external students", "parents"])
def test_every_populations_list_says_expire_never_the_dead_password(app, layout):
    now = datetime.now(timezone.utc)
    rows = [ListRow("Ancien", "Zoé", AccountState.NOTIFIED, "zoe.ancien", "DEADPASS", "201", "Seconde 1", "2NDE",
                    None, None, password_changed=now - timedelta(days=91)),
            ListRow("Recent", "Léo", AccountState.NOTIFIED, "leo.recent", "LIVEPASS", "201", "Seconde 1", "2NDE",
                    None, None, password_changed=now - timedelta(days=89))]
    establishment = Establishment(LP, "LP Métiers Auguste Perret")
    with app.app_context():
        cells = layout.csv(establishment, rows, 90).decode("utf-8-sig")
        text = "".join(pdf_pages(layout.pdf(establishment, rows, 90)))
        never = layout.csv(establishment, rows, 0).decode("utf-8-sig")
    assert "DEADPASS" not in cells and EXPIRED_PASSWORD in cells and "LIVEPASS" in cells
    assert "DEADPASS" not in text and "expiré" in text and "LIVEPASS" in text
    assert "DEADPASS" in never          # SESAME_PROVISIONAL_DAYS=0: provisional passwords never expire


def test_the_depannage_column_says_expire_never_the_dead_password(client, demo_directory, make_account):
    dead, dead_password = _expired_student(demo_directory)
    client.get("/connexion/sso", headers={"X-Remote-User": "support.lp", "X-Sesame-Proxy-Secret": SSO_SECRET})
    page = client.get("/eleves", query_string={"q": f"{dead.given_name} {dead.surname}"}).get_data(as_text=True)
    row = page[page.index(f'value="{dead.account_id}"'):]
    row = row[:row.index("</tr>")]
    assert dead_password not in page
    assert "expiré" in row[row.index('class="password'):]
