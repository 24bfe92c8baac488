"""What lets two versions run side by side during an upgrade (README « Upgrades without a stop »): migrations that
only add, and jobs that only reach the workers that know their kind and format."""
from dataclasses import dataclass

from directory.ldif import parse
from directory.migrations import available
from webapp.jobs import formats

ADDITIVE_SINCE = "0009"     # every migration from this one on only adds: the code of the version before survives it


def _subtractions(path) -> list[str]:
    found = []
    for change in parse(path.read_text(encoding="utf-8")):
        if change.kind not in ("add", "modify"):
            found.append(f"{change.kind} {change.dn}")
        found += [f"{op}: {attribute} on {change.dn}" for op, attribute, _ in change.modifications if op != "add"]
    return found


def test_every_migration_since_0009_only_adds_entries_values_schema_and_indexes():
    checked = [path for path in available() if path.name >= ADDITIVE_SINCE]
    assert len(checked) >= 8
    assert {path.name: _subtractions(path) for path in checked if _subtractions(path)} == {}


def test_the_additive_check_sees_what_older_migrations_replaced():
    """The guard above catches a migration that replaces or deletes (0003 replaces the database's ACLs)."""
    older = {path.name: _subtractions(path) for path in available() if path.name < ADDITIVE_SINCE}
    assert any("replace: olcAccess" in said for found in older.values() for said in found)


@dataclass
class _Job:
    kind: str
    format: int


def test_a_worker_receives_only_jobs_of_kinds_and_formats_it_knows():
    assert formats.queue_names(["reset", "notify"], format=2) == [
        "sesame-notify-2", "sesame-reset-2", "sesame-notify-1", "sesame-reset-1", "sesame"]
    assert formats.queue_name("notify", formats.LEGACY) == "sesame"
    assert formats.takes(_Job("notify", 1), ["notify"], format=1)
    assert formats.takes(_Job("notify", 0), ["notify"], format=1)
    assert not formats.takes(_Job("notify", 2), ["notify"], format=1)
    assert not formats.takes(_Job("merge", 1), ["notify"], format=1)


def test_a_job_page_counts_only_the_workers_that_would_receive_the_job():
    this_version = {"format": 1, "kinds": ["notify", "reset"]}
    before_formats = {}         # a worker of a version before formats said only the time
    assert formats.able(this_version, _Job("notify", 1)) and formats.able(this_version, _Job("notify", 0))
    assert not formats.able(this_version, _Job("notify", 2)) and not formats.able(this_version, _Job("merge", 1))
    assert formats.able(before_formats, _Job("notify", 0)) and not formats.able(before_formats, _Job("notify", 1))
