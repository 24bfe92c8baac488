"""What the tests share: the suite's settings and helpers to sign in through the real forms."""
from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

SUFFIX = "dc=sesame,dc=test"
SERVICE_DN = f"cn=sesame,ou=services,{SUFFIX}"
SERVICE_PASSWORD = secrets.token_urlsafe(16)
SEAL_KEY = secrets.token_bytes(32)
SSO_SECRET = secrets.token_urlsafe(16)
# Light hashing for the suite's own accounts; the configured cost is measured in bench/.
ARGON2 = (1, 1024, 1)
DEMO_PASSWORD = "demo-sesame-2026"
ROOT = Path(__file__).resolve().parent.parent

ROW_IDS = re.compile(r'name="ids" value="([0-9a-f]{32})"')    # the accounts of a results page
JOB_URL = re.compile(r"/travaux/([0-9a-f]{32})$")              # where an action's form sends the browser
FILE_URL = re.compile(r'href="(/fichiers/[^"]+)"')             # a job's document
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1) or match.group(2)


def confirmed(data: dict) -> dict:
    """An action's form data with the one-use confirmation token its form page carries."""
    return {**data, "confirmation": secrets.token_urlsafe(16)}


def through_the_proxy(client, uid: str = "support.lp"):
    """`client` as the SSO proxy in front of Sésame makes a person's browser: every request carries their
    identifier and the shared secret (the proxy adds both to each one); signed in at /connexion/sso."""
    client.environ_base.update(HTTP_X_REMOTE_USER=uid, HTTP_X_SESAME_PROXY_SECRET=SSO_SECRET)
    return client.get("/connexion/sso")


def sign_in(client, uid: str, password: str = DEMO_PASSWORD, **extra):
    page = client.get("/connexion")
    token = csrf_token(page.get_data(as_text=True))
    return client.post("/connexion", data={"csrf_token": token, "uid": uid, "password": password},
                       **extra)


def wait_for_job(redis_url: str, job_id: str, timeout: float = 60.0):
    """The job once finished or failed, read from its Redis record."""
    import time

    from redis import Redis

    from webapp.jobs.store import FAILED, FINISHED, JobStore
    store = JobStore(Redis.from_url(redis_url))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = store.get(job_id)
        if job and job.status in (FINISHED, FAILED):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish within {timeout} s")


def run_action(client, redis_url: str, url: str, data: dict):
    """Post an action's confirmation (with its one-use token), wait for the job it starts: (job, its page)."""
    response = client.post(url, data=confirmed(data))
    assert response.status_code == 303, response.get_data(as_text=True)
    job_id = JOB_URL.search(response.headers["Location"]).group(1)
    job = wait_for_job(redis_url, job_id)
    return job, client.get(f"/travaux/{job_id}").get_data(as_text=True)


def pdf_pages(content: bytes) -> list[str]:
    """The text of each page of a PDF, read back with pdftotext."""
    import subprocess
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True,
                          check=True).stdout.decode("utf-8")
    pages = text.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def qr_codes(pdf: bytes) -> list[str]:
    """Every QR code of every page, as zbarimg reads it from the page rasterised at 200 dpi."""
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "letters.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "200", "-png", "letters.pdf", "page"], cwd=folder, check=True)
        pages = sorted(p.name for p in Path(folder).glob("page*.png"))
        found = subprocess.run(["zbarimg", "-q", "--raw", *pages], cwd=folder, capture_output=True, text=True)
    return found.stdout.split()


def binds(ldap_url: str, dn: str, password: str) -> bool:
    """Whether slapd accepts this password for this DN."""
    import ldap3
    conn = ldap3.Connection(ldap3.Server(ldap_url), dn, password)
    try:
        return conn.bind()
    finally:
        conn.unbind()


def wait_for_mail(sink, to: str, after: int = 0, timeout: float = 10.0):
    """The newest message to `to` once there are more than `after` of them (mail leaves in the background)."""
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in sink.messages() if m["To"] == to]
        if len(found) > after:
            return found[-1]
        time.sleep(0.05)
    raise AssertionError(f"no mail for {to} within {timeout} s")


def worker_environment(app_config, **overrides) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SESAME_")}
    for name, value in {**app_config, **overrides}.items():
        if name.startswith("SESAME_"):
            env[name] = ",".join(value) if isinstance(value, (tuple, list)) else str(value)
    return env


