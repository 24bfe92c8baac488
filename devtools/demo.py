"""The deterministic demo directory of SPEC §11: establishments, classes, students, guardians and staff."""
from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Callable

from directory import attributes as attr
from directory.escaping import dn
from directory.model import AccountOrigin, AccountState
from directory.names import fold, identifier_stem, search_keys, sort_name
from directory.passwords import PROVISIONAL_ALPHABET, PROVISIONAL_LENGTH

DEMO_SEED = 2026
DEMO_STAFF_PASSWORD = "demo-sesame-2026"

# "Today" is fixed so that the same seed gives the same dates whenever the demo is loaded.
TODAY = date(2026, 11, 28)
YEAR_START = datetime(2025, 9, 1, 8, 0, 0)
LAST_MOMENT = datetime.combine(TODAY, time.min) - timedelta(seconds=1)   # nothing happened today yet

# The locality of an establishment: the one attribute directory.attributes does not name yet.

CLG, LP, LYC = "0990001N", "0990002P", "0990003R"

TRUE, FALSE = "TRUE", "FALSE"
MAIL_DOMAINS = ("example.org", "example.net", "example.com")   # reserved: no real mailbox is hit


def new_ine(rng: random.Random, taken: set[str], letters: str = string.ascii_uppercase) -> str:
    """An INE no account drawn so far has (ten digits and a letter), kept in `taken`."""
    while True:
        ine = f"{rng.randrange(10 ** 10):010d}{rng.choice(letters)}"
        if ine not in taken:
            taken.add(ine)
            return ine


@dataclass(frozen=True)
class DemoEntry:
    dn: str
    object_classes: tuple[str, ...]
    attributes: dict[str, list]      # values are str, or bytes for the sealed password


@dataclass(frozen=True)
class DemoData:
    entries: list[DemoEntry]                  # parents before children: can be added top-down
    admin_dns: list[str]                      # to add as `member` of the identity-admins group
    provisional_passwords: dict[str, str]     # NOTIFIED account DN -> clear provisional password


# ---------------------------------------------------------------------------------------------
# Establishments, their MEFs and classes

@dataclass(frozen=True)
class _Level:
    mef: str
    mef_label: str
    classes: tuple[tuple[str, str], ...]     # (code, label)
    born: int                                # birth year of a student who never repeated a year


@dataclass(frozen=True)
class _School:
    uai: str
    name: str
    city: str
    head: tuple[str, str, str, str]          # (staff uid, civility, given name, surname)
    students: int                            # about how many
    levels: tuple[_Level, ...]


def _lettered(grade: str, label: str) -> tuple[tuple[str, str], ...]:
    return tuple((f"{grade}{letter}", f"{label} {letter}") for letter in "ABCDE")


def _numbered(prefix: str, label: str, numbers: range) -> tuple[tuple[str, str], ...]:
    return tuple((f"{prefix}{n:02d}", f"{label} {n}") for n in numbers)


