"""The one list of the app's screens, who sees each and at what address: the accessibility check visits every
one of them in Chromium, and the hostile-input test feeds every field and link they hold. A new screen is one
line here; the tabs of webapp/access.py TABS are added by themselves."""
from __future__ import annotations

from dataclasses import dataclass

from directory.model import AccountState


@dataclass(frozen=True)
class Screen:
    name: str
    who: str        # nobody, head (chef.lp), admin (admin.idt), support (support.lp, SSO), holder (activated),
                    # new-holder, birth-date
    path: str       # {student}: one of the LP's students; {job}: a finished job of chef.lp's; {pair}: a pair of
                    # duplicates of the test's own (a_pair); {merge}: a merge of such a pair (a_merge)
    selection: bool = False    # the action screens show their form once something is selected


SCREENS = [
    Screen("staff sign-in", "nobody", "/connexion"),
    Screen("holders' sign-in", "nobody", "/compte/connexion"),
    Screen("holders' sign-in, identifier from a letter's QR code", "nobody", "/compte/connexion?identifiant=zoe.martin"),
    Screen("forgotten password", "nobody", "/compte/mot-de-passe-oublie"),
    Screen("forgotten identifier", "nobody", "/compte/identifiant-oublie"),
    Screen("students, searched", "head", "/eleves?q=martin"),
    Screen("student's record", "head", "/eleves/fiche/{student}"),
    Screen("(Re)Notifier les comptes", "head", "/eleves/notifier", selection=True),
    Screen("Réinitialiser les mots de passe", "head", "/eleves/reinitialiser", selection=True),
    Screen("Lister les comptes", "head", "/eleves/lister", selection=True),
    Screen("parents' notify", "head", "/responsables/notifier", selection=True),
    Screen("Mes opérations", "head", "/travaux"),
    Screen("a finished job, with « Réimprimer »", "head", "/travaux/{job}"),
    Screen("the guide", "head", "/aide"),
    Screen("the guide: notifying", "head", "/aide/notifier"),
    Screen("Dépannage", "support", "/eleves"),
    Screen("Dépannage, searched", "support", "/eleves?q=martin"),
    Screen("holder: choose a password", "new-holder", "/compte/mot-de-passe"),
    Screen("holder: birth date", "birth-date", "/compte/naissance"),
    Screen("holder: their account", "holder", "/compte/"),
    Screen("holder: e-mail", "holder", "/compte/courriel"),
    Screen("Journal des opérations", "head", "/journal"),
    Screen("Statistiques des responsables", "head", "/statistiques?population=responsables"),
    Screen("Statistiques: tous les établissements", "admin", "/statistiques/etablissements"),
    Screen("Alimentation: recherche dans tous les établissements", "admin", "/alimentation/recherche?q=martin"),
    Screen("Alimentation: comptes supprimables", "admin", "/alimentation/departs"),
    Screen("Alimentation: créer un compte élève", "admin", "/alimentation/creer"),
    Screen("Doublons of the identity team, every establishment", "admin", "/doublons"),
    Screen("Doublons: a pair, to merge", "admin", "/doublons/paire/{pair}"),
    Screen("Doublons: a merge, to undo", "admin", "/doublons/fusions/{merge}"),
]


# the tabs that are not a population's list: a new tab without its address here fails the collection
OTHER_TABS = {"home.index": ("head", "/"), "stats.index": ("head", "/statistiques"),
              "settings.index": ("head", "/parametrage"), "alimentation.index": ("admin", "/alimentation"),
              "doublons.index": ("head", "/doublons")}


def _tabs() -> list[Screen]:
    from webapp.access import TABS
    from webapp.students.population import ALL
    prefixes = {f"{p.name}.index": ("head", p.prefix) for p in ALL}
    return [Screen(f"tab « {label} »", *{**prefixes, **OTHER_TABS}[endpoint]) for endpoint, label, _ in TABS]


ALL_SCREENS = SCREENS + _tabs()


def finished_job(app_config, make_account) -> str:
    """A finished notify of chef.lp's, of an account of the test's own: its job id."""
    from redis import Redis
    from webapp.jobs.store import DONE, FINISHED, JobStore
    record, _ = make_account.student(AccountState.NOTIFIED)
    store = JobStore(Redis.from_url(app_config["SESAME_REDIS_URL"]))
    job, _ = store.create("notify", "chef.lp", "0990002P", "students", [record.account_id], {"letters": True})
    store.record(job.id, record.account_id, DONE, "NOTIFIED")
    job.status = FINISHED
    store.save(job)
    return job.id


def a_pair(directory, make_account, uais=("0990001N", "0990002P")) -> tuple[str, list]:
    """Two accounts of the test's own that are one pupil entered twice — the first « Activé » with an INE in
    `uais[0]`, the second recreated by hand without INE in `uais[1]`, « Notifié et non activé » — and their pair
    as a search keeps it: (pair id, [(record, password) of each])."""
    import secrets

    import ldap3

    from directory import attributes as A
    from directory.duplicates import pairs
    from directory.duplicates.rules import judge
    from directory.duplicates.scan import Finding, read_accounts
    from directory.ine import with_key
    surname = "Doublon" + "".join(chr(97 + int(c, 16) % 26) for c in secrets.token_hex(4))
    first = make_account.student(AccountState.ACTIVE, uai=uais[0], given="Élise", surname=surname)
    second = make_account.student(AccountState.NOTIFIED, uai=uais[1], given="Elise", surname=surname)
    ine = with_key(f"{secrets.randbelow(10 ** 10):010d}")
    directory.writes.run(lambda conn: conn.modify(first[0].dn, {A.INE: [(ldap3.MODIFY_ADD, [ine])]}))
    directory.writes.run(lambda conn: conn.modify(second[0].dn, {A.ACCOUNT_ORIGIN: [(ldap3.MODIFY_REPLACE, ["MANUAL"])]}))
    people = read_accounts(directory, "student", [first[0].account_id, second[0].account_id])
    a, b = sorted(people.values(), key=lambda p: p.account_id)
    finding = Finding(a, b, judge(a, b))
    pairs.write(directory, finding, "test")
    make_account.created.insert(0, pairs.pair_dn(directory, finding.key))     # removed last
    return finding.key, [first, second]


def a_merge(directory, make_account) -> str:
    """A pair of the test's own merged (the « Activé » account kept): the merge's id. The account set aside and
    the record are removed with the test's accounts."""
    import secrets

    from directory.duplicates import merge
    from directory.duplicates.scan import read_accounts
    pair_id, ((kept, _), (dropped, _)) = a_pair(directory, make_account)
    versions: dict = {}
    read_accounts(directory, "student", [kept.account_id, dropped.account_id], versions)
    merge_id = secrets.token_hex(16)
    outcome = merge.merge(directory, merge_id, "student", kept.account_id, dropped.account_id,
                          {"kept": versions[kept.account_id], "dropped": versions[dropped.account_id]}, "admin.idt",
                          pair_id)
    assert outcome.done, outcome
    record = merge.record_dn(directory, merge_id)
    make_account.created[:0] = [record, f"sesameAccountId={dropped.account_id},{record}"]   # removed after the rest
    return merge_id


def doublons_address(path: str, make_account) -> str:
    """A screen's address with its pair or merge of the test's own."""
    if "{pair}" in path:
        return path.format(pair=a_pair(make_account.directory, make_account)[0])
    if "{merge}" in path:
        return path.format(merge=a_merge(make_account.directory, make_account))
    return path
