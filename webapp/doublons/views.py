"""« Doublons »: the pairs the last search of the directory found, with their evidence (the identity team: every
establishment or one; a head: those touching their establishment, read only); a pair side by side, its merge asked
for, conditional on what the page showed; a merge's undo, saying first what the kept account changed since."""
from __future__ import annotations

import hashlib
import re
import secrets

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from directory import audit
from directory.duplicates import merge as merging
from directory.duplicates import pairs as found_pairs
from directory.duplicates.rules import DUPLICATE, KIND_LABELS, SIBLINGS, STUDENT, keeper
from directory.duplicates.scan import read_accounts
from directory.model import AccountOrigin, AccountState, Role

from ..access import current_uai, staff
from ..edge import one_of
from ..extensions import directory
from ..jobs.launch import launch
from ..jobs.views import page_of, serve_reports
from ..rights import Right, guard, may, requires
from .jobs import EVERYTHING, MERGE, SCAN, UNDO

bp = Blueprint("doublons", __name__, url_prefix="/doublons")
guard(bp, Right.SEE_DUPLICATES)     # every URL, fragments included; merging asks MERGE_DUPLICATES besides
serve_reports(bp)
KINDS = {"doublons": DUPLICATE, "freres": SIBLINGS}
PAGE_NUMBER = re.compile(r"[0-9]{1,5}")
CSN = re.compile(r"[0-9]{14}\.[0-9]{6}Z#[0-9a-f]{6}#[0-9a-f]{3}#[0-9a-f]{6}")
CONFIRM = "meme-personne"
UNDO_CONFIRM = "confirmer-annulation"


INCOMPLETE = "La page est incomplète ou trop ancienne : rechargez-la, puis recommencez."


def _token(problems: list[str]) -> str:
    """The page's one-use token, which names the job it asks for (the same confirmation posted twice makes one
    job); anything else is refused."""
    token = request.form.get("confirmation", "")
    if not (token.isascii() and token.isalnum() and 16 <= len(token) <= 64):
        problems.append(INCOMPLETE)
    return token


def _checked(problems: list[str], nothing_done: str) -> str | None:
    """The page's token when nothing stands in the way; else None, each problem said with what was not done."""
    token = _token(problems)
    for problem in problems:
        flash(f"{problem} {nothing_done}", "error")
    return None if problems else token


def _admin() -> bool:
    return may(staff().role, Right.MERGE_DUPLICATES)


def _scope(problems: list[str]) -> str | None:
    """The establishment the list is scoped to: the identity team chooses one or none (every one); anyone else
    sees their own, whatever the address says."""
    if staff().role is not Role.ADMIN:
        return current_uai()
    wanted = request.args.get("etablissement", "")
    if wanted and wanted not in staff().uais:
        problems.append("Cet établissement n'existe pas : choisissez-le dans la liste.")
        return None
    return wanted or None


def last_scan():
    """The last search of the directory that ended (its record: when, by whom, what it found)."""
    found = [t for t in audit.jobs_of_action(directory.current, SCAN) if t.state == audit.CLOSED]
    return found[0] if found else None


@bp.route("")
def index():
    return _list()


def _list(refused: bool = False):
    problems: list[str] = []
    uai = _scope(problems)
    shown = one_of(request.args, "type", tuple(KINDS), problems,
                   "Ce type de paires n'existe pas : choisissez-le dans la liste.", "doublons")
    raw_page = request.args.get("page", "1") or "1"
    if not PAGE_NUMBER.fullmatch(raw_page):
        problems.append("Le numéro de page n'est pas valide.")
        raw_page = "1"
    found = found_pairs.page(directory.current, KINDS[shown], uai, int(raw_page)) if not problems else None
    names = {e.uai: e.name for e in directory.current.establishments()}
    merges = [r for r in merging.records(directory.current) if r.undoable()] if _admin() else []
    return render_template("doublons/index.html", current_tab="doublons.index", found=found, problems=problems,
                           shown=shown, kinds={k: KIND_LABELS[v] for k, v in KINDS.items()}, uai=uai or "",
                           names=names, scan=last_scan(), admin=_admin(), merges=merges,
                           establishments=directory.current.establishments() if staff().role is Role.ADMIN else [],
                           states=_STATES, origins=_ORIGINS, confirmation=secrets.token_hex(16)), \
        400 if problems or refused else 200


_STATES = {s.value: s.label for s in AccountState}
_ORIGINS = {o.value: o.label for o in AccountOrigin}


@bp.route("/recherche", methods=["POST"])
@requires(Right.MERGE_DUPLICATES)
def search():
    """The search of the whole directory, as a job (one at a time: a second asked while one runs joins it)."""
    owner, problems = staff().uid, []
    token = _checked(problems, "Aucune recherche n'a été lancée.")
    if token is None:
        return _list(refused=True)
    job_id = hashlib.sha256(f"{owner}:{SCAN}:{token}".encode()).hexdigest()[:32]
    job = launch(SCAN, job_id, owner, "", "students", list(EVERYTHING), {}, audited=[])
    return redirect(page_of(job), 303)


def _pair_or_404(pair_id: str):
    pair = found_pairs.one(directory.current, pair_id)
    if pair is None or (staff().role is not Role.ADMIN and not pair.touches(current_uai())):
        abort(404)
    return pair


def _now(pair):
    """The two accounts as they are now (None: gone) and their versions (what a merge is conditional on)."""
    versions: dict[str, str] = {}
    kind = pair.first.kind
    read = read_accounts(directory.current, kind, [pair.first.account_id, pair.second.account_id], versions)
    return [read.get(s.account_id) for s in pair.sides], versions


