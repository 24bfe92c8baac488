"""Loading the demo directory (devtools.demo) into a running slapd, fast: parallel adds, cheap hashes.
`python -m devtools.demo_load`: the demo over LDAP into the directory the environment's settings name, once."""
from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor
from itertools import groupby

import ldap3

from directory import attributes as A
from directory.errors import NotFound
from directory.ldif import dump
from directory.passwords import PasswordHasher, Sealer
from directory.repository import Directory

from .demo import build_demo
from .slapd import EmbeddedSlapd

# Demo passwords only: a light argon2id so that thousands of demo accounts load in seconds.
# slapd reads the cost from each hash, so these verify like any other; real passwords use the
# configured cost.
DEMO_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
DEMO_MARKER_UAI = "0990001N"


def _phase(entry) -> tuple[int, str]:
    """Entries that can be added together: same branch, same depth."""
    return (entry.dn.count(","), entry.dn.split(",", 1)[1])


def is_loaded(directory: Directory) -> bool:
    try:
        directory.establishment(DEMO_MARKER_UAI)
        return True
    except NotFound:
        return False


def _build(directory: Directory, seal_key: bytes):
    return build_demo(directory.suffix, hash_password=DEMO_HASHER.hash, seal=Sealer(seal_key).seal)


def _add_admins(directory: Directory, admin_dns) -> None:
    group = f"cn={A.ADMIN_GROUP_CN},{directory.base(A.GROUPS)}"
    if admin_dns:
        directory.writes.run(lambda conn: conn.modify(
            group, {A.MEMBER: [(ldap3.MODIFY_ADD, list(admin_dns))]}))


def load_demo(directory: Directory, seal_key: bytes, workers: int = 4) -> str:
    """Over LDAP, into any directory the service identity may write to."""
    if is_loaded(directory):
        return "demo data already loaded: nothing to do"
    started = time.monotonic()
    data = _build(directory, seal_key)

    def add(entry):
        # slapd refuses pwdLastSuccess and pwdChangedTime over LDAP (no-user-modification): over LDAP the
        # demo has no last sign-in dates nor expired provisional passwords; load_demo_offline keeps them.
        attributes = {k: v for k, v in entry.attributes.items() if k not in (A.PWD_LAST_SUCCESS, A.PWD_CHANGED_TIME)}

        def operation(conn):
            conn.add(entry.dn, list(entry.object_classes), attributes)
        directory.writes.run(operation)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        # keep the generator's order between phases: parents exist before their children
        for _, phase in groupby(data.entries, key=_phase):
            list(pool.map(add, list(phase)))

    _add_admins(directory, data.admin_dns)
    elapsed = time.monotonic() - started
    return f"demo data loaded: {len(data.entries)} entries in {elapsed:.1f} s"


def load_demo_offline(directory: Directory, seal_key: bytes, slapd: EmbeddedSlapd) -> str:
    """Into the embedded slapd, with slapadd: the same entries as load_demo, in about a second."""
    if is_loaded(directory):
        return "demo data already loaded: nothing to do"
    started = time.monotonic()
    data = _build(directory, seal_key)
    path = slapd.root / "demo.ldif"
    with open(path, "w", encoding="utf-8") as out:
        for entry in data.entries:
            out.write(dump(entry.dn, {A.OBJECT_CLASS: list(entry.object_classes), **entry.attributes}))
    try:
        slapd.load(path)
    finally:
        path.unlink()
    directory.writes.close()   # those connections died with the restart
    directory.reads.close()
    _add_admins(directory, data.admin_dns)
    elapsed = time.monotonic() - started
    return f"demo data loaded: {len(data.entries)} entries in {elapsed:.1f} s"


def main() -> int:
    """The demo into the directory of the environment's settings (SESAME_*), as the service identity; a second
    run does nothing."""
    from directory.errors import DirectoryError
    from webapp import create_app
    from webapp.config import seal_key
    from webapp.extensions import directory

    app = create_app()
    with app.app_context():
        try:
            print(load_demo(directory.current, seal_key(app.config)))
        except DirectoryError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
