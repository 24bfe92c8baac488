"""« Paramétrage »: dated delegations granted by a head, followed on every request, ended at once; what a
delegate may and may not do; what a grant refuses (and stores nothing)."""
import html
import re
from datetime import datetime, timedelta

import pytest

from directory.delegations import PARIS, Delegations
from parametrage import delegation_in_directory, delegations, grant, today  # noqa: F401 - the fixture removes the delegations made
from support import DEMO_PASSWORD, csrf_token, sign_in, through_the_proxy

LP, CLG = "0990002P", "0990001N"


def _text(response) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def _delegate_client(app):
    delegate = app.test_client()
    response = sign_in(delegate, "secretariat.lp")
    return delegate, response


def test_a_staff_member_without_rights_cannot_sign_in(app):
    _, response = _delegate_client(app)
    assert response.status_code == 401


def test_depannage_until_tomorrow_reaches_only_the_lps_depannage_then_ending_refuses_the_next_request(
        app, signed_in, delegations):
    head = signed_in("chef.lp")
    response = grant(head, "secretariat.lp", "SUPPORT", end=today() + timedelta(days=1), reason="Rentrée")
    assert response.status_code == 303
    listed = _text(head.get("/parametrage"))
    assert "secretariat.lp" in listed and "Dépannage" in listed and "chef.lp" in listed
    assert f"{today() + timedelta(days=1):%d/%m/%Y}" in listed

    delegate, response = _delegate_client(app)
    assert response.status_code == 302
    students = delegate.get("/eleves").get_data(as_text=True)
    assert "Dépannage des comptes élèves" in students and LP in students
    assert ">Mot de passe<" in students and ">Email<" in students     # the dépannage table
    for refused in ("/responsables", "/eleves-exterieurs", "/parametrage", "/journal"):
        assert delegate.get(refused).status_code == 403, refused
    assert "Paramétrage" not in delegate.get("/").get_data(as_text=True)
    # not another establishment, whatever is posted
    page = delegate.get("/").get_data(as_text=True)
    assert delegate.post("/etablissement", data={"csrf_token": csrf_token(page), "uai": CLG}).status_code == 403

    ended = [d for d in delegations.of_establishment(LP) if d.delegate == "secretariat.lp" and d.active(
        datetime.now(PARIS))]
    assert len(ended) == 1
    page = head.get("/parametrage").get_data(as_text=True)
    response = head.post(f"/parametrage/delegations/{ended[0].id}/fin", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    after = delegate.get("/eleves")            # the same session, not signed out first
    assert after.status_code in (302, 401, 403) and "Dépannage des comptes" not in after.get_data(as_text=True)


def test_head_rights_delegated_open_notify_but_never_parametrage(app, signed_in, delegations):
    head = signed_in("chef.lp")
    assert grant(head, "prof.lp", "HEAD").status_code == 303
    delegate = app.test_client()
    assert sign_in(delegate, "prof.lp").status_code == 302
    assert delegate.get("/responsables").status_code == 200
    home = delegate.get("/").get_data(as_text=True)
    assert "Paramétrage" not in home and "Administration des comptes" in home
    assert delegate.get("/parametrage").status_code == 403
    page = delegate.get("/eleves").get_data(as_text=True)
    assert grant(delegate, "secretariat.lp").status_code in (400, 403)   # no form for them: refused either way
    assert delegate.post("/parametrage/delegations", data={"csrf_token": csrf_token(page), "delegate": "cpe.lp",
                                                           "kind": "HEAD"}).status_code == 403


def test_the_demo_cpe_holds_the_heads_rights_and_the_demo_teachers_delegation_has_expired(demo_directory):
    assert demo_directory.staff("cpe.lp").role.value == "DELEGATED_HEAD"
    assert [d for d in Delegations(demo_directory).of_establishment(LP) if d.delegate == "prof.lp"
            and not d.active(datetime.now(PARIS))]


def test_a_delegate_of_two_establishments_switches_between_them(app, signed_in, delegations):
    head = signed_in("admin.idt")
    assert grant(head, "secretariat.lp", "SUPPORT").status_code == 303      # admin.idt acts on CLG first
    page = head.get("/").get_data(as_text=True)
    head.post("/etablissement", data={"csrf_token": csrf_token(page), "uai": LP})
    assert grant(head, "secretariat.lp", "HEAD").status_code == 303
    delegate = app.test_client()
    assert sign_in(delegate, "secretariat.lp").status_code == 302
    home = delegate.get("/").get_data(as_text=True)
    assert "Changer d'établissement" in html.unescape(home) and LP in home
    assert delegate.get("/responsables").status_code == 200       # head's rights at the LP
    response = delegate.post("/etablissement", data={"csrf_token": csrf_token(home), "uai": CLG})
    assert response.status_code == 302
    assert delegate.get("/responsables").status_code == 403       # dépannage only at the collège
    assert "Dépannage des comptes élèves" in delegate.get("/eleves").get_data(as_text=True)


def _school_year_end():
    from directory.delegations import school_year_end
    return school_year_end(today())


# each value: the form's fields changed from a valid grant, and what the page must say
REFUSALS = {
    "a start in the past": (lambda t: {"start": t - timedelta(days=1)}, "La date de début ne peut pas être passée."),
    "reversed dates": (lambda t: {"start": t + timedelta(days=3), "end": t + timedelta(days=2)},
                       "La date de fin précède la date de début."),
    "past the school year": (lambda t: {"end": _school_year_end() + timedelta(days=1)}, "fin de l'année scolaire"),
    "to oneself": (lambda t: {"delegate": "chef.lp"}, "vous-même"),
    "to a student": (lambda t: {"delegate": "zoe.martin"}, "n'est pas dans l'annuaire"),
    "to another establishment's head": (lambda t: {"delegate": "chef.clg"}, "n'est pas rattaché à votre établissement"),
    "to the identity team": (lambda t: {"delegate": "admin.idt"}, "équipe d'identité"),
    "a 10,000-character reason": (lambda t: {"reason": "x" * 10_000}, "ne peut pas dépasser 200 caractères"),
    "HTML": (lambda t: {"reason": "<script>alert(1)</script>"}, "< et >"),
    "a formula": (lambda t: {"reason": '=HYPERLINK("http://x")'}, "formule"),
    "an unknown kind": (lambda t: {"kind": "ADMIN"}, "Choisissez"),
    "no such date": (lambda t: {"start": "31/02/2027"}, "Indiquez la date de début"),
    "10,000 characters as the staff member": (lambda t: {"delegate": "a" * 10_000}, "n'est pas dans l'annuaire"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_a_refused_grant_says_why_in_french_with_a_4xx_and_stores_nothing(signed_in, delegations, case):
    change, message = REFUSALS[case]
    head = signed_in("chef.lp")
    day = today()
    values = {"delegate": "secretariat.lp", "kind": "SUPPORT", "start": day, "end": day + timedelta(days=2),
              "reason": "", **change(day)}
    before = delegations.of_establishment(LP)
    response = grant(head, values["delegate"], values["kind"], values["start"], values["end"], values["reason"])
    assert 400 <= response.status_code < 500
    assert message in _text(response)
    assert "La délégation n'a pas été accordée" in _text(response)
    assert delegations.of_establishment(LP) == before


def test_a_head_cannot_end_another_establishments_delegation(app, signed_in, delegations):
    lyc = signed_in("chef.clg")
    demo = [d for d in delegations.of_establishment(LP) if d.delegate == "cpe.lp"][0]
    page = lyc.get("/parametrage").get_data(as_text=True)
    response = lyc.post(f"/parametrage/delegations/{demo.id}/fin", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 404
    assert [d for d in delegations.of_establishment(LP) if d.id == demo.id][0].ended_by == ""


def test_ending_without_the_csrf_token_is_refused_and_changes_nothing(signed_in, delegations):
    head = signed_in("chef.lp")
    demo = [d for d in delegations.of_establishment(LP) if d.delegate == "cpe.lp"][0]
    assert head.post(f"/parametrage/delegations/{demo.id}/fin", data={}).status_code == 400
    assert [d for d in delegations.of_establishment(LP) if d.id == demo.id][0].ended_by == ""


def test_support_staff_see_no_parametrage(client):
    through_the_proxy(client)
    assert client.get("/parametrage").status_code == 403
    assert client.get("/journal").status_code == 403
    assert DEMO_PASSWORD   # the demo password is the suite's: nobody signs in here with it


def test_a_delegation_reaching_its_term_mid_session_refuses_the_very_next_request(app, demo_directory, delegations):
    import time
    from datetime import timezone

    now = datetime.now(timezone.utc)
    delegation_in_directory(demo_directory, "lapsing0web", "secretariat.lp", "SUPPORT", now + timedelta(seconds=3))
    delegate, response = _delegate_client(app)
    assert response.status_code == 302
    assert delegate.get("/eleves").status_code == 200
    time.sleep(max(0.0, (now + timedelta(seconds=3.2) - datetime.now(timezone.utc)).total_seconds()))
    after = delegate.get("/eleves")
    assert after.status_code in (302, 401, 403) and "Dépannage des comptes" not in after.get_data(as_text=True)


def _end_through_the_confirmation(head, delegation_id):
    """« Mettre fin à la délégation » opens a page that asks; « Confirmer la fin de la délégation » ends it."""
    asked = head.get(f"/parametrage/delegations/{delegation_id}/fin")
    assert asked.status_code == 200 and "perdra dès maintenant" in _text(asked)
    return head.post(f"/parametrage/delegations/{delegation_id}/fin",
                     data={"csrf_token": csrf_token(asked.get_data(as_text=True))})


def test_granting_the_same_delegation_twice_leaves_one_and_ending_it_ends_the_right(app, signed_in, delegations):
    head = signed_in("chef.lp")
    assert grant(head, "secretariat.lp", "SUPPORT", end=today() + timedelta(days=3)).status_code == 303
    again = grant(head, "secretariat.lp", "SUPPORT", start=today() + timedelta(days=1), end=today() + timedelta(days=5))
    assert again.status_code == 400 and "a déjà la délégation « Dépannage »" in _text(again)
    running = [d for d in delegations.of_establishment(LP) if d.delegate == "secretariat.lp"
               and d.valid_until > datetime.now(PARIS)]
    assert len(running) == 1

    delegate, response = _delegate_client(app)
    assert response.status_code == 302 and delegate.get("/eleves").status_code == 200
    page = head.get("/parametrage").get_data(as_text=True)
    assert f'href="/parametrage/delegations/{running[0].id}/fin"' in page     # a page that asks, not a post
    assert _end_through_the_confirmation(head, running[0].id).status_code == 303
    after = delegate.get("/eleves")
    assert after.status_code == 302 and "/connexion" in after.headers["Location"]
    assert "Vos droits dans Sésame ont pris fin" in _text(delegate.get(after.headers["Location"]))


def test_ending_a_delegation_granted_twice_before_the_rule_ends_both(app, signed_in, demo_directory, delegations):
    """Two running delegations of one person and right (made before one at a time was the rule): ending
    either ends the right."""
    from datetime import timezone

    from directory import attributes as A
    from directory.delegations import ldap_time
    now = datetime.now(timezone.utc)
    for name in ("twin0one", "twin0two"):
        dn = f"cn={name},{A.UAI}={LP},{A.ESTABLISHMENTS},{demo_directory.suffix}"
        demo_directory.writes.run(lambda conn, dn=dn, name=name: conn.add(dn, [A.OC_DELEGATION], {
            A.CN: name, A.DELEGATE: "secretariat.lp", A.UAI: LP, A.DELEGATION_KIND: "SUPPORT",
            A.VALID_FROM: ldap_time(now - timedelta(hours=1)), A.VALID_UNTIL: ldap_time(now + timedelta(days=2)),
            A.ACTOR: "chef.lp"}))
    delegate, response = _delegate_client(app)
    assert response.status_code == 302
    head = signed_in("chef.lp")
    assert _end_through_the_confirmation(head, "twin0one").status_code == 303
    assert delegate.get("/eleves").status_code == 302
    assert not [d for d in delegations.of_establishment(LP) if d.delegate == "secretariat.lp"
                and d.active(datetime.now(timezone.utc))]


def test_the_delegate_search_lists_only_the_heads_own_establishments_staff(signed_in, demo_directory, delegations):
    head = signed_in("chef.lp")
    posted = grant(head, "a")           # one letter: several match, the refusal lists them
    listed = set(re.findall(r"choisi=([a-z.]+)", posted.get_data(as_text=True)))
    searched = set(re.findall(r"choisi=([a-z.]+)", head.get("/parametrage?personnel=a").get_data(as_text=True)))
    for found in (listed, searched):
        assert found and "cpe.lp" in found
        assert not found & {"chef.clg", "chef.lyc", "admin.idt"}, found
        for uid in found:
            assert LP in Delegations(demo_directory).staff_member(uid).works_at, uid


def test_a_former_delegate_typing_the_right_password_is_told_their_rights_ended(app):
    former = app.test_client()
    right = sign_in(former, "prof.lp")                       # the demo's « Dépannage » ended last school year
    assert right.status_code == 403
    assert "Vos droits dans Sésame ont pris fin" in _text(right)
    wrong = sign_in(app.test_client(), "prof.lp", "pas-le-bon-mot-de-passe")
    assert wrong.status_code == 401 and "Identifiant ou mot de passe incorrect" in _text(wrong)
    assert "ont pris fin" not in _text(wrong)


def test_support_staff_holding_a_delegation_cannot_sign_in_by_password_and_their_sso_session_stays_theirs(
        app, signed_in, delegations):
    head = signed_in("chef.lp")
    assert grant(head, "support.lp", "HEAD").status_code == 303
    refused = sign_in(app.test_client(), "support.lp")
    assert refused.status_code == 401 and "Identifiant ou mot de passe incorrect" in _text(refused)
    sso = app.test_client()
    through_the_proxy(sso)
    assert "Dépannage des comptes élèves" in sso.get("/eleves").get_data(as_text=True)
    assert sso.get("/responsables").status_code == 403       # a head's rights are never opened by the SSO


def test_a_session_that_does_not_say_how_it_was_opened_carries_nothing(app, signed_in):
    head = signed_in("chef.lp")
    assert head.get("/eleves").status_code == 200
    with head.session_transaction() as session:
        session.pop("signed_in_by")
    assert head.get("/eleves").status_code == 302
