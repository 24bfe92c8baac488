"""« Doublons » through the app and a real worker: the search finds a pupil entered twice, the identity team merges
the pair (the activated account keeps its password and identifier, the parent's link moves, the other identifier
stays taken), the undo gives both entries back attribute for attribute — an LDIF comparison of `ldapsearch`'s
output before and after — and a head reads the pairs of their establishment only, without merging."""
from __future__ import annotations

import re
import subprocess

import ldap3
import pytest

from directory import attributes as A
from directory.accounts import Accounts
from directory.audit import record_action
from directory.duplicates import merge as merging
from directory.duplicates.scan import read_accounts
from directory.errors import IdentifierTaken
from directory.holders import Holders
from directory.model import AccountState
from directory.passwords import PasswordHasher, Sealer
from directory.populations import STUDENTS
from directory.registry import lookup
from screens import a_pair
from support import ARGON2, JOB_URL, SEAL_KEY, SUFFIX, binds, csrf_token, wait_for_job

# what any write renews: left out of the comparison of before and after
BOOKKEEPING = re.compile(r"^(modifyTimestamp|modifiersName|entryCSN):", re.M)


def ldif(slapd, entry_dn: str) -> list[str]:
    """The entry as `ldapsearch` prints it, every attribute (user and operational), read by the directory's
    manager; its lines sorted (attribute order is no difference), the bookkeeping of writes left out."""
    text = subprocess.run(["ldapsearch", "-Q", "-LLL", "-o", "ldif-wrap=no", "-Y", "EXTERNAL", "-H", slapd.ldapi_url,
                           "-b", entry_dn, "-s", "base", "*", "+"], capture_output=True, text=True).stdout
    return sorted(line for line in text.splitlines() if line and not BOOKKEEPING.match(line))


def _form_values(page: str) -> dict:
    return dict(re.findall(r'name="(version-[0-9a-f]{32}|confirmation)" value="([^"]*)"', page))


def _post_job(client, url: str, data: dict, redis_url: str):
    answer = client.post(url, data=data)
    assert answer.status_code == 303, answer.get_data(as_text=True)
    job_id = re.search(r"/travaux/([0-9a-f]{32})$", answer.headers["Location"]).group(1)
    return wait_for_job(redis_url, job_id), answer.headers["Location"]


def _search(client, redis_url: str):
    page = client.get("/doublons").get_data(as_text=True)
    return _post_job(client, "/doublons/recherche", {"csrf_token": csrf_token(page),
                                                     "confirmation": _form_values(page)["confirmation"]}, redis_url)


