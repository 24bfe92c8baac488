"""The search for duplicates on a directory where a known set was planted beside the demo (devtools/planted.py):
the same INE twice, pupils recreated by hand without INE in another school, parents created twice (same e-mail, same
phone, same child), and 50 pairs of twins, 50 pairs of siblings, 5 pairs of namesakes born the same day with two real
INEs. Every planted duplicate is found, none of the others is proposed, each pair reads in French with its evidence;
the pairs kept in the directory are read by establishment; a parent's merge, stopped halfway, goes on, and its undo
gives both entries back."""
from __future__ import annotations

import subprocess

import pytest

from devtools.planted import plant
from directory.duplicates import merge as merging
from directory.duplicates import pairs, scan
from directory.duplicates.rules import DUPLICATE, SIBLINGS
from support import SUFFIX, demo_on_own_slapd

UAIS = ["0990001N", "0990002P", "0990003R"]


@pytest.fixture(scope="module")
def planted_directory(tmp_path_factory):
    folder = tmp_path_factory.mktemp("planted")
    slapd, directory = demo_on_own_slapd(folder)
    path = folder / "planted.ldif"
    with open(path, "w", encoding="utf-8") as out:
        planted = plant(out, SUFFIX, UAIS)
    slapd.load(path)            # slapadd: the same INE twice gets in, as into a directory filled before 0020
    directory.writes.close()
    directory.reads.close()
    yield slapd, directory, planted, scan.find(directory)
    directory.close()
    slapd.stop()


def _found(findings, kind):
    return {(f.first.account_id, f.second.account_id): f for f in findings.found if f.verdict.kind == kind}


def test_every_planted_duplicate_is_found_and_nothing_else_is_proposed(planted_directory):
    _, _, planted, findings = planted_directory
    duplicates = _found(findings, DUPLICATE)
    assert set(planted.duplicates) <= set(duplicates)
    assert not planted.never & set(duplicates)
    # besides, only the demo's own two: a pupil of the collège recreated by hand at the LP, a parent created twice
    demo_own = [duplicates[p] for p in set(duplicates) - set(planted.duplicates)]
    assert sorted((f.first.kind, "MANUAL" in (f.first.origin, f.second.origin)) for f in demo_own) == \
        [("parent", True), ("student", True)]
    assert len(planted.twins) == 50 and len(planted.siblings) == 50 and len(planted.namesakes) == 5


def test_twins_and_namesakes_with_two_real_ines_are_listed_apart_siblings_of_one_family_not_at_all(planted_directory):
    _, _, planted, findings = planted_directory
    siblings = _found(findings, SIBLINGS)
    assert set(planted.twins) | set(planted.namesakes) <= set(siblings)
    assert not set(planted.siblings) & (set(siblings) | set(_found(findings, DUPLICATE)))
    twin = siblings[planted.twins[0]]
    assert twin.verdict.reasons == ("même nom de famille et même date de naissance, prénoms différents : jumeaux "
                                    "probables",)


def test_each_pair_reads_in_french_with_its_evidence(planted_directory):
    _, _, planted, findings = planted_directory
    duplicates = _found(findings, DUPLICATE)
    said = {what: duplicates[pair].verdict.reasons for pair, what in planted.duplicates.items()}
    assert said["même INE"][0] == "même INE"
    assert said["sans INE, autre établissement"] == ("même nom et même date de naissance, établissements différents",
                                                      "un élève sans INE")
    assert said["responsable en double (mail)"] == ("même nom et même adresse mail",)
    assert said["responsable en double (phone)"] == ("même nom et même téléphone",)
    assert said["responsable en double (child)"] == ("même nom et même enfant",)
    by_ine = next(f for p, f in duplicates.items() if planted.duplicates[p] == "même INE")
    assert by_ine.first.ine == by_ine.second.ine and by_ine.first.ine_valid
    assert set(by_ine.first.uais) != set(by_ine.second.uais) and by_ine.first.birth == by_ine.second.birth


def test_the_pairs_kept_are_read_surest_first_by_establishment_and_written_once(planted_directory):
    _, directory, planted, findings = planted_directory
    counts = pairs.keep(directory, findings, "scan-1")
    assert counts["added"] == len(findings.found) and counts["removed"] == 0
    assert pairs.keep(directory, findings, "scan-2")["unchanged"] == len(findings.found)
    everywhere = pairs.page(directory, DUPLICATE, None, size=100)
    assert everywhere.total == len(planted.duplicates) + 2
    assert [p.score for p in everywhere.pairs] == sorted((p.score for p in everywhere.pairs), reverse=True)
    lp = pairs.page(directory, DUPLICATE, "0990002P", size=100)
    assert lp.pairs and all(p.touches("0990002P") for p in lp.pairs) and lp.total < everywhere.total
    assert pairs.page(directory, SIBLINGS, None, 1, 20).total >= 55


def _ldif(slapd, entry_dn: str) -> list[str]:
    text = subprocess.run(["ldapsearch", "-Q", "-LLL", "-o", "ldif-wrap=no", "-Y", "EXTERNAL", "-H", slapd.ldapi_url,
                           "-b", entry_dn, "-s", "base", "*", "+"], capture_output=True, text=True).stdout
    return sorted(line for line in text.splitlines()
                  if line and line.split(":")[0] not in ("modifyTimestamp", "modifiersName", "entryCSN"))


