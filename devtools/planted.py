"""A known set of duplicates planted in a directory, and the people who must never be taken for one — for the tests
and `make bench-doublons`: the same INE twice, a pupil recreated by hand without INE in another school, a parent
created twice (same e-mail, same phone, same child), twins, siblings of one family, and namesakes born the same day
with two real INEs. Written as LDIF for `slapadd` (which, like a directory filled before migration 0020, lets the
same INE in twice). Everyone is born 2000-2003: no pupil of the demo nor of the benchmarks' directories is."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from directory import attributes as A
from directory.escaping import dn
from directory.ine import with_key
from directory.ldif import dump
from directory.names import identifier_stem, search_keys, sort_name

GIVEN_A = ("Adèle", "Baptiste", "Capucine", "Dorian", "Éloïse", "Félix", "Garance", "Hector", "Iris", "Jasper")
GIVEN_B = ("Kenza", "Lazare", "Margaux", "Noé", "Ophélie", "Pacôme", "Quitterie", "Romain", "Salomé", "Tristan")
FAMILIES = ("Aubertin", "Béranger", "Chassagne", "Delorme", "Esnault", "Ferrand", "Guénard", "Hurtaud", "Issartel",
            "Jacquemin", "Kerbrat", "Lemercier", "Marchadier", "Noguès", "Ollivier", "Pelletan", "Quéré", "Rivoal",
            "Sauvageot", "Tessier", "Urvoy", "Vachon", "Wattier", "Ybert", "Zimmer")


@dataclass
class Planted:
    """What was planted, by account id pairs (each pair in the order of its account ids)."""
    duplicates: dict[tuple[str, str], str] = field(default_factory=dict)   # pair → what it is
    twins: list[tuple[str, str]] = field(default_factory=list)
    siblings: list[tuple[str, str]] = field(default_factory=list)
    namesakes: list[tuple[str, str]] = field(default_factory=list)         # same name and day, two valid INEs
    accounts: int = 0

    @property
    def never(self) -> set[tuple[str, str]]:
        """The pairs that must never be proposed as duplicates."""
        return set(self.twins) | set(self.siblings) | set(self.namesakes)


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


class _Writer:
    def __init__(self, out, suffix: str, rng: random.Random):
        self.out, self.suffix, self.rng = out, suffix, rng
        self.count = 0
        self.ines: set[str] = set()
        self.uids: set[str] = set()

    def ine(self) -> str:
        while True:
            found = with_key(f"{self.rng.randrange(10 ** 10):010d}")
            if found not in self.ines:
                self.ines.add(found)
                return found

    def uid(self, given: str, surname: str) -> str:
        stem, n = f"{identifier_stem(given, surname)}.d", 1
        while (stem if n == 1 else f"{stem}{n}") in self.uids:
            n += 1
        chosen = stem if n == 1 else f"{stem}{n}"
        self.uids.add(chosen)
        return chosen

    def person(self, branch: str, given: str, surname: str, uais, state: str, origin: str = "REGISTRY",
               **more) -> tuple[str, str]:
        account_id = f"{self.rng.getrandbits(128):032x}"
        entry_dn = dn(A.ACCOUNT_ID, account_id, f"{branch},{self.suffix}")
        values = {A.OBJECT_CLASS: [A.OC_PERSON, A.OC_ACCOUNT], A.ACCOUNT_ID: [account_id],
                  A.CN: [f"{given} {surname}"], A.SURNAME: [surname], A.GIVEN_NAME: [given],
                  A.SEARCH_KEY: search_keys(given, surname), A.SORT_NAME: [sort_name(given, surname)],
                  A.UAI: list(uais), A.ACCOUNT_STATE: [state], A.ACCOUNT_ORIGIN: [origin]}
        if state != "NOT_NOTIFIED":
            values[A.UID] = [self.uid(given, surname)]
            values[A.NOTIFICATION_DATE] = ["20260915080000Z"]
        for name, value in more.items():
            if value:
                values[getattr(A, name)] = value if isinstance(value, list) else [value]
        self.out.write(dump(entry_dn, values))
        self.count += 1
        return account_id, entry_dn

    def student(self, given, surname, uai, born: date, ine: str = "", state="NOT_NOTIFIED", origin="REGISTRY"):
        return self.person(A.STUDENTS, given, surname, [uai], state, origin, INE=ine,
                           BIRTH_DATE=f"{born:%Y%m%d}000000Z", CLASS_CODE="", MEF_CODE="")

    def parent(self, given, surname, uais, children, state="NOT_NOTIFIED", mail="", phone=""):
        return self.person(A.GUARDIANS, given, surname, uais, state, CHILD=list(children), MAIL=mail, MOBILE=phone)


def plant(out, suffix: str, uais: list[str], seed: int = 31, each: int = 2, twins: int = 50, siblings: int = 50,
          namesakes: int = 5) -> Planted:
    """Write the planted accounts into `out` (LDIF), spread over the establishments `uais` (at least two):
    `each` of every kind of duplicate, `twins` pairs of twins, `siblings` pairs of siblings of one family
    (half of them in two establishments), `namesakes` pairs born the same day with two valid INEs."""
    rng = random.Random(seed)
    w = _Writer(out, suffix, rng)
    planted = Planted()

    def born() -> date:
        return date(2000, 1, 1) + timedelta(days=rng.randrange(4 * 365))

    def family(n: int) -> str:
        return f"{FAMILIES[n % len(FAMILIES)]}{'-' + FAMILIES[(n // len(FAMILIES)) % len(FAMILIES)] if n >= len(FAMILIES) else ''}"

    def two_schools():
        first = rng.choice(uais)
        return first, rng.choice([u for u in uais if u != first])

    n = 0
    for _ in range(each):       # the same INE twice: a registry account, and the same pupil again from another school
        n += 1
        x, y = two_schools()
        given, surname, day, ine = rng.choice(GIVEN_A), family(n), born(), w.ine()
        a, _ = w.student(given, surname, x, day, ine, state="ACTIVE")
        b, _ = w.student(given, surname, y, day, ine)
        planted.duplicates[_pair(a, b)] = "même INE"
    for _ in range(each):       # recreated by hand, without INE, in another school
        n += 1
        x, y = two_schools()
        given, surname, day = rng.choice(GIVEN_A), family(n), born()
        a, _ = w.student(given, surname, x, day, w.ine(), state="ACTIVE")
        b, _ = w.student(given, surname, y, day, origin="MANUAL")
        planted.duplicates[_pair(a, b)] = "sans INE, autre établissement"
    for variant in ("mail", "phone", "child") * each:     # a parent created twice
        n += 1
        x = rng.choice(uais)
        child, child_dn = w.student(rng.choice(GIVEN_B), family(n), x, born(), w.ine())
        given, surname = rng.choice(GIVEN_A), family(n)
        mail = f"{identifier_stem(given, surname)}@example.org" if variant == "mail" else ""
        phone = f"06 {rng.randrange(10 ** 8):08d}" if variant == "phone" else ""
        a, _ = w.parent(given, surname, [x], [child_dn], "ACTIVE", mail, phone)
        other = [] if variant != "child" else [child_dn]
        if variant != "child":        # the second account came with another child of the family
            _, other_dn = w.student(rng.choice(GIVEN_A), family(n), x, born(), w.ine())
            other = [other_dn]
        b, _ = w.parent(given, surname, [x], other, "NOT_NOTIFIED", mail,
                        phone.replace("06 ", "+33 6 ") if phone else "")
        planted.duplicates[_pair(a, b)] = f"responsable en double ({variant})"
    for _ in range(twins):      # twins: one surname, one birth date, one school, one family, two given names
        n += 1
        x, day, surname = rng.choice(uais), born(), family(n)
        first, second = rng.sample(GIVEN_A + GIVEN_B, 2)
        a, a_dn = w.student(first, surname, x, day, w.ine(), state=rng.choice(("ACTIVE", "NOTIFIED")))
        b, b_dn = w.student(second, surname, x, day, w.ine())
        for parent_given in rng.sample(GIVEN_A, 2):
            w.parent(parent_given, surname, [x], [a_dn, b_dn])
        planted.twins.append(_pair(a, b))
    for i in range(siblings):   # siblings: one surname, one family, two given names, born years apart
        n += 1
        x, y = two_schools() if i % 2 else (rng.choice(uais),) * 2
        surname, day = family(n), born()
        first, second = rng.sample(GIVEN_A + GIVEN_B, 2)
        a, a_dn = w.student(first, surname, x, day, w.ine())
        b, b_dn = w.student(second, surname, y, day + timedelta(days=365 * rng.randint(1, 3)), w.ine())
        w.parent(rng.choice(GIVEN_A), surname, sorted({x, y}), [a_dn, b_dn])
        planted.siblings.append(_pair(a, b))
    for _ in range(namesakes):  # two pupils of one name born the same day, each with a real INE of their own
        n += 1
        x, y = two_schools()
        given, surname, day = rng.choice(GIVEN_B), family(n), born()
        a, _ = w.student(given, surname, x, day, w.ine(), state="ACTIVE")
        b, _ = w.student(given, surname, y, day, w.ine())
        planted.namesakes.append(_pair(a, b))
    planted.accounts = w.count
    return planted
