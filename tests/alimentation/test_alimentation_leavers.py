"""Leavers' second period: past both periods an account is removable; the identity team removes the ones it is
shown, on a confirmation that names their number, as a job with its report; each identifier is reserved and
never given again at a first notification."""
from __future__ import annotations

import csv
import html
import io
import re
import secrets
from datetime import date, timedelta

import ldap3

from directory import attributes as A
from directory.model import AccountState
from directory.registry.leavers import REMOVED

from support import SUFFIX, csrf_token, remove_entry, wait_for_job

JOB_URL = re.compile(r"/alimentation/travaux/([0-9a-f]{32})$")


def _leave(directory, record, days_ago: int) -> None:
    """The account as an import leaves it: out of its establishment, marked with the day and the UAI."""
    left_on = (date.today() - timedelta(days=days_ago)).strftime("%Y%m%d000000Z")
    directory.writes.run(lambda conn: conn.modify(record.dn, {
        A.UAI: [(ldap3.MODIFY_DELETE, [])], A.OBJECT_CLASS: [(ldap3.MODIFY_ADD, [A.OC_LEAVER])],
        A.LEFT_ON: [(ldap3.MODIFY_REPLACE, [left_on])], A.LEFT_UAI: [(ldap3.MODIFY_REPLACE, ["0990002P"])]}))


def _exists(directory, entry_dn: str) -> bool:
    return directory.read_entry(entry_dn, ["1.1"]) is not None


def test_removable_leavers_are_removed_on_confirmation_and_their_identifiers_never_given_again(
        demo_directory, make_account, signed_in, app, worker):
    surname = f"Partie{secrets.token_hex(3)}"
    old, _ = make_account.student(AccountState.NOTIFIED, given="Anouk", surname=surname)
    recent, _ = make_account.student(AccountState.NOTIFIED, given="Léonie", surname=surname)
    days = app.config["SESAME_LEAVER_TOLERANCE_DAYS"] + app.config["SESAME_LEAVER_REMOVAL_DAYS"]
    _leave(demo_directory, old, days + 1)
    _leave(demo_directory, recent, days - 1)      # deactivated, not yet removable
    client = signed_in("admin.idt")

    assert "Voir les comptes supprimables" in html.unescape(client.get("/alimentation").get_data(as_text=True))
    page = html.unescape(client.get("/alimentation/departs").get_data(as_text=True))
    assert f'data-account="{old.account_id}"' in page and old.identifier in page
    assert recent.account_id not in page

    # without the box that names the number: refused, nothing removed
    refused = client.post("/alimentation/departs/suppression", data={"csrf_token": csrf_token(page),
                                                                     "compte": [old.account_id]})
    assert refused.status_code == 400 and "Rien n'a été supprimé" in html.unescape(refused.get_data(as_text=True))
    assert _exists(demo_directory, old.dn)

    # the recent leaver posted too (a forged list): kept, and said so in the job's report
    confirmation = re.search(r'name="confirmation" value="([^"]+)"', page).group(1)
    form = {"csrf_token": csrf_token(page), "compte": [old.account_id, recent.account_id], "confirmer-suppression": "2",
            "confirmation": confirmation}
    posted = client.post("/alimentation/departs/suppression", data=form)
    assert posted.status_code == 303
    job_id = JOB_URL.search(posted.headers["Location"]).group(1)
    assert client.post("/alimentation/departs/suppression", data=form).headers["Location"] == posted.headers["Location"]
    assert wait_for_job(app.config["SESAME_REDIS_URL"], job_id).status == "finished"
    said = html.unescape(client.get(posted.headers["Location"]).get_data(as_text=True))
    assert "1 compte(s) supprimé(s)" in said and re.search(r'data-outcome="refused">1<', said)
    assert f"{recent.account_id} : Le compte n'est plus supprimable" in said
    report = list(csv.reader(io.StringIO(client.get(posted.headers["Location"] + "/compte-rendu.csv")
                                         .get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert report[0] == ["Nom", "Identifiant", "INE", "Parti de", "Parti le", "Numéro de compte", "Résultat", "Motif"]
    assert [old.identifier, old.account_id, "Fait"] == [report[1][1], report[1][5], report[1][6]] or \
        [old.identifier, old.account_id, "Fait"] == [report[2][1], report[2][5], report[2][6]]
    assert not _exists(demo_directory, old.dn) and _exists(demo_directory, recent.dn)
    reservation = f"uid={old.identifier},{A.RESERVED},{SUFFIX}"
    assert _exists(demo_directory, reservation)
    records = demo_directory.search(f"{A.AUDIT},{SUFFIX}", f"(&({A.ACTION}={REMOVED})({A.TARGET}={old.account_id}))",
                                    [A.DESCRIPTION], ldap3.LEVEL)
    assert len(records) == 1 and old.identifier in records[0][1][A.DESCRIPTION][0]

    try:
        # a newcomer of the same name, notified for the first time, is given another identifier
        proposed = make_account.accounts.propose_identifiers(
            [make_account.student(AccountState.NOT_NOTIFIED, given="Anouk", surname=surname)[0]])
        assert old.identifier not in proposed.values()
        again, _ = make_account.student(AccountState.NOTIFIED, given="Anouk", surname=surname)
        assert again.identifier and again.identifier != old.identifier
        assert again.identifier.startswith(old.identifier)      # the stem, with the next number
    finally:
        remove_entry(demo_directory, reservation)


def test_a_head_gets_403_on_the_removal_pages(signed_in):
    client = signed_in("chef.lp")
    assert client.get("/alimentation/departs").status_code == 403
    token = csrf_token(client.get("/eleves").get_data(as_text=True))
    assert client.post("/alimentation/departs/suppression", data={"csrf_token": token}).status_code == 403