SCHOOLS = (
    _School(CLG, "CLG Jean Moulin", "Saint-Aubin-des-Bois",
            ("chef.clg", "Mme", "Claire", "Dubois"), 600, (
        _Level("10010012110", "6EME", _lettered("6", "6ème"), 2015),
        _Level("10110001110", "5EME", _lettered("5", "5ème"), 2014),
        _Level("10210001110", "4EME", _lettered("4", "4ème"), 2013),
        _Level("10310019110", "3EME", _lettered("3", "3ème"), 2012),
    )),
    _School(LP, "LP Métiers Auguste Perret", "Bellerive-sur-Loue",
            ("chef.lp", "M.", "Karim", "Benali"), 500, (
        _Level("24734001310", "2NDPRO MET.GEST.ADM., TRÀ & LOG. COMM.",
               (("2AGORA", "2nde AGORA"), ("2LOG", "2nde Logistique")), 2011),
        _Level("24725501310", "2NDPRO MET. TRANSITIONS NUMERIQUE & ENERGETIQUE",
               (("2MELEC", "2nde MELEC"),), 2011),
        _Level("24731205310", "2NDPRO METIERS DE LA RELATION CLIENT",
               (("2MRC", "2nde Relation client"),), 2011),
        _Level("24732403320", "1PRO ASSIST.GEST.ORGANIS.ACTIVITES", (("1AGORA", "1ère AGORA"),), 2010),
        _Level("24731103320", "1PRO LOGISTIQUE", (("1LOG", "1ère Logistique"),), 2010),
        _Level("24725509320", "1PRO MET.ELECTRICITE ENVIRONNEMENTS CONNECTES",
               (("1MELEC", "1ère MELEC"),), 2010),
        _Level("24731208320", "1PRO METIERS COMMERCE VENTE OPT.A ANIMATION", (("1MCV", "1ère MCV"),), 2010),
        _Level("24732403330", "TLEPRO ASSIST.GEST.ORGANIS.ACTIVITES", (("TAGORA", "Terminale AGORA"),), 2009),
        _Level("24731103330", "TLEPRO LOGISTIQUE", (("TLOG", "Terminale Logistique"),), 2009),
        _Level("24725509330", "TLEPRO MET.ELECTRICITE ENVIRONNEMENTS CONNECTES",
               (("TMELEC", "Terminale MELEC"),), 2009),
        _Level("24731208330", "TLEPRO METIERS COMMERCE VENTE OPT.A ANIMATION",
               (("TMCV", "Terminale MCV"),), 2009),
        # Two BTS, one group of each per year: class 1BTS2 is the first year's second group.
        _Level("32031213210", "1BTS2 MANAGEMENT COMMERCIAL OPERATIONNEL",
               (("1BTS1", "1ère année BTS"),), 2008),
        _Level("32031407210", "1BTS2 GESTION DE LA PME", (("1BTS2", "1ère année BTS"),), 2008),
        _Level("32031213220", "2BTS2 MANAGEMENT COMMERCIAL OPERATIONNEL",
               (("2BTS1", "2ème année BTS"),), 2007),
        _Level("32031407220", "2BTS2 GESTION DE LA PME", (("2BTS2", "2ème année BTS"),), 2007),
    )),
    _School(LYC, "LYC Marie Curie", "Bellerive-sur-Loue",
            ("chef.lyc", "Mme", "Hélène", "Marchand"), 1400, (
        _Level("20010018110", "2NDE GENERALE & TECHNO.", _numbered("2", "Seconde", range(1, 15)), 2011),
        _Level("20110019110", "1ERE GENERALE", _numbered("1", "Première", range(1, 12)), 2010),
        _Level("21131011110", "1ERE STMG", _numbered("1", "Première", range(12, 15)), 2010),
        _Level("20210019110", "TERMINALE GENERALE", _numbered("T", "Terminale", range(1, 12)), 2009),
        _Level("21231011110", "TERMINALE STMG", _numbered("T", "Terminale", range(12, 15)), 2009),
    )),
)

# Staff: (uid, given name, surname, attribute naming their establishment, UAI). The heads come
# from SCHOOLS so that the name on each establishment is its head's.
ADMIN_UID = "admin.idt"
STAFF = tuple((uid, given, surname, attr.HEAD_OF, school.uai)
              for school in SCHOOLS for uid, _, given, surname in [school.head]) + (
    ("support.lp", "Thomas", "Garnier", attr.SUPPORT_FOR, LP),
    (ADMIN_UID, "Nadia", "Ferreira", None, None),               # every establishment: no UAI
)

# Staff with no right of their own (issue 16): a head may delegate to them. (uid, given, surname, post, UAI)
STAFF_WITHOUT_RIGHTS = (
    ("cpe.lp", "Claire", "Morel", "CPE", LP),
    ("prof.lp", "Julien", "Lefort", "Professeur", LP),
    ("secretariat.lp", "Sophie", "Bernard", "Secrétaire", LP),
)

# Who one may sign in as to try Sésame, and who they are: `make run` prints this, and the README's « Demo
# sign-ins » table lists the same people (tests/unit/test_demo.py checks both against the staff above).
SIGN_INS = (
    *((school.head[0], f"head of {school.uai} {school.name}") for school in SCHOOLS),
    (ADMIN_UID, "identity-team admin: every establishment"),
    ("support.lp", f"support staff of {LP}, through the SSO proxy only (`make sso-proxy`)"),
    ("cpe.lp", f"CPE at {LP}: holds the demo's running delegation « Droits du chef d'établissement »"),
    ("prof.lp", f"teacher at {LP}: his « Dépannage » delegation ended, so he is told his rights ended"),
    ("secretariat.lp", f"secretary at {LP} with no right until a head delegates one"),
)