def test_a_pupil_entered_twice_is_found_merged_keeping_the_activated_account_and_undone_exactly(
        app, signed_in, make_account, demo_directory, migrated, worker, redis_server):
    from webapp.holders import tokens
    pair_id, ((kept, password), (other, provisional)) = a_pair(demo_directory, make_account)
    holder = app.test_client()       # the other account's holder, signed in, with a recovery link under way
    form = holder.get("/compte/connexion").get_data(as_text=True)
    assert holder.post("/compte/connexion", data={"csrf_token": csrf_token(form), "identifier": other.identifier,
                                                  "password": provisional}).status_code == 302
    with app.app_context():
        link = tokens.issue("reset", other.account_id, {"dn": other.dn}, 600)
    parent = make_account.guardian(other.dn, uai="0990002P")
    record_action(demo_directory, f"test-{other.account_id}", "test.doublons", "reset", "0990002P", [other.account_id],
                  "Réinitialisation faite avant la fusion")
    before = {dn: ldif(migrated, dn) for dn in (kept.dn, other.dn, parent.dn)}
    client = signed_in("admin.idt")

    job, search_url = _search(client, redis_server.url)
    assert job.status == "finished"
    searched = client.get(search_url).get_data(as_text=True)     # no account was « Fait »: two parts were read
    assert "paire(s) de frères et sœurs probables dans l&#39;annuaire" in searched
    assert 'data-outcome="done"' not in searched
    mine = re.search(rf'<tr><td><a href="{search_url}">.*?</tr>', client.get("/travaux").get_data(as_text=True), re.S)
    assert '<td class="number">—</td>' in mine.group(0)
    listed = client.get("/doublons?etablissement=0990002P").get_data(as_text=True)
    row = re.search(rf'<tr data-pair="{pair_id}">(.*?)</tr>', listed, re.S).group(1)
    assert "même nom et même date de naissance, établissements différents ; un élève sans INE" in row
    assert kept.identifier in row and other.identifier in row

    page = client.get(f"/doublons/paire/{pair_id}").get_data(as_text=True)
    assert re.search(rf'value="{kept.account_id}" checked', page), "the « Activé » account is proposed"
    values = _form_values(page)
    job, report_url = _post_job(client, f"/doublons/paire/{pair_id}/fusion", {
        "csrf_token": csrf_token(page), "garde": kept.account_id, "meme-personne": "y", **values}, redis_server.url)
    report = client.get(report_url).get_data(as_text=True)
    assert job.status == "finished" and "Les deux comptes sont fusionnés" in report

    # the activated account stays: its password binds, its identifier and state are its own; the parent follows
    assert binds(migrated.ldap_url, kept.dn, password)
    now = read_accounts(demo_directory, "student", [kept.account_id, other.account_id])
    assert list(now) == [kept.account_id] and now[kept.account_id].identifier == kept.identifier
    assert now[kept.account_id].state == "ACTIVE"
    children = demo_directory.read_entry(parent.dn, [A.CHILD])["attributes"][A.CHILD]
    assert [c.lower() for c in children] == [kept.dn.lower()]
    # the other is set aside: it no longer signs in, its session and its recovery link end, its identifier is
    # never given again
    assert not binds(migrated.ldap_url, other.dn, provisional)
    ended = holder.get("/compte/mot-de-passe")
    assert ended.status_code == 302 and ended.headers["Location"].endswith("/compte/connexion")
    with app.app_context():
        assert tokens.peek("reset", link) is None
    accounts = Accounts(demo_directory, STUDENTS, PasswordHasher(*ARGON2), Sealer(SEAL_KEY))
    assert accounts.free_identifier(other.given_name, other.surname) != other.identifier
    with pytest.raises(IdentifierTaken):
        demo_directory.writes.run(lambda conn: conn.add(f"uid={other.identifier},{A.RESERVED},{SUFFIX}",
                                                        [A.OC_RESERVED], {A.UID: other.identifier}))
    # one record of the journal names both, and who merged; the kept account's history carries the other's
    journal = client.get("/journal?action=duplicates-merge").get_data(as_text=True)
    assert f"{other.surname.upper()} Elise ({other.identifier}) fusionné dans" in journal
    assert "admin.idt" in journal and "Voir ou annuler la fusion" in journal
    assert f"{other.surname.upper()} Elise ({other.identifier}), mis de côté par une fusion" in journal
    assert "Réinitialisation faite avant la fusion" in [e.summary for e in lookup.events(demo_directory, kept.account_id)]

    # the undo, from its page: nothing changed since, both come back exactly
    undo_page = client.get(f"/doublons/fusions/{job.id}").get_data(as_text=True)
    assert "Le compte gardé n'a pas changé depuis la fusion." in undo_page
    undone, _ = _post_job(client, f"/doublons/fusions/{job.id}/annulation", {
        "csrf_token": csrf_token(undo_page), "confirmer-annulation": "y",
        "confirmation": _form_values(undo_page)["confirmation"]}, redis_server.url)
    assert undone.status == "finished"
    after = {dn: ldif(migrated, dn) for dn in before}
    differences = {dn: sorted(set(after[dn]) ^ set(before[dn])) for dn in before}
    # the one difference is the kept account's last sign-in: the bind this test made after the merge
    signed = differences.pop(kept.dn)
    assert [line.split(":")[0] for line in signed] == ["pwdLastSuccess", "pwdLastSuccess"]
    assert differences == {other.dn: [], parent.dn: []}
    assert binds(migrated.ldap_url, other.dn, provisional) and binds(migrated.ldap_url, kept.dn, password)
    # the journal no longer offers to undo it
    journal = client.get("/journal?action=duplicates-merge").get_data(as_text=True)
    assert re.search(rf'href="/doublons/fusions/{job.id}">Voir la fusion<', journal)


def test_a_merge_is_refused_when_an_account_changed_after_the_pair_was_shown(
        signed_in, make_account, demo_directory, worker, redis_server):
    pair_id, ((kept, _), (other, _)) = a_pair(demo_directory, make_account)
    client = signed_in("admin.idt")
    page = client.get(f"/doublons/paire/{pair_id}").get_data(as_text=True)
    demo_directory.writes.run(lambda conn: conn.modify(other.dn, {A.CLASS_CODE: [(ldap3.MODIFY_REPLACE, ["1BTS1"])]}))
    job, report_url = _post_job(client, f"/doublons/paire/{pair_id}/fusion", {
        "csrf_token": csrf_token(page), "garde": kept.account_id, "meme-personne": "y", **_form_values(page)},
        redis_server.url)
    report = client.get(report_url).get_data(as_text=True)
    assert "a changé depuis que la paire a été affichée : rien n&#39;a été fusionné" in report
    assert set(read_accounts(demo_directory, "student", [kept.account_id, other.account_id])) == \
        {kept.account_id, other.account_id}
    assert merging.read_record(demo_directory, job.id) is None
    # the journal says it was not made, and links to no merge (there is none to see or undo)
    journal = client.get("/journal?action=duplicates-merge").get_data(as_text=True)
    assert "Fusion de doublons : non faite" in journal and f"/doublons/fusions/{job.id}" not in journal


