"""The backup drill, on servers of the test's own: changes made through the real forms (a notify, an import,
a delegation, journal records, a holder's own password), a backup taken while a notify runs, the instance
wiped and restored from the copy: every entry is back as it was (hashes included: passwords bind), the app
signs in and searches, and the job that was running says exactly which accounts it changed, then finishes
with « Relancer ». A copy is refused when altered, and never restored over a directory."""
from __future__ import annotations

import base64
import gzip
import html
import io
import re
import shutil

import pytest

from directory.connection import open_connection
from devtools.slapd import terminate
from directory.model import AccountState
from devtools.demo_exports import NEXT_YEAR, demo_exports
from devtools.embedded import EmbeddedRedis

from faults.helpers import (LYC, accounts, assert_agreement, head_of_lyc, job_status, make_app, marked, report,
                            snapshot, start_job, students, wait_until)
from parametrage import grant
from support import (AccountFactory, DEMO_PASSWORD, ROW_IDS, SEAL_KEY, SERVICE_DN, SERVICE_PASSWORD, SUFFIX,
                     binds, csrf_token, demo_on_own_slapd, sign_in, wait_for_job)

LP = "0990002P"
# the slapd's own bookkeeping, changed by any write: not part of what a restore must give back
BOOKKEEPING = {"contextCSN"}
REPLICATOR = "backup-reader-" + SERVICE_PASSWORD
# the services' entries: every bind of theirs dates itself (olcLastBind), and they bind all along
SERVICES = {f"cn={name},ou=services,{SUFFIX}".lower() for name in ("sesame", "replicator")}
LAST_BIND = {"pwdLastSuccess", "entryCSN", "modifyTimestamp"}


def _same(dn: str, before: dict, after: dict) -> bool:
    if dn in SERVICES:
        before, after = ({k: v for k, v in e.items() if k not in LAST_BIND} for e in (before, after))
    return before == after


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    from faults.helpers import Servers
    root = tmp_path_factory.mktemp("backup")
    slapd, directory = demo_on_own_slapd(root / "slapd", replicator_password=REPLICATOR)
    redis = EmbeddedRedis(root / "redis", persist=True).start()
    config = {
        "TESTING": True, "SESAME_FAILED_SIGN_IN_DELAY": 0, "SESAME_STAFF_TOTP": "off",
        "SESAME_SECRET_KEY": "backup-" + SERVICE_PASSWORD, "SESAME_LDAP_URL": slapd.ldap_url,
        "SESAME_LDAP_SUFFIX": SUFFIX, "SESAME_LDAP_BIND_DN": SERVICE_DN, "SESAME_LDAP_BIND_PASSWORD": SERVICE_PASSWORD,
        "SESAME_LDAP_TIMEOUT": 5, "SESAME_REDIS_URL": redis.url, "SESAME_SEAL_KEY": base64.b64encode(SEAL_KEY).decode(),
        "SESAME_FILES_DIR": str(root / "files"), "SESAME_SMTP_HOST": "127.0.0.1", "SESAME_SMTP_PORT": 9,
        "SESAME_ARGON2_TIME_COST": 1, "SESAME_ARGON2_MEMORY_COST": 1024, "SESAME_ARGON2_PARALLELISM": 1,
        "SESAME_JOB_HOLD_SECONDS": 3, "SESAME_JOB_SWEEP_SECONDS": 1,
        "SESAME_SLAPD_CONFIG_DIR": str(slapd.config_dir),
    }
    servers = Servers(slapd, redis, directory, config, root)
    yield servers
    for process in servers.workers:
        terminate(process)
    directory.close()
    servers.redis.stop()
    servers.slapd.stop()


def _everything(slapd) -> dict[str, dict]:
    """Every entry of the database with every attribute, user and operational, read over LDAP by the
    replicator (« Plusieurs serveurs »: the one identity that reads hashes, without size limit)."""
    conn = open_connection(slapd.ldap_url, f"cn=replicator,ou=services,{SUFFIX}", REPLICATOR, 5)
    try:
        found = conn.extend.standard.paged_search(SUFFIX, "(objectClass=*)", attributes=["*", "+"], paged_size=1000,
                                                  generator=False)
        return {e["dn"].lower(): {k: sorted(map(_text, v)) if isinstance(v, list) else _text(v)
                                  for k, v in e["raw_attributes"].items() if k not in BOOKKEEPING}
                for e in found if e.get("type") == "searchResEntry"}
    finally:
        conn.unbind()