def test_a_parents_merge_stopped_halfway_goes_on_and_its_undo_gives_both_back(planted_directory, monkeypatch):
    slapd, directory, planted, findings = planted_directory
    pair = next(f for f in findings.found if planted.duplicates.get((f.first.account_id, f.second.account_id), "")
                .endswith("(mail)"))
    versions: dict = {}
    people = scan.read_accounts(directory, "parent", [pair.first.account_id, pair.second.account_id], versions)
    kept, dropped = sorted(people.values(), key=lambda p: p.state != "ACTIVE")
    dns = {p.account_id: f"sesameAccountId={p.account_id},ou=guardians,{SUFFIX}" for p in (kept, dropped)}
    before = {i: _ldif(slapd, d) for i, d in dns.items()}
    shown = {"kept": versions[kept.account_id], "dropped": versions[dropped.account_id]}

    def stops(*args):
        raise RuntimeError("the worker died here")
    with monkeypatch.context() as patched:
        patched.setattr(merging.marks, "modify_marked", lambda *a, **k: (_real(*a, **k), stops())[0])
        with pytest.raises(RuntimeError):
            merging.merge(directory, "c" * 32, "parent", kept.account_id, dropped.account_id, shown, "admin.idt")
    assert merging.read_record(directory, "c" * 32).state == merging.MERGING       # its record says it began
    assert merging.merge(directory, "c" * 32, "parent", kept.account_id, dropped.account_id, shown, "admin.idt").done
    children = directory.read_entry(dns[kept.account_id], ["sesameChild"])["attributes"]["sesameChild"]
    assert len(children) == len(set(kept.children) | set(dropped.children)) == 2
    assert directory.read_entry(dns[dropped.account_id], ["1.1"]) is None
    assert merging.undo(directory, "c" * 32, "admin.idt").done
    assert {i: _ldif(slapd, d) for i, d in dns.items()} == before


_real = merging.marks.modify_marked


def test_once_its_days_are_past_a_merge_lets_the_set_aside_account_go_and_reserves_its_identifier(planted_directory):
    from datetime import timedelta

    from directory.reserved import reserved
    slapd, directory, planted, findings = planted_directory
    pair = next(f for f in findings.found if planted.duplicates.get((f.first.account_id, f.second.account_id), "")
                == "sans INE, autre établissement")
    versions: dict = {}
    people = scan.read_accounts(directory, "student", [pair.first.account_id, pair.second.account_id], versions)
    dropped, kept = sorted(people.values(), key=lambda p: p.state != "ACTIVE")     # the one with an identifier goes
    dns = [f"sesameAccountId={p.account_id},ou=students,{SUFFIX}" for p in (kept, dropped)]
    before = [_ldif(slapd, d) for d in dns]
    # the kept account takes the other's INE (the other out of the students' branch first), and gives it back
    assert merging.merge(directory, "e" * 32, "student", kept.account_id, dropped.account_id,
                         {"kept": versions[kept.account_id], "dropped": versions[dropped.account_id]}, "admin.idt").done
    assert scan.read_accounts(directory, "student", [kept.account_id])[kept.account_id].ine == dropped.ine
    assert merging.undo(directory, "e" * 32, "admin.idt").done
    assert [_ldif(slapd, d) for d in dns] == before
    scan.read_accounts(directory, "student", [kept.account_id, dropped.account_id], versions)
    assert merging.merge(directory, "d" * 32, "student", kept.account_id, dropped.account_id,
                         {"kept": versions[kept.account_id], "dropped": versions[dropped.account_id]}, "admin.idt").done
    record = merging.read_record(directory, "d" * 32)
    assert merging.purge(directory, now=record.created + timedelta(days=merging.UNDO_DAYS - 1)) == 0
    assert merging.purge(directory, now=record.created + timedelta(days=merging.UNDO_DAYS + 1)) >= 1
    assert merging.read_record(directory, "d" * 32) is None
    assert directory.read_entry(record.plan.parked_dn, ["1.1"]) is None
    assert dropped.identifier and dropped.identifier in reserved(directory)


def test_the_same_ine_twice_merges_but_is_never_undone_into_two_accounts_on_one_ine(planted_directory):
    _, directory, planted, findings = planted_directory
    pair = next(p for p, what in planted.duplicates.items() if what == "même INE")
    versions: dict = {}
    people = scan.read_accounts(directory, "student", list(pair), versions)
    kept, dropped = sorted(people.values(), key=lambda p: p.state != "ACTIVE")
    assert merging.merge(directory, "f" * 32, "student", kept.account_id, dropped.account_id,
                         {"kept": versions[kept.account_id], "dropped": versions[dropped.account_id]}, "admin.idt").done
    blockers = merging.undo_blockers(directory, merging.read_record(directory, "f" * 32))
    assert blockers == [f"Les deux comptes portaient le même INE ({kept.ine}) : l'annuaire n'admet qu'un compte par "
                        f"INE, l'annulation les remettrait à deux sur un INE. Elle est impossible."]
    assert not merging.undo(directory, "f" * 32, "admin.idt").done