def start_worker(app_config, **overrides) -> subprocess.Popen:
    """A real RQ worker process, as the Procfile runs it."""
    return subprocess.Popen([sys.executable, "-m", "webapp.jobs.worker"], cwd=ROOT,
                            env=worker_environment(app_config, **overrides),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def own_staff_member(directory, uid: str, password: str, head_of: str | None = "0990002P") -> str:
    """A staff entry of the test's own (a head of the LP by default); its DN. Remove it with
    `remove_entry` when done: demo staff are shared by every test."""
    from directory import attributes as A
    from directory.passwords import PasswordHasher
    dn = f"uid={uid},{A.STAFF},{SUFFIX}"
    values = {A.UID: uid, A.CN: uid, A.SURNAME: uid, A.USER_PASSWORD: PasswordHasher(*ARGON2).hash(password)}
    if head_of:
        values[A.HEAD_OF] = head_of
    directory.writes.run(lambda conn: conn.add(dn, [A.OC_PERSON, A.OC_STAFF], values))
    return dn


def remove_entry(directory, dn: str) -> None:
    directory.writes.run(lambda conn: conn.delete(dn))


def locked_in_directory(directory, dn: str) -> bool:
    from directory import attributes as A
    found = directory.search(dn, "(objectClass=*)", [A.PWD_ACCOUNT_LOCKED_TIME], "BASE")
    return bool(found and found[0][1].get(A.PWD_ACCOUNT_LOCKED_TIME))


class AccountFactory:
    """Throw-away accounts for one test: each created in the population and state the test asks for,
    every one removed when the test ends (the `make_account` fixture). Shared demo data is for reading."""

    LP_CLASS, LP_MEF, BIRTH = "1BTS2", "32031213210", "20080412000000Z"

    def __init__(self, directory):
        from directory.accounts import Accounts
        from directory.passwords import PasswordHasher, Sealer
        from directory.populations import STUDENTS
        self.directory = directory
        self.hasher = PasswordHasher(*ARGON2)
        self.accounts = Accounts(directory, STUDENTS, self.hasher, Sealer(SEAL_KEY))
        self.created: list[str] = []

    def student(self, state=None, uai: str = "0990002P", class_code: str = LP_CLASS, given: str = "Camille",
                surname: str | None = None, birth: str = BIRTH):
        """A student of `uai` in `state` (« Notifié et non activé » by default): (record, password), the
        password being the provisional one (NOTIFIED), the chosen one (ACTIVE) or None."""
        from directory import attributes as A
        from directory.escaping import dn as make_dn
        from directory.lifecycle import notify
        from directory.model import AccountOrigin, AccountState
        from directory.names import search_keys, sort_name
        state = state or AccountState.NOTIFIED
        account_id = secrets.token_hex(16)
        surname = surname or f"Jetable{''.join(chr(97 + int(c, 16) % 26) for c in account_id[:6])}"
        entry_dn = make_dn(A.ACCOUNT_ID, account_id, f"{A.STUDENTS},{SUFFIX}")
        values = {A.ACCOUNT_ID: account_id, A.CN: f"{given} {surname}", A.SURNAME: surname, A.GIVEN_NAME: given,
                  A.SEARCH_KEY: search_keys(given, surname), A.SORT_NAME: sort_name(given, surname),
                  A.UAI: uai, A.CLASS_CODE: class_code, A.MEF_CODE: self.LP_MEF, A.BIRTH_DATE: birth,
                  A.ACCOUNT_STATE: AccountState.NOT_NOTIFIED.value, A.ACCOUNT_ORIGIN: AccountOrigin.REGISTRY.value}
        self.directory.writes.run(lambda conn: conn.add(entry_dn, [A.OC_PERSON, A.OC_ACCOUNT], values))
        self.created.append(entry_dn)
        record = self.accounts.read_one(uai, account_id)
        if state is AccountState.NOT_NOTIFIED:
            return record, None
        password = self.accounts.apply(record, notify(record.state), f"factory-{account_id[:8]}").password
        record = self.accounts.read_one(uai, account_id)
        if state is AccountState.NOTIFIED:
            return record, password
        from directory.holders import Holders
        holders = Holders(self.directory, self.hasher)
        chosen = f"Choisi-{secrets.token_hex(6)}"
        holders.choose_password(holders.by_dn(entry_dn), password, chosen)
        return self.accounts.read_one(uai, account_id), chosen

    def guardian(self, child_dn: str, uai: str = "0990002P", language: str = ""):
        """A parent of `child_dn`, « Non notifié », with `language` kept on the account if given: its record."""
        from directory import attributes as A
        from directory.accounts import Accounts
        from directory.escaping import dn as make_dn
        from directory.model import AccountOrigin, AccountState
        from directory.names import search_keys, sort_name
        from directory.passwords import Sealer
        from directory.populations import GUARDIANS
        account_id = secrets.token_hex(16)
        surname = f"Parent{''.join(chr(97 + int(c, 16) % 26) for c in account_id[:6])}"
        entry_dn = make_dn(A.ACCOUNT_ID, account_id, f"{A.GUARDIANS},{SUFFIX}")
        values = {A.ACCOUNT_ID: account_id, A.CN: f"Sam {surname}", A.SURNAME: surname, A.GIVEN_NAME: "Sam",
                  A.SEARCH_KEY: search_keys("Sam", surname), A.SORT_NAME: sort_name("Sam", surname), A.UAI: uai,
                  A.CHILD: child_dn, A.ACCOUNT_STATE: AccountState.NOT_NOTIFIED.value,
                  A.ACCOUNT_ORIGIN: AccountOrigin.REGISTRY.value}
        if language:
            values[A.PREFERRED_LANGUAGE] = language
        self.directory.writes.run(lambda conn: conn.add(entry_dn, [A.OC_PERSON, A.OC_ACCOUNT], values))
        self.created.append(entry_dn)
        return Accounts(self.directory, GUARDIANS, self.hasher, Sealer(SEAL_KEY)).read_one(uai, account_id)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove_all()

    def remove_all(self) -> None:
        for entry_dn in reversed(self.created):
            try:
                remove_entry(self.directory, entry_dn)
            except Exception:  # noqa: BLE001 - a test may have removed it itself
                pass
        self.created.clear()


def migrated_slapd(folder, suffix: str = SUFFIX, service_dn: str = SERVICE_DN,
                   service_password: str = SERVICE_PASSWORD, replicator_password: str = ""):
    """A slapd of a test module's own under `folder`, started and migrated (nothing loaded yet); with
    `replicator_password`, `cn=replicator,ou=services` reads every entry whole with it."""
    from devtools.slapd import EmbeddedSlapd
    from directory.migrations import MigrationSettings, Migrator
    slapd = EmbeddedSlapd(folder, suffix).start()
    Migrator(MigrationSettings(url=slapd.ldapi_url, suffix=suffix, service_dn=service_dn,
                               service_password=service_password, migrator_dn=slapd.manager_dn,
                               argon2=ARGON2, replicator_password=replicator_password)).migrate(say=lambda _: None)
    return slapd


def demo_on_own_slapd(folder, replicator_password: str = ""):
    """(slapd, directory): a slapd of a test module's own under `folder`, migrated, with the demo loaded
    (slapadd), for tests that change or kill what the rest of the suite counts on."""
    from directory.connection import DirectorySettings
    from devtools.demo_load import load_demo_offline
    from directory.repository import Directory
    slapd = migrated_slapd(folder, replicator_password=replicator_password)
    directory = Directory(DirectorySettings(url=slapd.ldap_url, suffix=SUFFIX, bind_dn=SERVICE_DN,
                                            bind_password=SERVICE_PASSWORD))
    load_demo_offline(directory, SEAL_KEY, slapd)
    return slapd, directory


def wait_until(condition, timeout: float = 60.0, every: float = 0.02, what: str = ""):
    """`condition()`'s first true value, asked every `every` seconds; an AssertionError after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"not within {timeout} s" + (f": {what}" if what else ""))


def sign_in_page(page, address: str, uid: str, password: str = DEMO_PASSWORD, path: str = "/connexion"):
    """`page` (Chromium) signed in through the sign-in form at `address` + `path` as a person types it, and the
    page that answers loaded."""
    page.goto(address + path)
    page.get_by_label("Identifiant").fill(uid)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