def _text(value) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def _cli(config, *args):
    from webapp import create_app
    return create_app(dict(config)).test_cli_runner().invoke(args=["directory", *args])


def _import_lp(client, config) -> str:
    """The LP's registry exports of next year, previewed and applied by the identity team: the job's id."""
    exports = demo_exports()
    token = csrf_token(client.get("/alimentation").get_data(as_text=True))
    files = [(io.BytesIO(content), relative.split("/")[-1]) for relative, content in sorted(exports.files.items())
             if relative.startswith(NEXT_YEAR + "/") and LP in relative]
    preview = client.post("/alimentation/apercu", data={"csrf_token": token, "fichiers": files},
                          content_type="multipart/form-data")
    assert preview.status_code == 303, preview.get_data(as_text=True)[:2000]
    path = preview.headers["Location"]
    token = csrf_token(client.get(path).get_data(as_text=True))
    applied = client.post(path + "/appliquer", data={"csrf_token": token})
    assert applied.status_code == 303, applied.get_data(as_text=True)[:2000]
    job_id = re.search(r"/alimentation/travaux/([0-9a-f]{32})$", applied.headers["Location"]).group(1)
    assert wait_for_job(config["SESAME_REDIS_URL"], job_id, timeout=120).status == "finished"
    return job_id