# Share of each state among a school's students (the rest is NOT_NOTIFIED), and of externals.
ACTIVE_SHARE, NOTIFIED_SHARE = 0.40, 0.30
EXTERNAL_SHARE = 0.05
EXTERNAL_OF = {LYC: LP, LP: LYC}             # lycée students follow shared courses at the LP, and back

# ---------------------------------------------------------------------------------------------
# Names, as they really come

GIRLS = (
    "Emma", "Jade", "Louise", "Alice", "Chloé", "Lina", "Léa", "Rose", "Anna", "Mila", "Inès", "Ambre",
    "Julia", "Mia", "Léna", "Manon", "Juliette", "Lou", "Zoé", "Camille", "Agathe", "Sarah", "Romane",
    "Eva", "Lola", "Nina", "Clara", "Maëlys", "Anaïs", "Héloïse", "Océane", "Yasmine", "Aïcha",
    "Fatoumata", "Sofia", "Nour", "Maryam", "Lilou", "Margaux", "Marie-Ève", "Anne-Sophie", "Louna",
    "Elif", "Amira", "Salomé", "Capucine", "Noémie", "Mathilde", "Bérénice", "Aminata", "Leïla",
    "Giulia", "Thi-Lan", "Maëlle", "Éloïse", "Kenza", "Ana-Maria",
)
BOYS = (
    "Gabriel", "Léo", "Raphaël", "Arthur", "Louis", "Jules", "Adam", "Maël", "Lucas", "Hugo", "Noah",
    "Liam", "Gabin", "Sacha", "Paul", "Nathan", "Aaron", "Mohamed", "Ethan", "Tom", "Noël", "Loïc",
    "Timéo", "Théo", "Enzo", "Mathis", "Nolan", "Rayan", "Yanis", "Ibrahim", "Mamadou", "Moussa",
    "Youssef", "Ilyès", "Jean-Baptiste", "Pierre-Louis", "Baptiste", "Clément", "Antoine", "Maxime",
    "Valentin", "Kylian", "Malo", "Erwan", "Corentin", "Kenzo", "Wassim", "Amir", "Bilal", "Diego",
    "Matteo", "Minh", "Oscar", "Victor", "Côme", "Anis", "Ayoub", "Samuel", "Elias", "Jean-Eudes",
)
MOTHERS = (
    "Nathalie", "Isabelle", "Sandrine", "Céline", "Stéphanie", "Aurélie", "Virginie", "Émilie", "Julie",
    "Sophie", "Karine", "Valérie", "Laetitia", "Caroline", "Hélène", "Sabrina", "Fatima", "Khadija",
    "Nadia", "Samira", "Aïssatou", "Mariama", "Ana", "Maria", "Agnieszka", "Mélanie", "Audrey",
    "Élodie", "Marie-Claire", "Anne-Laure", "Christelle", "Delphine", "Linh", "Gülsen", "Rachida",
    "Maryse", "Géraldine", "Ingrid",
)
FATHERS = (
    "Stéphane", "Christophe", "Nicolas", "Sébastien", "Frédéric", "Laurent", "David", "Olivier",
    "Julien", "Jérôme", "Cédric", "Franck", "Thierry", "Mickaël", "Grégory", "Mohamed", "Karim",
    "Rachid", "Abdelkader", "Moussa", "Ousmane", "João", "Carlos", "Piotr", "Mehmet", "Jean-Marc",
    "Jean-Pierre", "Pierre-Yves", "Hervé", "Loïc", "Noël", "Xavier", "Vincent", "Anh", "Bruno",
    "Yannick", "Fabrice",
)
SURNAMES = (
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau", "Laurent",
    "Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David", "Bertrand", "Morel", "Fournier", "Girard",
    "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent", "Lefebvre", "Faure", "André",
    "Mercier", "Blanc", "Guérin", "Boyer", "Garnier", "Chevalier", "François", "Legrand", "Gauthier",
    "Garcia", "Perrin", "Robin", "Clément", "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Masson",
    "Marchand", "Duval", "Denis", "Dumont", "Lemaire", "Noël", "Meyer", "Dufour", "Meunier", "Brun",
    "Blanchard", "Giraud", "Joly", "Rivière", "Lucas", "Brunet", "Gaillard", "Barbier", "Arnaud",
    "Martinez", "Gérard", "Roche", "Renard", "Schmitt", "Roy", "Leroux", "Colin", "Vidal", "Caron",
    "Picard", "Roger", "Fabre", "Aubert", "Lemoine", "Renaud", "Dumas", "Lacroix", "Olivier", "Bourgeois",
    "Benoît", "Rey", "Leclerc", "Payet", "Rolland", "Lecomte", "Lopez", "Dupuy", "Guillot", "Hubert",
    "Berger", "Carpentier", "Sanchez", "Dupuis", "Moulin", "Deschamps", "Huet", "Vasseur", "Perez",
    "Boucher", "Fleury", "Royer", "Klein", "Jacquet", "Poirier", "Marty", "Aubry", "Guyot", "Carré",
    "Renault", "Charpentier", "Ménard", "Maillard", "Baron", "Bertin", "Bailly", "Schneider",
    "Fernandez", "Le Gall", "Collet", "Léger", "Bouvier", "Prévost", "Perrot", "Le Roux", "Germain",
    "Breton", "Besson", "Langlois", "Rémy", "Le Goff", "Pelletier", "Lévêque", "Leblanc", "Lebrun",
    "Weber", "Hamon", "Boulanger", "Michaud", "Rodriguez", "Étienne", "Grondin", "Hoarau", "Tessier",
    "Chauvin", "Da Silva", "Dos Santos", "Lemaître", "Maréchal", "Humbert", "Barthélemy", "Cordier",
    "Lejeune", "Delaunay", "Pasquier", "Laporte", "N'Diaye", "Diallo", "Traoré", "Coulibaly", "Diop",
    "Konaté", "Camara", "Sow", "Ba", "Keita", "Benali", "Haddad", "Bouzid", "Belkacem", "Mansouri",
    "Cherif", "Boussaïd", "El Amrani", "Aït Ouali", "Ben Youssef", "Nguyen", "Tran", "Pham", "Chen",
    "Wang", "Ferreira", "Da Costa", "Pereira", "Rodrigues", "Kowalski", "Nowak", "Yılmaz", "Öztürk",
    "Kaya", "Rossi", "Esposito", "Schmidt", "O'Brien", "de Oliveira", "de Villiers",
    "de La Tour d'Auvergne", "Müller-Lüdenscheidt", "Fontaine-Delacroix", "Hernandez-Villeneuve",
    "Saint-Martin", "Le Bihan", "Kerboriou",
)