def test_the_undo_says_what_the_kept_account_changed_since_and_leaves_it(signed_in, make_account, demo_directory,
                                                                         migrated):
    from screens import a_merge
    merge_id = a_merge(demo_directory, make_account)
    record = merging.read_record(demo_directory, merge_id)
    holders = Holders(demo_directory, PasswordHasher(*ARGON2))
    kept = holders.by_dn(record.plan.kept_dn)
    client = signed_in("admin.idt")
    assert "n'a pas changé" in client.get(f"/doublons/fusions/{merge_id}").get_data(as_text=True)
    demo_directory.writes.run(lambda conn: conn.modify(kept.dn, {A.MAIL: [(ldap3.MODIFY_REPLACE,
                                                                           ["nouvelle@example.org"])]}))
    page = client.get(f"/doublons/fusions/{merge_id}").get_data(as_text=True)
    assert "Depuis la fusion, le compte gardé a changé : adresse mail." in page
    outcome = merging.undo(demo_directory, merge_id, "admin.idt")
    assert outcome.done
    assert demo_directory.read_entry(kept.dn, [A.MAIL])["attributes"][A.MAIL] == ["nouvelle@example.org"]
    assert demo_directory.read_entry(record.plan.dropped_dn, ["1.1"]) is not None


def test_a_head_reads_the_pairs_of_their_establishment_only_and_never_merges(
        signed_in, make_account, demo_directory, app):
    pair_id, ((kept, _), _) = a_pair(demo_directory, make_account, uais=("0990001N", "0990002P"))
    other_id, _ = a_pair(demo_directory, make_account, uais=("0990001N", "0990003R"))
    head = signed_in("chef.lp")
    listed = head.get("/doublons?etablissement=0990003R").get_data(as_text=True)     # the address says another
    assert f'data-pair="{pair_id}"' in listed and f'data-pair="{other_id}"' not in listed
    assert "Rechercher les doublons" not in listed
    page = head.get(f"/doublons/paire/{pair_id}")
    assert page.status_code == 200 and "Fusionner les deux comptes" not in page.get_data(as_text=True)
    assert head.get(f"/doublons/paire/{other_id}").status_code == 404
    token = csrf_token(page.get_data(as_text=True))
    assert head.post(f"/doublons/paire/{pair_id}/fusion", data={"csrf_token": token, "garde": kept.account_id,
                                                                "meme-personne": "y"}).status_code == 403
    assert head.post("/doublons/recherche", data={"csrf_token": token}).status_code == 403


def test_support_staff_never_see_doublons(app):
    from support import through_the_proxy
    client = app.test_client()
    through_the_proxy(client)
    assert client.get("/doublons").status_code == 403


def test_creating_a_pupil_by_hand_shows_the_probable_duplicate_first_and_matches_it_instead(
        signed_in, make_account, demo_directory):
    from directory.ine import with_key
    existing, password = make_account.student(AccountState.ACTIVE, uai="0990001N", given="Anaëlle",
                                              surname="Quintrec", birth="20090301000000Z")
    ine = with_key("4440001111")
    demo_directory.writes.run(lambda conn: conn.modify(existing.dn, {A.INE: [(ldap3.MODIFY_ADD, [ine])]}))
    client = signed_in("admin.idt")
    typed = {"etablissement": "0990002P", "nom": "QUINTREC", "prenom": "Anaelle", "naissance": "2009-03-01",
             "ine": "", "classe": ""}
    page = client.get("/alimentation/creer").get_data(as_text=True)
    shown = client.post("/alimentation/creer", data={"csrf_token": csrf_token(page), **typed})
    said = shown.get_data(as_text=True)
    assert shown.status_code == 200 and "a probablement déjà un compte" in said
    assert f'data-candidate="{existing.account_id}"' in said and "un élève sans INE" in said
    matched = client.post("/alimentation/creer/rattacher", data={"csrf_token": csrf_token(said), **typed,
                                                                 "compte": existing.account_id})
    assert matched.status_code == 303 and matched.headers["Location"].endswith(f"/compte/{existing.account_id}")
    now = read_accounts(demo_directory, "student", [existing.account_id])[existing.account_id]
    assert now.uais == ("0990002P",) and now.identifier == existing.identifier and now.ine == ine
    assert len(demo_directory.search(f"{A.STUDENTS},{SUFFIX}", "(sesameSortName=quintrec anaelle)", ["1.1"],
                                     ldap3.LEVEL)) == 1        # no second account
    # a namesake born the same day with another valid INE is another pupil: created at once
    other = {**typed, "ine": with_key("4440001112")}
    created = client.post("/alimentation/creer", data={"csrf_token": csrf_token(said), **other})
    assert created.status_code == 303
    new_id = created.headers["Location"].rsplit("/", 1)[1]
    make_account.created.append(f"sesameAccountId={new_id},{A.STUDENTS},{SUFFIX}")
    assert read_accounts(demo_directory, "student", [new_id])[new_id].origin == "MANUAL"