def test_a_backup_taken_while_a_job_runs_restores_everything_into_an_empty_instance(instance, tmp_path):
    servers = instance
    config = servers.config
    servers.start_worker()

    # --- changes, through the forms: a notify with letters, an import, a delegation, a refused sign-in, and
    # a holder who chose a password
    head = head_of_lyc(make_app(config))
    notified = students(servers.directory, 0, 20)
    first_job = start_job(head, notified, data={"notification": "courrier", "reset_password": "y"})
    assert wait_for_job(config["SESAME_REDIS_URL"], first_job).status == "finished"
    given = {i: accounts(servers.directory).provisional_password(r)
             for i, r in accounts(servers.directory).read(LYC, notified).items()}
    assert all(given.values())
    lp = make_app(config).test_client()
    assert sign_in(lp, "chef.lp").status_code == 302
    granted = grant(lp, "secretariat.lp", "SUPPORT", reason="Remplacement")
    assert granted.status_code == 303, re.findall(r"class=\"[^\"]*error[^\"]*\"[^>]*>([^<]+)", html.unescape(granted.get_data(as_text=True)))
    admin = make_app(config).test_client()
    assert sign_in(admin, "admin.idt").status_code == 302
    import_job = _import_lp(admin, config)
    stranger = make_app(config).test_client()
    assert sign_in(stranger, "chef.lyc", "pas-le-bon").status_code == 401     # a journal record of its own
    holder, chosen = AccountFactory(servers.directory).student(AccountState.ACTIVE, uai=LYC)
    searched = ROW_IDS.findall(head.get("/eleves", query_string={"q": "martin"}).get_data(as_text=True))
    assert searched

    # --- a notify under way (hashing slowed down), and the backup taken meanwhile
    for process in servers.workers:
        terminate(process)
    servers.workers.clear()
    running_ids = students(servers.directory, 100, 200)
    untouched = snapshot(servers.directory, running_ids)
    before = _everything(servers.slapd)
    servers.start_worker(SESAME_ARGON2_TIME_COST=2, SESAME_ARGON2_MEMORY_COST=65536)
    running = start_job(head, running_ids, data={"notification": "courrier", "reset_password": "y"})
    wait_until(lambda: len(marked(servers.directory, running)) >= 20)
    made = _cli(config, "backup", str(tmp_path / "copies"))
    assert made.exit_code == 0, made.output
    assert job_status(config, running) == "running", "the backup was to be taken while the job ran"
    copy = next((tmp_path / "copies").glob("sesame-*"))
    assert sorted(p.name for p in copy.iterdir()) == ["SHA256SUMS", "config.ldif.gz", "directory.ldif.gz",
                                                       "manifest.json", "redis.json.gz"]

    # never over a directory that is there: refused in French, nothing changed
    over = _cli(config, "restore", str(copy))
    assert over.exit_code == 1 and "Restauration refusée" in over.output and "n'est pas vide" in over.output
    # an altered copy is refused before anything is looked at
    altered = tmp_path / "altered"
    shutil.copytree(copy, altered)
    data = gzip.decompress((altered / "directory.ldif.gz").read_bytes()).replace(b"Martin", b"Martine", 1)
    (altered / "directory.ldif.gz").write_bytes(gzip.compress(data))
    refused = _cli(config, "restore", str(altered))
    assert refused.exit_code == 1 and "somme de contrôle" in refused.output

    # --- the host lost: workers, slapd and Redis gone with their files; then the restore into empty ones
    for process in servers.workers:
        servers.kill(process)
    servers.workers.clear()
    servers.directory.close()
    servers.slapd.stop()
    shutil.rmtree(servers.slapd.config_dir)
    shutil.rmtree(servers.slapd.data_dir)
    servers.redis.stop()
    servers.redis = EmbeddedRedis(tmp_path / "new-redis", persist=True).start()
    config["SESAME_REDIS_URL"] = servers.redis.url
    restored = _cli(config, "restore", str(copy))
    assert restored.exit_code == 0, restored.output
    servers.slapd.start()
    assert _cli(config, "restore", str(copy)).exit_code == 1, "a second restore over the first is refused"

    # every entry as it was, but the running job's accounts (each as before, or changed by the job)
    after = _everything(servers.slapd)
    changed_by_job = {dn for dn, entry in after.items() if entry.get("sesameLastJob") == [running]}
    assert 20 <= len(changed_by_job) < len(running_ids), "the copy holds the job halfway"
    job_record = next(dn for dn in after if dn.startswith(f"cn={running},"))
    missing = set(before) - set(after)
    assert not missing, sorted(missing)[:5]
    differing = [dn for dn in before if not _same(dn, before[dn], after[dn]) and dn not in changed_by_job]
    assert not differing, [(dn, {k: (before[dn].get(k), after[dn].get(k)) for k in set(before[dn]) | set(after[dn])
                                 if before[dn].get(k) != after[dn].get(k)}) for dn in differing[:3]]
    assert set(after) - set(before) == {job_record}

    # passwords still bind: staff, the provisional ones of the first notify, a holder's own
    assert binds(servers.slapd.ldap_url, f"uid=chef.lyc,ou=staff,{SUFFIX}", DEMO_PASSWORD)
    records = accounts(servers.directory).read(LYC, notified)
    assert all(binds(servers.slapd.ldap_url, records[i].dn, given[i]) for i in notified)
    assert binds(servers.slapd.ldap_url, holder.dn, chosen)

    # the app signs in and searches as before; the finished jobs' reports are there
    head = head_of_lyc(make_app(config))
    assert ROW_IDS.findall(head.get("/eleves", query_string={"q": "martin"}).get_data(as_text=True)) == searched
    assert set(report(head, first_job).values()) == {"Fait"} and len(report(head, first_job)) == len(notified)
    lp = make_app(config).test_client()
    assert sign_in(lp, "chef.lp").status_code == 302
    assert "secretariat.lp" in html.unescape(lp.get("/journal").get_data(as_text=True))
    admin = make_app(config).test_client()
    assert sign_in(admin, "admin.idt").status_code == 302
    assert admin.get(f"/alimentation/travaux/{import_job}").status_code == 200

    # the job that ran: « Interrompu », its report naming as done exactly the accounts the directory has it
    # changing, the others untouched; « Relancer » finishes it, each account changed once
    page = html.unescape(head.get(f"/travaux/{running}").get_data(as_text=True))
    assert "Interrompu" in page and "lors de la sauvegarde" in page and "Relancer l'opération" in page
    done = assert_agreement(servers, head, running, running_ids, untouched)
    assert {d for d in changed_by_job} == {records_dn.lower() for records_dn in
                                           (r.dn for r in accounts(servers.directory).read(LYC, list(done)).values())}
    seals = {i: r.sealed for i, r in accounts(servers.directory).read(LYC, list(done)).items()}
    servers.start_worker()
    assert head.post(f"/travaux/{running}/relancer", data={"csrf_token": csrf_token(page)}).status_code == 303
    wait_until(lambda: job_status(config, running) == "finished", timeout=60)
    assert assert_agreement(servers, head, running, running_ids, untouched, with_letters=True) == set(running_ids)
    now = accounts(servers.directory).read(LYC, list(done))
    assert all(now[i].sealed == seals[i] for i in done), "an account done before the backup was done again"