# Students the demo must show whatever the draw: (UAI, given name, surname, level index or None).
# The two Lucas Martin are in different years, so their birth dates tell them apart.
NOTABLE_STUDENTS = (
    (LYC, "Lucas", "Martin", 0), (LYC, "Lucas", "Martin", 3),
    (LYC, "Zoé", "N'Diaye", None), (LYC, "Zoé", "Nguyen", None), (LYC, "Zoé", "Lefèvre", None),
    (CLG, "Zoé", "Le Goff", None), (CLG, "Zoé", "Haddad", None), (CLG, "Zoé", "Moreau", None),
    (LP, "Zoé", "Traoré", None), (LP, "Zoé", "Da Silva", None), (LP, "Zoé", "Kowalski", None),
    (LYC, "Marie-Ève", "de La Tour d'Auvergne", None),          # 31 characters
    (CLG, "Jean-Baptiste", "Müller-Lüdenscheidt", None),        # 33 characters
    (LP, "Anne-Sophie", "Hernandez-Villeneuve", None),          # 32 characters
    (LYC, "Pierre-Louis", "Fontaine-Delacroix Saint-Martin", None),  # 43 characters
    (CLG, "Loïc", "Le Goff", None), (LYC, "Maëlys", "N'Diaye", None),
    (LP, "Noël", "Müller-Lüdenscheidt", None),
)
NAMESAKE = ("Lucas", "Martin")               # exactly the two above: never drawn at random