@bp.route("/paire/<pair_id>")
def pair(pair_id):
    return _pair_page(_pair_or_404(pair_id))


def _pair_page(found, status: int = 200, chosen: str = ""):
    """A pair side by side as its accounts are now; for the identity team, the merge's form (the kept account
    proposed, or as chosen)."""
    now, versions = _now(found)
    merge = merging.read_record(directory.current, found.merge) if found.merge else None
    default = chosen or (keeper(*now).account_id if all(now) else "")
    names = {e.uai: e.name for e in directory.current.establishments()}
    return render_template("doublons/pair.html", current_tab="doublons.index", pair=found, now=now,
                           versions=versions, default=default, merge=merge, admin=_admin(), names=names,
                           children=_children(now),
                           places={side.account_id: ", ".join(f"{u} {names.get(u, '')}".strip() for u in side.uais)
                                   for side in now if side is not None},
                           states=_STATES, origins=_ORIGINS, confirm=CONFIRM, confirmation=secrets.token_hex(16),
                           kinds=KIND_LABELS), status


def _children(now) -> dict[str, str]:
    """Each parent's children by name, sorted (the evidence « même enfant » is read by name, never a count)."""
    parents = [side for side in now if side is not None and side.kind == "parent"]
    wanted = {child for side in parents for child in side.children}
    read = read_accounts(directory.current, "student", wanted) if wanted else {}
    return {side.account_id: ", ".join(sorted(read[c].name if c in read else "compte introuvable"
                                              for c in side.children)) for side in parents}


@bp.route("/paire/<pair_id>/fusion", methods=["POST"])
@requires(Right.MERGE_DUPLICATES)
def merge(pair_id):
    found = _pair_or_404(pair_id)
    ids = [s.account_id for s in found.sides]
    kept = request.form.get("garde", "")
    shown = {i: request.form.get(f"version-{i}", "") for i in ids}
    problems = []
    if found.kind != DUPLICATE:
        problems.append("Ces deux comptes sont deux personnes (frères et sœurs probables) : ils ne se fusionnent pas.")
    if found.merge:
        problems.append("Cette paire est déjà fusionnée.")
    if kept not in ids:
        problems.append("Choisissez le compte gardé parmi les deux.")
    if not all(CSN.fullmatch(v) for v in shown.values()):
        problems.append("La page de la paire est incomplète : rouvrez-la.")
    if request.form.get(CONFIRM) not in ("y", "on"):
        problems.append("Cochez la case qui confirme que ces deux comptes sont la même personne.")
    token = _checked(problems, "Rien n'a été fusionné.")
    if token is None:
        return _pair_page(found, 400, kept if kept in ids else "")
    dropped = next(i for i in ids if i != kept)
    sides = {s.account_id: s for s in found.sides}
    owner = staff().uid
    job_id = hashlib.sha256(f"{owner}:{MERGE}:{pair_id}:{token}".encode()).hexdigest()[:32]
    options = {"kind": found.first.kind, "kept": kept, "dropped": dropped, "pair": pair_id,
               "shown": {"kept": shown[kept], "dropped": shown[dropped]},
               "names": {i: f"{s.name} ({s.identifier or 'jamais notifié'})" for i, s in sides.items()}}
    uai = (sides[kept].uais or sides[dropped].uais or ("",))[0]
    job = launch(MERGE, job_id, owner, uai, "students" if found.first.kind == STUDENT else "guardians",
                 [kept, dropped], options)
    return redirect(page_of(job), 303)


def _merge_or_404(merge_id: str):
    record = merging.read_record(directory.current, merge_id) if merge_id.isalnum() and len(merge_id) <= 64 else None
    if record is None:
        abort(404)
    return record


@bp.route("/fusions/<merge_id>")
@requires(Right.MERGE_DUPLICATES)
def merged(merge_id):
    return _undo_page(_merge_or_404(merge_id))


def _undo_page(record, status: int = 200):
    """A merge: what it did, until when it can be undone, what the kept account changed since, and the undo's form."""
    return render_template("doublons/undo.html", current_tab="doublons.index", record=record,
                           since=merging.changed_since(directory.current, record) if record.state == merging.MERGED
                           else [], blockers=merging.undo_blockers(directory.current, record), confirm=UNDO_CONFIRM,
                           confirmation=secrets.token_hex(16)), status


@bp.route("/fusions/<merge_id>/annulation", methods=["POST"])
@requires(Right.MERGE_DUPLICATES)
def undo(merge_id):
    record = _merge_or_404(merge_id)
    blockers = merging.undo_blockers(directory.current, record)
    problems = list(blockers)
    if request.form.get(UNDO_CONFIRM) not in ("y", "on"):
        problems.append("Cochez la case qui confirme l'annulation.")
    token = _checked(problems, "Rien n'a été changé.")
    if token is None:
        return _undo_page(record, 400)
    plan = record.plan
    owner = staff().uid
    job_id = hashlib.sha256(f"{owner}:{UNDO}:{merge_id}:{token}".encode()).hexdigest()[:32]
    options = {"merge": merge_id, "kept": plan.kept, "dropped": plan.dropped,
               "names": {plan.kept: plan.names.get("kept", plan.kept), plan.dropped: plan.names.get("dropped", plan.dropped)}}
    job = launch(UNDO, job_id, owner, plan.uais[0] if plan.uais else "",
                 "students" if plan.kind == STUDENT else "guardians", [plan.kept, plan.dropped], options)
    return redirect(page_of(job), 303)
