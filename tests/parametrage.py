"""What the tests of « Paramétrage » and the journal share: granting through the form, the letter settings
form, notifying one account, and fixtures that undo what a test stored (demo data stays as it was)."""
import html
import re
from datetime import datetime, timedelta

import ldap3
import pytest

from directory import attributes as A
from directory.delegations import PARIS, Delegations
from directory.letter_settings import LetterSettingsStore
from support import FILE_URL, JOB_URL, confirmed, csrf_token, pdf_pages, wait_for_job

LP, CLG = "0990002P", "0990001N"


def today():
    return datetime.now(PARIS).date()


def grant(client, delegate, kind="SUPPORT", start=None, end=None, reason=""):
    page = client.get("/parametrage").get_data(as_text=True)
    start = start or today()
    end = end or today() + timedelta(days=1)
    return client.post("/parametrage/delegations", data={
        "csrf_token": csrf_token(page), "delegate": delegate, "kind": kind,
        "start": start.isoformat() if hasattr(start, "isoformat") else start,
        "end": end.isoformat() if hasattr(end, "isoformat") else end, "reason": reason})


def delegation_in_directory(directory, name: str, delegate: str, kind: str, until: datetime, uai: str = LP) -> None:
    """A delegation written straight into the directory by chef.lp, running from an hour ago until `until` (UTC);
    the `delegations` fixture removes it."""
    from datetime import timezone

    from directory.delegations import ldap_time
    dn = f"cn={name},{A.UAI}={uai},{A.ESTABLISHMENTS},{directory.suffix}"
    directory.writes.run(lambda conn: conn.add(dn, [A.OC_DELEGATION], {
        A.CN: name, A.DELEGATE: delegate, A.UAI: uai, A.DELEGATION_KIND: kind,
        A.VALID_FROM: ldap_time(datetime.now(timezone.utc) - timedelta(hours=1)), A.VALID_UNTIL: ldap_time(until),
        A.ACTOR: "chef.lp"}))


@pytest.fixture
def delegations(demo_directory):
    """The delegations this test makes, removed after it (demo ones are shared)."""
    store = Delegations(demo_directory)
    before = {(d.uai, d.id) for uai in (LP, CLG) for d in store.of_establishment(uai)}
    yield store
    for uai in (LP, CLG):
        for d in store.of_establishment(uai):
            if (d.uai, d.id) not in before:
                dn = f"cn={d.id},sesameUAI={uai},ou=establishments,{demo_directory.suffix}"
                demo_directory.writes.run(lambda conn, dn=dn: conn.delete(dn))


@pytest.fixture
def own_settings(demo_directory):
    """Each establishment's letter settings as the demo has them (none) once the test is done."""
    yield LetterSettingsStore(demo_directory)
    for uai in (LP, CLG):
        dn = f"{A.UAI}={uai},{A.ESTABLISHMENTS},{demo_directory.suffix}"
        entry = demo_directory.read_entry(dn, [A.LETTER_SETTINGS])
        if entry and entry["attributes"].get(A.LETTER_SETTINGS):
            demo_directory.writes.run(lambda conn, dn=dn: conn.modify(
                dn, {A.LETTER_SETTINGS: [(ldap3.MODIFY_DELETE, [])]}))


def letters_form(client) -> dict:
    """The letter settings form as the page shows it."""
    page = client.get("/parametrage").get_data(as_text=True)
    form = page[page.index('action="/parametrage/courriers"'):]
    form = form[:form.index("</form>")]
    values = {name: html.unescape(value) for name, value in re.findall(r'name="(\w+)"[^>]*value="([^"]*)"', form)}
    paragraph = re.search(r'<textarea[^>]*name="paragraph"[^>]*>(.*?)</textarea>', form, re.S)
    values["paragraph"] = html.unescape(paragraph.group(1)).strip() if paragraph else ""
    values.setdefault("shown", "")
    values.setdefault("csrf_token", csrf_token(page))
    return values


def save_letters(client, form, **changes):
    return client.post("/parametrage/courriers", data={**form, **changes})


def notify_one(client, app_config, account_id) -> list[str]:
    """Notify one account with a letter through the real worker; the letter's pages read back."""
    token = csrf_token(client.get("/eleves").get_data(as_text=True))
    client.post("/eleves/selection/vider", data={"csrf_token": token})
    client.post("/eleves/selection", data={"csrf_token": token, "id": account_id, "ids": [account_id]})
    response = client.post("/eleves/notifications", data=confirmed({"csrf_token": token, "notification": "courrier"}))
    assert response.status_code == 303, response.get_data(as_text=True)
    job_id = JOB_URL.search(response.headers["Location"]).group(1)
    wait_for_job(app_config["SESAME_REDIS_URL"], job_id)
    page = client.get(f"/travaux/{job_id}").get_data(as_text=True)
    return pdf_pages(client.get(FILE_URL.search(page).group(1)).data)


