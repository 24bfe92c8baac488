"""Merging two accounts into the one the person uses, and undoing it for UNDO_DAYS days. The merge writes its record
first (ou=merges: the kept account's values before, the parents' links it moves), then moves the parents' links to
the kept account, sets the other account aside whole below the record (its identifier stays taken: never given
again), then writes the kept account (the other's registry identifiers, links and history carried over, with the
merge's mark); each step is found done again after a crash, so a merge resumed finishes what it began. The undo
puts everything back — except what the kept account changed since, said before it is asked — and a daily purge
removes, once the days are past, what the undo kept (the identifier then reserved under ou=reserved for good)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import ldap3

from .. import attributes as A
from .. import ine as ines
from .. import marks
from ..errors import AlreadyExists, Conflict, NotFound
from ..escaping import dn, equals, rdn
from ..mapping import first, parse_time
from ..reserved import reserve_identifier
from . import pairs
from .rules import PARENT, STUDENT

UNDO_DAYS = 30
MERGING, MERGED, UNDOING, UNDONE = "merging", "merged", "undoing", "undone"
MERGE, UNDO = "duplicates-merge", "duplicates-undo"       # the journal's actions (the kinds of job)
BRANCH = {STUDENT: A.STUDENTS, PARENT: A.GUARDIANS}
# what an entry is, for the comparison of before and after: every attribute a person or a service can change
# (the user attributes, ppolicy's) and those that say when it was made; not those any write renews
OPERATIONAL = ["createTimestamp", "creatorsName", "entryUUID", A.PWD_CHANGED_TIME, A.PWD_LAST_SUCCESS,
               A.PWD_ACCOUNT_LOCKED_TIME, A.PWD_RESET, "pwdFailureTime", "pwdHistory"]
WHOLE = ["*", "entryCSN"] + OPERATIONAL
CHANGED_MEANWHILE = ("Un des deux comptes a changé depuis que la paire a été affichée : rien n'a été fusionné. "
                     "Rouvrez la paire pour voir ce qu'il est devenu.")
GONE = "Un des deux comptes n'existe plus (supprimé ou déjà fusionné) : rien n'a été fusionné."
NOT_SAME_KIND = "Un élève et un responsable ne se fusionnent pas."
LABELS = {A.USER_PASSWORD: "mot de passe", A.PWD_CHANGED_TIME: "mot de passe", A.MAIL: "adresse mail",
          A.MAIL_VERIFIED: "adresse mail confirmée", A.ACCOUNT_STATE: "statut du compte", A.CLASS_CODE: "classe",
          A.MEF_CODE: "MEF", A.UAI: "établissement", A.EXTERNAL_UAI: "établissements de cours partagés",
          A.INE: "INE", A.BIRTH_DATE: "date de naissance", A.SURNAME: "nom", A.GIVEN_NAME: "prénom", A.CN: "nom",
          A.UID: "identifiant", A.CHILD: "enfants", A.NOTIFICATION_DATE: "date de notification",
          A.SEALED_PASSWORD: "mot de passe provisoire", A.PWD_RESET: "changement de mot de passe demandé",
          A.PWD_ACCOUNT_LOCKED_TIME: "verrouillage", A.LEFT_ON: "départ", A.LEFT_UAI: "départ",
          A.PREFERRED_LANGUAGE: "langue des courriers", A.ACTIVATION_DATE: "date d'activation",
          A.LAST_JOB: "dernière opération", A.PASSWORD_STAMP: "mot de passe"}
_QUIET = {A.LAST_JOB, A.SEARCH_KEY, A.SORT_NAME, A.OBJECT_CLASS, "pwdFailureTime", A.PWD_LAST_SUCCESS}


def _text(values) -> list[str]:
    return [v.decode("utf-8", "surrogateescape") if isinstance(v, bytes) else str(v) for v in values]


def _digest(values) -> str:
    raw = sorted(v if isinstance(v, bytes) else str(v).encode() for v in values)
    return hashlib.sha256(b"\0".join(raw)).hexdigest()[:24]


def snapshot(directory, entry_dn: str) -> dict[str, list[bytes]] | None:
    """An entry whole, as the comparison of before and after reads it (raw values, bookkeeping left out)."""
    found = directory.read_entry(entry_dn, ["*"] + OPERATIONAL)
    return {k: sorted(v) for k, v in found["raw_attributes"].items()} if found else None


@dataclass
class Plan:
    """What a merge does and what its undo needs; kept, as JSON, in the merge's record."""
    kind: str
    kept: str
    dropped: str
    kept_dn: str
    dropped_dn: str
    parked_dn: str
    shown: dict                             # entryCSN of each account as the pair's page showed them
    before: dict = field(default_factory=dict)   # the kept account's values the merge changes, before it
    after: dict = field(default_factory=dict)    # the same, after it
    digests: dict = field(default_factory=dict)  # every value of the kept account right after the merge
    guardians: list = field(default_factory=list)   # [parent DN, whether it had the kept account as a child too]
    claim: str = ""                         # the INE claim (ou=ines) moved from the dropped account to the kept one
    identifier: str = ""                    # the dropped account's, taken while it is set aside, then reserved
    names: dict = field(default_factory=dict)    # « NOM Prénom (identifiant) » of each
    uais: list = field(default_factory=list)
    pair: str = ""

    def to_json(self) -> str:
        return json.dumps(vars(self), sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "Plan":
        return cls(**json.loads(text))


@dataclass(frozen=True)
class MergeRecord:
    id: str
    actor: str
    state: str
    created: datetime | None
    plan: Plan

    @property
    def undo_until(self) -> datetime | None:
        return self.created + timedelta(days=UNDO_DAYS) if self.created else None

    def undoable(self, now: datetime | None = None) -> bool:
        now = now or datetime.now(timezone.utc)
        return self.state in (MERGED, UNDOING) and self.undo_until is not None and now < self.undo_until


def record_dn(directory, merge_id: str) -> str:
    return dn(A.CN, merge_id, directory.base(A.MERGES))


def read_record(directory, merge_id: str) -> MergeRecord | None:
    if not merge_id.isalnum():
        return None
    found = directory.read_entry(record_dn(directory, merge_id), [A.ACTOR, A.MERGE_STATE, A.MERGE_PLAN, A.CREATED])
    if found is None:
        return None
    entry = found["attributes"]
    return MergeRecord(merge_id, str(first(entry.get(A.ACTOR), "")), str(first(entry.get(A.MERGE_STATE), "")),
                       parse_time(first(entry.get(A.CREATED))), Plan.from_json(first(entry.get(A.MERGE_PLAN), "{}")))


def records(directory) -> list[MergeRecord]:
    """Every merge kept (those that can still be undone, and the others until the purge), newest first."""
    found = directory.search(directory.base(A.MERGES), equals(A.OBJECT_CLASS, A.OC_MERGE_RECORD),
                             [A.CN, A.ACTOR, A.MERGE_STATE, A.MERGE_PLAN, A.CREATED], ldap3.LEVEL)
    kept = [MergeRecord(str(first(e.get(A.CN))), str(first(e.get(A.ACTOR), "")), str(first(e.get(A.MERGE_STATE), "")),
                        parse_time(first(e.get(A.CREATED))), Plan.from_json(first(e.get(A.MERGE_PLAN), "{}")))
            for _, e in found]
    return sorted(kept, key=lambda r: r.created.timestamp() if r.created else 0.0, reverse=True)


def _name(entry: dict) -> str:
    name = f"{str(first(entry.get(A.SURNAME), '')).upper()} {first(entry.get(A.GIVEN_NAME), '')}".strip()
    uid = first(entry.get(A.UID), "")
    return f"{name} ({uid})" if uid else f"{name} (jamais notifié)"


def _read(directory, kind: str, account_id: str):
    found = directory.search(directory.base(BRANCH[kind]), equals(A.ACCOUNT_ID, account_id), WHOLE, ldap3.LEVEL)
    return found[0] if found else None


def _carried(kind: str, kept: dict, dropped: dict, merge_id: str) -> tuple[dict, dict]:
    """(before, after) of the kept account's attributes the merge changes: what the other brings (its registry
    identifiers, its links, its establishments of shared courses), the history it joins, the merge's mark."""
    def values(entry, name):
        return _text(entry.get(name) or [])
    before: dict[str, list] = {}
    after: dict[str, list] = {}

    def change(name, new):
        old = values(kept, name)
        if sorted(old) != sorted(new):
            before[name], after[name] = old, list(new)
    if kind == STUDENT:
        kept_ine, dropped_ine = (values(e, A.INE)[:1] for e in (kept, dropped))
        if dropped_ine and (not kept_ine or (not ines.is_valid(kept_ine[0]) and ines.is_valid(dropped_ine[0]))):
            change(A.INE, dropped_ine)
        if not values(kept, A.BIRTH_DATE) and values(dropped, A.BIRTH_DATE):
            change(A.BIRTH_DATE, values(dropped, A.BIRTH_DATE))
        change(A.EXTERNAL_UAI, list(dict.fromkeys(values(kept, A.EXTERNAL_UAI) + [
            u for u in values(dropped, A.EXTERNAL_UAI) if u not in values(kept, A.UAI)])))
    else:
        change(A.CHILD, list(dict.fromkeys(values(kept, A.CHILD) + values(dropped, A.CHILD))))
        change(A.UAI, list(dict.fromkeys(values(kept, A.UAI) + values(dropped, A.UAI))))
    history = list(dict.fromkeys(values(kept, A.MERGED_FROM) + values(dropped, A.ACCOUNT_ID)
                                 + values(dropped, A.MERGED_FROM)))
    change(A.MERGED_FROM, history)
    classes = values(kept, A.OBJECT_CLASS)
    if A.OC_MERGED_ACCOUNT.lower() not in {c.lower() for c in classes}:
        change(A.OBJECT_CLASS, classes + [A.OC_MERGED_ACCOUNT])
    change(A.LAST_JOB, [merge_id])
    return before, after


def _conditional(before: dict, after: dict) -> dict:
    """The modify that takes the kept account from `before` to `after`: each old value deleted by value (a
    value gone meanwhile refuses the whole modify: changed meanwhile), then the new ones added."""
    changes: dict[str, list] = {}
    for name, new in after.items():
        old = before.get(name, [])
        if name == A.OBJECT_CLASS:
            added = [c for c in new if c not in old]
            changes[name] = [(ldap3.MODIFY_ADD, added)] if added else []
            continue
        ops = [(ldap3.MODIFY_DELETE, old)] if old else []
        changes[name] = ops + ([(ldap3.MODIFY_ADD, new)] if new else [])
    return {k: v for k, v in changes.items() if v}


def _restoring(current: dict, plan: Plan) -> tuple[dict, list[str]]:
    """The modify that takes the kept account back to its values before the merge, for each attribute still as
    the merge left it; (modify, the attributes changed since, left as they are)."""
    changes: dict[str, list] = {}
    kept_since: list[str] = []
    now = {k.lower(): sorted(_text(v)) for k, v in current.items()}
    for name, after in plan.after.items():
        if name == A.LAST_JOB:
            continue
        if now.get(name.lower(), []) != sorted(after):
            kept_since.append(name)
            continue
        changes[name] = [(ldap3.MODIFY_REPLACE, plan.before.get(name, []))]
    if A.OBJECT_CLASS in changes and A.MERGED_FROM not in changes:
        # the class that carries sesameMergedFrom stays while the attribute does
        del changes[A.OBJECT_CLASS]
    if changes:
        changes[A.LAST_JOB] = [(ldap3.MODIFY_REPLACE, plan.before.get(A.LAST_JOB, []))]
    return changes, kept_since


def changed_since(directory, record: MergeRecord) -> list[str]:
    """What the kept account changed since the merge (its password, its e-mail…), in French, each once: the undo
    leaves it as it is now."""
    current = snapshot(directory, record.plan.kept_dn)
    if current is None:
        return ["le compte gardé a été supprimé"]
    now = {k.lower(): _digest(v) for k, v in current.items()}
    then = {k.lower(): v for k, v in record.plan.digests.items()}
    changed = [name for name in sorted(set(now) | set(then)) if now.get(name) != then.get(name)
               and name not in {q.lower() for q in _QUIET}]
    labels = {k.lower(): v for k, v in LABELS.items()}
    return list(dict.fromkeys(labels.get(name, f"autre donnée ({name})") for name in changed))


@dataclass(frozen=True)
class Outcome:
    done: bool
    reason: str = ""
    notes: tuple[str, ...] = ()


def _guardians_of(directory, child_dn: str) -> list[tuple[str, dict]]:
    return directory.search(directory.base(A.GUARDIANS), equals(A.CHILD, child_dn), [A.CHILD], ldap3.LEVEL)


def _claim_of(directory, account_id: str, ine: str) -> str:
    if not ine:
        return ""
    claim = dn(A.INE, ine, directory.base(A.INES))
    found = directory.read_entry(claim, [A.ACCOUNT_ID])
    return claim if found and first(found["attributes"].get(A.ACCOUNT_ID)) == account_id else ""


def _move_claim(directory, claim: str, old: str, new: str) -> None:
    if not claim:
        return
    found = directory.read_entry(claim, [A.ACCOUNT_ID])
    if found is None or first(found["attributes"].get(A.ACCOUNT_ID)) != old:
        return
    try:
        directory.writes.run(lambda conn: conn.modify(claim, {A.ACCOUNT_ID: [(ldap3.MODIFY_DELETE, [old]),
                                                                           (ldap3.MODIFY_ADD, [new])]}))
    except (Conflict, NotFound):
        pass


def _relink(directory, guardian_dn: str, remove: str, add: str | None) -> bool:
    """One parent's link moved from `remove` to `add` (None: only removed); False when it is not there."""
    found = directory.read_entry(guardian_dn, [A.CHILD])
    if found is None:
        return False
    have = {c.lower() for c in _text(found["attributes"].get(A.CHILD) or [])}
    if remove.lower() not in have:
        return add is None or add.lower() in have
    changes = [(ldap3.MODIFY_DELETE, [remove])] + ([(ldap3.MODIFY_ADD, [add])] if add and add.lower() not in have else [])
    try:
        directory.writes.run(lambda conn: conn.modify(guardian_dn, {A.CHILD: changes}))
    except (Conflict, NotFound):
        return False
    return True


def merge(directory, merge_id: str, kind: str, kept_id: str, dropped_id: str, shown: dict, actor: str,
          pair_id: str = "") -> Outcome:
    """Merge `dropped_id` into `kept_id`, conditional on both being as `shown` (their entryCSN); a merge stopped
    halfway goes on from its record. The journal's record is the job's (webapp)."""
    record = read_record(directory, merge_id)
    if record is None:
        found = _start(directory, merge_id, kind, kept_id, dropped_id, shown, actor, pair_id)
        if isinstance(found, Outcome):
            return found
        plan = found
    elif record.state in (MERGED, UNDOING, UNDONE):
        return Outcome(True)
    else:
        plan = record.plan
    # 1. the other account, still as the page showed it: its parents' links moved to the kept account first (moving
    # the entry would have refint point them at its new place), then the entry set aside whole, below the record
    if directory.read_entry(plan.dropped_dn, ["1.1"]) is not None:
        current = directory.read_entry(plan.dropped_dn, ["entryCSN"])
        if str(first(current["attributes"].get("entryCSN"), "")) != plan.shown.get("dropped"):
            _put_back(directory, plan)
            _forget(directory, merge_id)
            return Outcome(False, CHANGED_MEANWHILE)
        for guardian_dn, _ in plan.guardians:
            _relink(directory, guardian_dn, plan.dropped_dn, plan.kept_dn)
        directory.writes.run(lambda conn: conn.modify_dn(plan.dropped_dn, rdn(A.ACCOUNT_ID, plan.dropped),
                                                         new_superior=record_dn(directory, merge_id)))
    # 2. the kept account, conditional on the values read (its mark says it was written, after a lost answer); it
    # may take the other's INE now that the other is out of the students' branch
    kept = directory.read_entry(plan.kept_dn, [A.LAST_JOB])
    if kept is None or not marks.carries(kept["attributes"], merge_id):
        try:
            if kept is None:
                raise NotFound(plan.kept_dn)
            marks.modify_marked(directory, plan.kept_dn, _conditional(plan.before, plan.after), merge_id)
        except (Conflict, NotFound):
            if kept is None or not marks.has_mark(directory, plan.kept_dn, merge_id):
                _bring_back(directory, plan)
                _put_back(directory, plan)
                _forget(directory, merge_id)
                return Outcome(False, CHANGED_MEANWHILE if kept is not None else GONE)
    _move_claim(directory, plan.claim, plan.dropped, plan.kept)
    # 3. the record says it is done, with the kept account as the merge left it (what changes after is its own)
    after = snapshot(directory, plan.kept_dn) or {}
    plan.digests = {k: _digest(v) for k, v in after.items()}
    _state(directory, merge_id, MERGED, plan)
    if plan.pair:
        pairs.note_merge(directory, plan.pair, merge_id)
    return Outcome(True)


def _start(directory, merge_id, kind, kept_id, dropped_id, shown, actor, pair_id) -> Plan | Outcome:
    if kind not in BRANCH:
        return Outcome(False, NOT_SAME_KIND)
    kept, dropped = _read(directory, kind, kept_id), _read(directory, kind, dropped_id)
    if kept is None or dropped is None or kept_id == dropped_id:
        return Outcome(False, GONE)
    if str(first(kept[1].get("entryCSN"), "")) != shown.get("kept") or \
            str(first(dropped[1].get("entryCSN"), "")) != shown.get("dropped"):
        return Outcome(False, CHANGED_MEANWHILE)
    before, after = _carried(kind, kept[1], dropped[1], merge_id)
    guardians = [[g, kept[0].lower() in {c.lower() for c in _text(e.get(A.CHILD) or [])}]
                 for g, e in _guardians_of(directory, dropped[0])] if kind == STUDENT else []
    uais = list(dict.fromkeys(_text(kept[1].get(A.UAI) or []) + _text(dropped[1].get(A.UAI) or [])
                              + _text(dropped[1].get(A.LEFT_UAI) or [])))
    claim = _claim_of(directory, dropped_id, str(first(dropped[1].get(A.INE), "") or "")) if A.INE in after else ""
    plan = Plan(kind, kept_id, dropped_id, kept[0], dropped[0],
                f"{rdn(A.ACCOUNT_ID, dropped_id)},{record_dn(directory, merge_id)}",
                {"kept": shown.get("kept"), "dropped": shown.get("dropped")}, before, after, {}, guardians, claim,
                str(first(dropped[1].get(A.UID), "") or ""), {"kept": _name(kept[1]), "dropped": _name(dropped[1])},
                uais, pair_id)
    values = {A.CN: merge_id, A.ACTOR: actor, A.TARGET: sorted([kept_id, dropped_id]), A.MERGE_KEPT: kept_id,
              A.MERGE_DROPPED: dropped_id, A.MERGE_PLAN: plan.to_json(), A.MERGE_STATE: MERGING}
    if uais:
        values[A.UAI] = uais
    try:
        directory.writes.run(lambda conn: conn.add(record_dn(directory, merge_id), [A.OC_MERGE_RECORD], values))
    except AlreadyExists:
        return read_record(directory, merge_id).plan
    return plan


def _state(directory, merge_id: str, state: str, plan: Plan | None = None) -> None:
    changes = {A.MERGE_STATE: [(ldap3.MODIFY_REPLACE, [state])]}
    if plan is not None:
        changes[A.MERGE_PLAN] = [(ldap3.MODIFY_REPLACE, [plan.to_json()])]
    directory.writes.run(lambda conn: conn.modify(record_dn(directory, merge_id), changes))


def _forget(directory, merge_id: str) -> None:
    """A merge refused before anything was changed (or put back): its record goes."""
    try:
        directory.writes.run(lambda conn: conn.delete(record_dn(directory, merge_id)))
    except NotFound:
        pass


def _put_back(directory, plan: Plan) -> list[str]:
    """The kept account and the parents' links as they were before the merge (what changed since stays)."""
    current = directory.read_entry(plan.kept_dn, ["*"])
    kept_since: list[str] = []
    if current is not None:
        changes, kept_since = _restoring(current["raw_attributes"], plan)
        if changes:
            directory.writes.run(lambda conn: conn.modify(plan.kept_dn, changes))
    for guardian_dn, had_kept in plan.guardians:
        _relink_back(directory, guardian_dn, plan, had_kept)
    return kept_since


def _relink_back(directory, guardian_dn: str, plan: Plan, had_kept: bool) -> None:
    """The parent's link to the account set aside given back; a link to the kept account it had before stays."""
    found = directory.read_entry(guardian_dn, [A.CHILD])
    if found is None:
        return
    have = {c.lower() for c in _text(found["attributes"].get(A.CHILD) or [])}
    changes = []
    if plan.dropped_dn.lower() not in have:
        changes.append((ldap3.MODIFY_ADD, [plan.dropped_dn]))
    if plan.kept_dn.lower() in have and not had_kept:
        changes.append((ldap3.MODIFY_DELETE, [plan.kept_dn]))
    if changes:
        try:
            directory.writes.run(lambda conn: conn.modify(guardian_dn, {A.CHILD: changes}))
        except (Conflict, NotFound):
            pass


def _bring_back(directory, plan: Plan) -> None:
    """The account set aside moved back where it was, whole."""
    if directory.read_entry(plan.parked_dn, ["1.1"]) is not None:
        directory.writes.run(lambda conn: conn.modify_dn(plan.parked_dn, rdn(A.ACCOUNT_ID, plan.dropped),
                                                         new_superior=plan.dropped_dn.split(",", 1)[1]))


def undo_blockers(directory, record: MergeRecord) -> list[str]:
    """Why this merge can no longer be undone, in French (nothing: it can)."""
    plan = record.plan
    if record.state == UNDONE:
        return ["Cette fusion a déjà été annulée."]
    if record.state == MERGING:
        return ["Cette fusion n'est pas terminée : relancez-la depuis « Mes opérations » avant de l'annuler."]
    if not record.undoable():
        return [f"Une fusion s'annule pendant {UNDO_DAYS} jours : ce délai est passé."]
    problems = []
    parked = directory.read_entry(plan.parked_dn, [A.INE])
    if parked is None and directory.read_entry(plan.dropped_dn, ["1.1"]) is None:
        problems.append("Le compte mis de côté n'a pas été retrouvé : l'annulation est impossible.")
    if parked is not None and record.state == MERGED:
        ine = str(first(parked["attributes"].get(A.INE), "") or "")
        if ine:
            holders = directory.search(directory.base(A.STUDENTS), equals(A.INE, ine), [A.ACCOUNT_ID], ldap3.LEVEL)
            others = [first(e.get(A.ACCOUNT_ID)) for _, e in holders]
            kept_gives_back = others == [plan.kept] and A.INE in plan.after and \
                A.INE not in _restoring((directory.read_entry(plan.kept_dn, ["*"]) or {}).get("raw_attributes", {}),
                                        plan)[1]
            if others == [plan.kept] and A.INE not in plan.after:
                problems.append(f"Les deux comptes portaient le même INE ({ine}) : l'annuaire n'admet qu'un compte par "
                                f"INE, l'annulation les remettrait à deux sur un INE. Elle est impossible.")
            elif others and not kept_gives_back:
                problems.append(f"L'INE {ine} du compte mis de côté est maintenant celui d'un autre compte : "
                                f"l'annulation est impossible tant qu'il le porte.")
    return problems


def undo(directory, merge_id: str, actor: str) -> Outcome:
    """Both accounts back as they were before the merge (the kept account's changes since excepted, and said)."""
    record = read_record(directory, merge_id)
    if record is None:
        return Outcome(False, "Cette fusion n'existe plus (annulée ou passée de plus de 30 jours).")
    if record.state == UNDONE:
        return Outcome(True)
    problems = undo_blockers(directory, record)
    if problems:
        return Outcome(False, " ".join(problems))
    plan = record.plan
    if record.state != UNDOING:
        _state(directory, merge_id, UNDOING)
    kept_since = _put_back(directory, plan)       # the kept account gives the INE back before the other returns
    _move_claim(directory, plan.claim, plan.kept, plan.dropped)
    _bring_back(directory, plan)
    _state(directory, merge_id, UNDONE)
    if plan.pair:
        pairs.note_merge(directory, plan.pair, None)
    labels = {k.lower(): v for k, v in LABELS.items()}
    return Outcome(True, notes=tuple(dict.fromkeys(labels.get(n.lower(), n) for n in kept_since)))


def purge(directory, now: datetime | None = None) -> int:
    """The merges past their days: the account set aside removed and its identifier reserved for good (under
    ou=reserved, where no account is ever given it again), the record removed; undone merges' records removed.
    How many. A purge stopped between the removal and the reservation is finished by the next one."""
    now = now or datetime.now(timezone.utc)
    done = 0
    for record in records(directory):
        if record.created is None or now < record.created + timedelta(days=UNDO_DAYS) or record.state == MERGING:
            continue
        plan = record.plan
        if record.state in (MERGED, UNDOING):
            try:
                directory.writes.run(lambda conn: conn.delete(plan.parked_dn))
            except NotFound:
                pass
            if plan.identifier:
                reserve_identifier(directory, plan.identifier, plan.dropped, record.actor, f"fusionné (fusion {record.id})")
            if plan.pair:
                pairs.note_merge(directory, plan.pair, None)
        _forget(directory, record.id)
        done += 1
    return done


def journal_summary(plan: Plan) -> str:
    kept, dropped = plan.names.get("kept", plan.kept), plan.names.get("dropped", plan.dropped)
    said = f"Fusion : {dropped} fusionné dans {kept}, qui est gardé"
    if plan.identifier:
        said += f" ; identifiant « {plan.identifier} » réservé"
    return said

