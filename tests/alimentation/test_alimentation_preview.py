"""The preview of the demo's next-year exports, on the real slapd with the demo loaded: its counts are those
the generator put in, and reading them changes nothing."""
from __future__ import annotations

from pathlib import Path

import pytest

from devtools.demo_exports import CONFLICTS, FOLDER, NEXT_YEAR, demo_exports
from directory.registry.files import read_upload
from directory.registry.preview import CATEGORIES, CONFLICT, PARENT, STUDENT, make_preview

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def exports():
    return demo_exports()


def _files(exports, folder):
    found = []
    for relative, content in sorted(exports.files.items()):
        if relative.startswith(folder + "/"):
            found += read_upload(relative.split("/")[-1], content)
    return found


def test_the_committed_demo_exports_are_what_the_generator_makes(exports):
    for relative, content in exports.files.items():
        path = ROOT / FOLDER / relative
        assert path.read_bytes() == content, f"{path} is stale: run `make demo-exports`"


def test_next_year_preview_counts_match_the_generator(demo_directory, exports):
    preview = make_preview(demo_directory, _files(exports, NEXT_YEAR))
    expected = exports.expected["next_year"]
    for establishment in preview.establishments:
        counts = {c: establishment.count(c, STUDENT) for c in CATEGORIES}
        assert counts == expected["students"][establishment.uai], establishment.uai
    parents = {c: sum(e.count(c, PARENT) for e in preview.establishments) for c in ("create", "update", "unchanged",
                                                                                   "conflict")}
    assert parents == expected["parents"]
    assert [e.uai for e in preview.establishments if e.brake] == expected["brake"]
    keys = [r.key for r in preview.rows()]      # the job's report is per key: one row per account
    assert len(keys) == len(set(keys))


def test_the_mover_is_a_move_with_old_and_new_values(demo_directory, exports):
    preview = make_preview(demo_directory, _files(exports, NEXT_YEAR))
    mover = exports.expected["next_year"]["mover"]
    row = next(r for r in preview.rows() if r.ine == mover["ine"])
    assert (row.category, row.uai) == ("move-in", mover["to"])
    assert ["Établissement", mover["from"], mover["to"]] in row.changes
    lyc = next(e for e in preview.establishments if e.uai == mover["from"])
    assert len(lyc.moving_out) == 1 and not any(r.ine == mover["ine"] for r in lyc.rows)


def test_each_conflict_blocks_its_row_only(demo_directory, exports):
    preview = make_preview(demo_directory, _files(exports, CONFLICTS))
    expected = exports.expected["conflicts"]
    conflicts = {e.uai: e.count(CONFLICT, STUDENT) for e in preview.establishments}
    assert {k: v for k, v in conflicts.items() if v} == expected["students"]
    reasons = " | ".join(r.reason for r in preview.rows() if r.category == CONFLICT)
    for words in ("Le même INE figure 2 fois", "né le", "Ligne sans INE", "Doublon probable", "Date de naissance invalide",
                  "UAI invalide", "n'est pas un établissement de l'annuaire", "formule de tableur",
                  "Responsable lié à un élève inconnu"):
        assert words in reasons, words
    assert sum(e.count(CONFLICT, PARENT) for e in preview.establishments) == expected["parents"]
    clg = next(e for e in preview.establishments if e.uai == "0990001N")
    assert clg.count("create", STUDENT) == 40 and clg.count("unchanged", STUDENT) > 400
    # the LP is named only by a row of Sésame's CSV (in conflict): that CSV is not a whole-school export, so
    # none of the LP's 488 students leaves (it once made them all leavers)
    lp = next(e for e in preview.establishments if e.uai == "0990002P")
    assert not lp.whole_school
    assert {c: lp.count(c, STUDENT) for c in CATEGORIES} == {**dict.fromkeys(CATEGORIES, 0), CONFLICT: 1}