def test_a_parent_pair_shows_each_accounts_children_by_name_not_a_count(signed_in, make_account, demo_directory):
    """Two parents of one name and one e-mail, each with a child of their own: the pair's page names each one's
    children — a count of one on each side is no evidence, and never « identique » when the children differ."""
    from directory.duplicates import pairs
    from directory.duplicates.rules import judge
    from directory.duplicates.scan import Finding
    first_child, _ = make_account.student(AccountState.NOT_NOTIFIED, given="Maëlys", surname="Enfantuntest")
    second_child, _ = make_account.student(AccountState.NOT_NOTIFIED, given="Yanis", surname="Enfantdeuxtest")
    parents = [make_account.guardian(child.dn) for child in (first_child, second_child)]
    surname = parents[0].surname
    for parent in parents:
        demo_directory.writes.run(lambda conn, parent=parent: conn.modify(parent.dn, {
            A.SURNAME: [(ldap3.MODIFY_REPLACE, [surname])], A.CN: [(ldap3.MODIFY_REPLACE, [f"Sam {surname}"])],
            A.MAIL: [(ldap3.MODIFY_REPLACE, ["meme.parent@example.org"])]}))
    people = read_accounts(demo_directory, "parent", [p.account_id for p in parents])
    a, b = sorted(people.values(), key=lambda p: p.account_id)
    finding = Finding(a, b, judge(a, b))
    assert finding.verdict.kind == "duplicate"
    pairs.write(demo_directory, finding, "test")
    make_account.created.insert(0, pairs.pair_dn(demo_directory, finding.key))

    page = signed_in("admin.idt").get(f"/doublons/paire/{finding.key}").get_data(as_text=True)
    row = re.search(r'<tr data-field="children">(.*?)</tr>', page, re.S).group(1)
    assert "ENFANTUNTEST Maëlys" in row and "ENFANTDEUXTEST Yanis" in row
    assert "identique" not in row
    place = re.search(r'<tr data-field="uai">(.*?)</tr>', page, re.S).group(1)
    assert place.count("0990002P LP Métiers Auguste Perret") == 2, "the establishment by its name, as in the list"
    assert "son INE" not in page, "a parent has no INE: the merge form says what a parent's merge carries"


def test_a_pupil_matched_into_another_establishment_leaves_the_old_ones_class_and_mef_behind(
        signed_in, make_account, demo_directory):
    """« C'est lui : le rattacher à … » moves the account: the class and MEF of the school it leaves are not the new
    one's (the class typed is taken; none typed, none kept — the next import gives them)."""
    existing, _ = make_account.student(AccountState.ACTIVE, uai="0990002P", given="Noé", surname="Rattachetest",
                                       birth="20090615000000Z")
    client = signed_in("admin.idt")
    typed = {"etablissement": "0990003R", "nom": "Rattachetest", "prenom": "Noe", "naissance": "2009-06-15",
             "ine": "", "classe": ""}
    page = client.get("/alimentation/creer").get_data(as_text=True)
    said = client.post("/alimentation/creer", data={"csrf_token": csrf_token(page), **typed}).get_data(as_text=True)
    assert f'data-candidate="{existing.account_id}"' in said
    matched = client.post("/alimentation/creer/rattacher", data={"csrf_token": csrf_token(said), **typed,
                                                                 "compte": existing.account_id})
    assert matched.status_code == 303
    entry = demo_directory.read_entry(existing.dn, [A.UAI, A.CLASS_CODE, A.MEF_CODE])["attributes"]
    assert entry[A.UAI] == ["0990003R"]
    assert not entry.get(A.CLASS_CODE) and not entry.get(A.MEF_CODE), entry
