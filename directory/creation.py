"""A student account created by hand (« Création manuelle »), by the identity team: the probable duplicates of the
new pupil found first, anywhere in the directory (the rules of « Doublons »), then either the account created or,
instead, the existing account matched — moved to the establishment, its identifier, password and state kept."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

import ldap3

from . import attributes as A
from . import ine as ines
from .audit import record_action
from .duplicates.rules import DUPLICATE, STUDENT, Person, Verdict, judge
from .duplicates.scan import READ, person
from .errors import IdentifierTaken, NotFound
from .escaping import all_of, any_of, dn, equals
from .mapping import first
from .model import AccountOrigin, AccountState
from .names import search_keys, sort_name
from .registry.apply import claim_ine, release_ine

CREATED, MATCHED = "account-created", "account-matched"      # the journal's actions (directory/journal.py)
TAKEN = "Un compte porte déjà cet INE : rattachez-le plutôt que d'en créer un second."


@dataclass(frozen=True)
class NewStudent:
    uai: str
    surname: str
    given_name: str
    birth: date
    ine: str = ""
    class_code: str = ""

    @property
    def name(self) -> str:
        return f"{self.surname.upper()} {self.given_name}"

    def as_person(self) -> Person:
        return Person(STUDENT, "", self.surname, self.given_name, f"{self.birth:%Y%m%d}", self.ine, (self.uai,))


@dataclass(frozen=True)
class Candidate:
    person: Person
    verdict: Verdict

    @property
    def same_ine(self) -> bool:
        return "même INE" in self.verdict.reasons


def probable_duplicates(directory, new: NewStudent) -> list[Candidate]:
    """The accounts the new pupil would probably duplicate: the same INE, or the same folded name and birth date
    with the rules' verdict « one person » (a namesake with another valid INE is another pupil). Surest first."""
    wanted = any_of(equals(A.INE, ines.normalize(new.ine)) if new.ine else None,
                    all_of(equals(A.SORT_NAME, sort_name(new.given_name, new.surname)),
                           equals(A.BIRTH_DATE, f"{new.birth:%Y%m%d}000000Z")))
    found = []
    for entry_dn, entry in directory.search(directory.base(A.STUDENTS), wanted, READ, ldap3.LEVEL):
        existing = person(STUDENT, entry_dn, entry)
        verdict = judge(new.as_person(), existing)
        if verdict is not None and verdict.kind == DUPLICATE:
            found.append(Candidate(existing, verdict))
    return sorted(found, key=lambda c: (-c.verdict.score, c.person.account_id))


def create(directory, new: NewStudent, actor: str) -> str:
    """The account, « Non notifié », of origin « Création manuelle »; its INE claimed first, as an import's. The
    new account's id. IdentifierTaken (in French) when an account has taken the INE meanwhile."""
    account_id = secrets.token_hex(16)
    entry_dn = dn(A.ACCOUNT_ID, account_id, directory.base(A.STUDENTS))
    number = ines.normalize(new.ine)
    values = {A.ACCOUNT_ID: [account_id], A.CN: [f"{new.given_name} {new.surname}"], A.SURNAME: [new.surname],
              A.GIVEN_NAME: [new.given_name], A.SEARCH_KEY: search_keys(new.given_name, new.surname),
              A.SORT_NAME: [sort_name(new.given_name, new.surname)], A.UAI: [new.uai],
              A.BIRTH_DATE: [f"{new.birth:%Y%m%d}000000Z"], A.ACCOUNT_STATE: [AccountState.NOT_NOTIFIED.value],
              A.ACCOUNT_ORIGIN: [AccountOrigin.MANUAL.value]}
    if new.class_code:
        values[A.CLASS_CODE] = [new.class_code]
    if number:
        values[A.INE] = [number]
        if not claim_ine(directory, number, account_id, f"manual-{account_id}"):
            raise IdentifierTaken(TAKEN)
    try:
        directory.writes.run(lambda conn: conn.add(entry_dn, [A.OC_PERSON, A.OC_ACCOUNT], values))
    except IdentifierTaken:
        release_ine(directory, number, account_id)
        raise IdentifierTaken(TAKEN) from None
    record_action(directory, f"{CREATED}-{account_id}", actor, CREATED, new.uai, [account_id],
                  f"Compte créé à la main : {new.name}, né(e) le {new.birth:%d/%m/%Y}"
                  + (f", INE {number}" if number else ", sans INE") + (f", classe {new.class_code}" if new.class_code else ""))
    return account_id


def match(directory, account_id: str, new: NewStudent, actor: str) -> Person:
    """The existing account takes the new pupil's place instead of a second one: moved to `new.uai` (a leaver comes
    back; the class and MEF of the school it leaves go), its class set, the INE written if it had none or one that
    does not check; its identifier, password and state kept. Conditional on its establishment as read
    (ChangedMeanwhile otherwise)."""
    found = directory.search(directory.base(A.STUDENTS), equals(A.ACCOUNT_ID, account_id),
                             READ + [A.LEFT_ON, A.OBJECT_CLASS, A.MEF_CODE], ldap3.LEVEL)
    if not found:
        raise NotFound(account_id)
    entry_dn, entry = found[0]
    existing = person(STUDENT, entry_dn, entry)
    changes: dict[str, list] = {}
    uais = [str(u) for u in entry.get(A.UAI) or ()]
    if uais != [new.uai]:
        changes[A.UAI] = ([(ldap3.MODIFY_DELETE, uais)] if uais else []) + [(ldap3.MODIFY_ADD, [new.uai])]
        for name in (A.LEFT_ON, A.LEFT_UAI):
            if entry.get(name):
                changes[name] = [(ldap3.MODIFY_REPLACE, [])]
    if new.class_code and str(first(entry.get(A.CLASS_CODE), "") or "") != new.class_code:
        changes[A.CLASS_CODE] = [(ldap3.MODIFY_REPLACE, [new.class_code])]
    elif A.UAI in changes and entry.get(A.CLASS_CODE):
        changes[A.CLASS_CODE] = [(ldap3.MODIFY_REPLACE, [])]        # the school it leaves had that class
    if A.UAI in changes and entry.get(A.MEF_CODE):
        changes[A.MEF_CODE] = [(ldap3.MODIFY_REPLACE, [])]          # and gave it that MEF: the next import says
    number = ines.normalize(new.ine)
    if number and number != existing.ine_key and (not existing.ine_key or not existing.ine_valid):
        changes[A.INE] = [(ldap3.MODIFY_REPLACE, [number])]
    if changes:     # deleting the establishment as read: an account moved meanwhile refuses it (ChangedMeanwhile)
        directory.writes.run(lambda conn: conn.modify(entry_dn, changes))
    was = ", ".join(uais) or (f"{existing.uais[0]} (parti)" if existing.uais else "aucun")
    moved = f"{was} → {new.uai}" if A.UAI in changes else ""
    record_action(directory, f"{MATCHED}-{account_id}-{secrets.token_hex(4)}", actor, MATCHED, new.uai, [account_id],
                  f"Rattaché au lieu d'être créé : {existing.name} ({existing.identifier or 'jamais notifié'})"
                  + (f", établissement {moved}" if moved else "") + (f", INE {number}" if A.INE in changes else ""))
    return existing