# Family shapes: most siblings go to schools outside the demo, so most families have one child here.
CHILDREN_WEIGHTS = {1: 80, 2: 16, 3: 4}
TWO_GUARDIANS = 0.85
SIBLING_ELSEWHERE = 0.30                     # a sibling attends another demo establishment
FRANCECONNECT_SHARE = 0.05


# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Seat:
    """A place in a class, with the state and external establishment the student in it will get."""
    uai: str
    level_index: int                         # in its school's levels
    level: _Level
    class_code: str
    state: AccountState
    external_uai: str | None


def _time(moment: datetime) -> str:
    return moment.strftime("%Y%m%d%H%M%SZ")


def _expired_in_demo(account_id: str, notified: datetime) -> bool:
    """About one provisional password in four among those given before June: expired, so that the
    screens show « expiré » (decided from the account id: the seeded draws stay as they were). The
    others carry no date and never expire, whatever the day the demo is looked at."""
    return notified < datetime(2026, 6, 1) and int(account_id[-4:], 16) % 4 == 0


def _activated_in_demo(account_id: str, notified: datetime, last_sign_in: datetime) -> datetime:
    """Within three weeks of the letter, never after the last sign-in; decided from the account id so
    that the seeded draws stay as they were."""
    delay = timedelta(minutes=5 + int(account_id[:5], 16) % (21 * 24 * 60))
    return min(notified + delay, last_sign_in)


def _classes_of(values: dict) -> tuple[str, ...]:
    """An activated account carries the activation date's class (migration 0012)."""
    extra = (attr.OC_ACTIVATION,) if attr.ACTIVATION_DATE in values else ()
    return (attr.OC_PERSON, attr.OC_ACCOUNT) + extra


class _Builder:
    def __init__(self, suffix: str, hash_password: Callable[[str], str], seal: Callable[[str, str], bytes]):
        self.rng = random.Random(DEMO_SEED)
        self.suffix = suffix
        self.hash_password = hash_password
        self.seal = seal
        self.structure: list[DemoEntry] = []
        self.students: list[DemoEntry] = []
        self.guardians: list[DemoEntry] = []
        self.provisional: dict[str, str] = {}
        self.identifiers: set[str] = set()
        self.ines: set[str] = set()
        self.seats: dict[str, list[_Seat]] = {}

    def branch(self, name: str) -> str:
        return f"{name},{self.suffix}"

    # -- establishments ------------------------------------------------------------------------

    def school(self, school: _School) -> None:
        _, civility, given, surname = school.head
        school_dn = dn(attr.UAI, school.uai, self.branch(attr.ESTABLISHMENTS))
        self.structure.append(DemoEntry(school_dn, (attr.OC_ESTABLISHMENT,), {
            attr.UAI: [school.uai], attr.ORGANIZATION: [school.name],
            attr.HEAD_NAME: [f"{civility} {given} {surname}"], attr.LOCALITY: [school.city]}))
        for level in school.levels:
            self.structure.append(DemoEntry(dn(attr.MEF_CODE, level.mef, school_dn), (attr.OC_MEF,), {
                attr.MEF_CODE: [level.mef], attr.UAI: [school.uai], attr.MEF_LABEL: [level.mef_label]}))
        classes = [(index, level, code, label) for index, level in enumerate(school.levels)
                   for code, label in level.classes]
        size = school.students / len(classes)
        seats: list[tuple[int, _Level, str]] = []
        for index, level, code, label in classes:
            self.structure.append(DemoEntry(dn(attr.CN, code, school_dn), (attr.OC_SCHOOL_CLASS,), {
                attr.CN: [code], attr.UAI: [school.uai], attr.DESCRIPTION: [label],
                attr.MEF_CODE: [level.mef]}))
            count = min(36, max(20, round(size) + self.rng.randint(-3, 3)))
            seats += [(index, level, code)] * count
        self.seats[school.uai] = self.fill_seats(school.uai, seats)

    def fill_seats(self, uai: str, places: list[tuple[int, _Level, str]]) -> list[_Seat]:
        """Exact state and external shares per school, dealt out at random over its places."""
        n = len(places)
        active, notified = round(n * ACTIVE_SHARE), round(n * NOTIFIED_SHARE)
        states = ([AccountState.ACTIVE] * active + [AccountState.NOTIFIED] * notified
                  + [AccountState.NOT_NOTIFIED] * (n - active - notified))
        self.rng.shuffle(states)
        externals = [EXTERNAL_OF.get(uai)] * round(n * EXTERNAL_SHARE) if uai in EXTERNAL_OF else []
        externals += [None] * (n - len(externals))
        self.rng.shuffle(externals)
        seats = [_Seat(uai, index, level, code, state, external)
                 for (index, level, code), state, external in zip(places, states, externals)]
        self.rng.shuffle(seats)
        return seats

    def take_seat(self, uai: str, level: int | None = None) -> _Seat:
        seats = self.seats[uai]
        if level is None:
            return seats.pop()
        position = max(i for i, seat in enumerate(seats) if seat.level_index == level)
        return seats.pop(position)

    # -- accounts --------------------------------------------------------------------------------

    def account_id(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    def identifier(self, given: str, surname: str) -> str:
        """First come, first served: `stem`, then `stem2`, `stem3`... in generation order."""
        stem = identifier_stem(given, surname)
        candidate, n = stem, 1
        while candidate in self.identifiers:
            n += 1
            candidate = f"{stem}{n}"
        self.identifiers.add(candidate)
        return candidate

    def moment(self, start: datetime, end: datetime) -> datetime:
        return start + timedelta(seconds=self.rng.randrange(int((end - start).total_seconds())))

    def person(self, account_id: str, given: str, surname: str) -> dict[str, list]:
        return {attr.ACCOUNT_ID: [account_id], attr.CN: [f"{given} {surname}"], attr.SURNAME: [surname],
                attr.GIVEN_NAME: [given], attr.SEARCH_KEY: search_keys(given, surname),
                attr.SORT_NAME: [sort_name(given, surname)]}

    def credentials(self, entry_dn: str, account_id: str, given: str, surname: str,
                    state: AccountState, origin: AccountOrigin) -> dict[str, list]:
        """The state and everything that goes with it: identifier, dates, password, e-mail."""
        values: dict[str, list] = {attr.ACCOUNT_STATE: [state.value], attr.ACCOUNT_ORIGIN: [origin.value]}
        if state is AccountState.NOT_NOTIFIED:
            return values
        uid = self.identifier(given, surname)
        # Notifications go out from the school office: working hours.
        notified = self.moment(YEAR_START, LAST_MOMENT - timedelta(days=1))
        notified = notified.replace(hour=self.rng.randint(8, 17))
        values[attr.UID] = [uid]
        values[attr.NOTIFICATION_DATE] = [_time(notified)]
        if state is AccountState.NOTIFIED:
            provisional = "".join(self.rng.choice(PROVISIONAL_ALPHABET) for _ in range(PROVISIONAL_LENGTH))
            self.provisional[entry_dn] = provisional
            values[attr.USER_PASSWORD] = [self.hash_password(provisional)]
            values[attr.SEALED_PASSWORD] = [self.seal(provisional, account_id)]
            values[attr.PWD_RESET] = [TRUE]
            if _expired_in_demo(account_id, notified):
                # ppolicy's date of the password: older than the default 90 days, the letter expired
                values[attr.PWD_CHANGED_TIME] = [_time(notified)]
            return values
        last_sign_in = self.moment(notified + timedelta(minutes=5), LAST_MOMENT)
        values[attr.PWD_LAST_SUCCESS] = [_time(last_sign_in)]
        values[attr.ACTIVATION_DATE] = [_time(_activated_in_demo(account_id, notified, last_sign_in))]
        if origin is AccountOrigin.FRANCECONNECT:
            # FranceConnect vouches for the person and hands over a confirmed e-mail: no password here.
            values[attr.MAIL] = [f"{uid}@{self.rng.choice(MAIL_DOMAINS)}"]
            values[attr.MAIL_VERIFIED] = [TRUE]
            return values
        chosen = "".join(self.rng.choice(string.ascii_letters + string.digits) for _ in range(16))
        values[attr.USER_PASSWORD] = [self.hash_password(chosen)]
        if self.rng.random() < 0.40:
            values[attr.MAIL] = [f"{uid}@{self.rng.choice(MAIL_DOMAINS)}"]
            values[attr.MAIL_VERIFIED] = [TRUE if self.rng.random() < 0.9 else FALSE]
        return values

    def ine(self) -> str:
        return new_ine(self.rng, self.ines)

    def birth_date(self, seat: _Seat) -> str:
        # About one in ten repeated a year; none skipped one.
        year = seat.level.born - (1 if self.rng.random() < 0.10 else 0)
        born = date(year, 1, 1) + timedelta(days=self.rng.randrange(365))
        return f"{born:%Y%m%d}000000Z"

    def student(self, seat: _Seat, given: str, surname: str) -> DemoEntry:
        account_id = self.account_id()
        entry_dn = dn(attr.ACCOUNT_ID, account_id, self.branch(attr.STUDENTS))
        values = self.person(account_id, given, surname)
        values[attr.UAI] = [seat.uai]
        if seat.external_uai:
            values[attr.EXTERNAL_UAI] = [seat.external_uai]
        values[attr.CLASS_CODE] = [seat.class_code]
        values[attr.MEF_CODE] = [seat.level.mef]
        values[attr.INE] = [self.ine()]
        values[attr.BIRTH_DATE] = [self.birth_date(seat)]
        values.update(self.credentials(entry_dn, account_id, given, surname, seat.state,
                                       AccountOrigin.REGISTRY))
        entry = DemoEntry(entry_dn, _classes_of(values), values)
        self.students.append(entry)
        return entry

    def guardian(self, given: str, surname: str, children: list[DemoEntry]) -> None:
        account_id = self.account_id()
        entry_dn = dn(attr.ACCOUNT_ID, account_id, self.branch(attr.GUARDIANS))
        values = self.person(account_id, given, surname)
        values[attr.CHILD] = [child.dn for child in children]
        values[attr.UAI] = list(dict.fromkeys(child.attributes[attr.UAI][0] for child in children))
        if self.rng.random() < FRANCECONNECT_SHARE:
            state, origin = AccountState.ACTIVE, AccountOrigin.FRANCECONNECT
        else:
            state = self.rng.choices(list(AccountState), weights=(30, 30, 40))[0]
            origin = AccountOrigin.REGISTRY
        values.update(self.credentials(entry_dn, account_id, given, surname, state, origin))
        self.guardians.append(DemoEntry(entry_dn, _classes_of(values), values))

    # -- families ----------------------------------------------------------------------------------

    def child_name(self, surname: str) -> str:
        while True:
            given = self.rng.choice(GIRLS if self.rng.random() < 0.5 else BOYS)
            if (given, surname) != NAMESAKE:
                return given

    def open_schools(self, exclude: str | None = None) -> list[str]:
        return [uai for uai, seats in self.seats.items() if seats and uai != exclude]

    def family(self, first: _Seat, first_given: str | None = None, surname: str | None = None) -> None:
        rng = self.rng
        surname = surname or rng.choice(SURNAMES)
        other_surname = rng.choice(SURNAMES)
        two_guardians = rng.random() < TWO_GUARDIANS
        # A child may carry both parents' names when they do not share one.
        children_surname = surname
        if first_given is None and two_guardians and other_surname != surname and rng.random() < 0.10:
            children_surname = f"{surname} {other_surname}"
        children = [self.student(first, first_given or self.child_name(children_surname), children_surname)]
        siblings = 0 if first_given else rng.choices(list(CHILDREN_WEIGHTS), CHILDREN_WEIGHTS.values())[0] - 1
        for _ in range(siblings):
            elsewhere = self.open_schools(exclude=first.uai)
            if elsewhere and (rng.random() < SIBLING_ELSEWHERE or not self.seats[first.uai]):
                uai = rng.choice(elsewhere)
            elif self.seats[first.uai]:
                uai = first.uai
            else:
                break
            children.append(self.student(self.take_seat(uai), self.child_name(children_surname),
                                         children_surname))
        mother_first = rng.random() < 0.5
        first_names = MOTHERS if mother_first else FATHERS
        self.guardian(rng.choice(first_names), surname, children)
        if two_guardians:
            second_names = FATHERS if mother_first else MOTHERS
            second_surname = surname if rng.random() < 0.55 else other_surname
            self.guardian(rng.choice(second_names), second_surname, children)

    def families(self) -> None:
        for uai, given, surname, level in NOTABLE_STUDENTS:
            self.family(self.take_seat(uai, level), given, surname)
        while open_schools := self.open_schools():
            weights = [len(self.seats[uai]) for uai in open_schools]
            uai = self.rng.choices(open_schools, weights)[0]
            self.family(self.take_seat(uai))

    # -- staff -------------------------------------------------------------------------------------

    def staff(self) -> list[DemoEntry]:
        password = self.hash_password(DEMO_STAFF_PASSWORD)
        entries = []
        for uid, given, surname, role, uai in STAFF:
            values: dict[str, list] = {
                attr.UID: [uid], attr.CN: [f"{given} {surname}"], attr.SURNAME: [surname],
                attr.GIVEN_NAME: [given], attr.MAIL: [f"{fold(given)}.{fold(surname)}@example.org"],
                attr.USER_PASSWORD: [password]}
            if role:
                values[role] = [uai]
            entries.append(DemoEntry(dn(attr.UID, uid, self.branch(attr.STAFF)),
                                     (attr.OC_PERSON, attr.OC_STAFF), values))
        return entries


    # -- staff without rights of their own, and delegations (issue 16) -----------------------------

    def staff_without_rights(self) -> list[DemoEntry]:
        password = self.hash_password(DEMO_STAFF_PASSWORD)
        entries = []
        for uid, given, surname, title, uai in STAFF_WITHOUT_RIGHTS:
            entries.append(DemoEntry(dn(attr.UID, uid, self.branch(attr.STAFF)),
                                     (attr.OC_PERSON, attr.OC_STAFF, attr.OC_STAFF_POST), {
                attr.UID: [uid], attr.CN: [f"{given} {surname}"], attr.SURNAME: [surname],
                attr.GIVEN_NAME: [given], attr.TITLE: [title], attr.UAI: [uai],
                attr.MAIL: [f"{fold(given)}.{fold(surname)}@example.org"], attr.USER_PASSWORD: [password]}))
        return entries

    def delegations(self, today: date) -> list[DemoEntry]:
        """One delegation running this school year, one that ended last school year: their dates
        follow the day the demo is built, so that the first is active and the second expired."""
        from directory.delegations import ldap_time, school_year_end, start_of
        end = school_year_end(today)
        began, last_year = date(end.year - 1, 9, 1), date(end.year - 2, 9, 1)
        entries = []
        for cn, uid, kind, start, until, reason in (
                ("demo0active0cpe", "cpe.lp", "HEAD", began, end + timedelta(days=1),
                 "Suppléance pendant les absences du chef d'établissement"),
                ("demo0expired0prof", "prof.lp", "SUPPORT", last_year, date(end.year - 1, 7, 1),
                 "Aide aux élèves de BTS l'an passé")):
            entries.append(DemoEntry(dn(attr.CN, cn, dn(attr.UAI, LP, self.branch(attr.ESTABLISHMENTS))),
                                     (attr.OC_DELEGATION,), {
                attr.CN: [cn], attr.DELEGATE: [uid], attr.UAI: [LP], attr.DELEGATION_KIND: [kind],
                attr.VALID_FROM: [ldap_time(start_of(start))], attr.VALID_UNTIL: [ldap_time(start_of(until))],
                attr.ACTOR: ["chef.lp"], attr.DESCRIPTION: [reason]}))
        return entries


def build_demo(suffix: str, *, hash_password: Callable[[str], str],
               seal: Callable[[str, str], bytes]) -> DemoData:
    """The whole demo directory, the same on every call for the same suffix (bar hash and seal bytes)."""
    builder = _Builder(suffix, hash_password, seal)
    for school in SCHOOLS:
        builder.school(school)
    builder.families()
    staff = builder.staff() + builder.staff_without_rights() + builder.delegations(date.today())
    return DemoData(entries=builder.structure + builder.students + builder.guardians + staff,
                    admin_dns=[dn(attr.UID, ADMIN_UID, builder.branch(attr.STAFF))],
                    provisional_passwords=builder.provisional)
