"""« Élèves extérieurs »: another establishment's students who follow a shared course here."""
import html
import re


from directory.model import AccountState
from directory.populations import EXTERNAL
from directory.search import AccountCriteria
from support import JOB_URL, ROW_IDS, SSO_SECRET, confirmed, csrf_token, pdf_pages, sign_in, wait_for_job

LP, LYC = "0990002P", "0990003R"


def _externals_of(demo_directory, uai, **criteria):
    return demo_directory.population(EXTERNAL).ids(uai, AccountCriteria(**criteria))


def test_the_lp_sees_the_lycee_students_who_follow_a_course_there(signed_in, demo_directory):
    lp = signed_in("chef.lp")
    page = lp.get("/eleves-exterieurs").get_data(as_text=True)
    for label in ("Gestion des comptes élèves extérieurs", "Établissement de rattachement", "MEF",
                  "État(s) de compte", "Nom ou prénom"):
        assert label in page, label
    expected = _externals_of(demo_directory, LP)
    assert expected and f"<strong>{len(expected)}</strong> élève(s)" in page
    assert "0990003R" in page and "LYC Marie Curie" in page
    assert set(ROW_IDS.findall(page)) <= set(expected)
    own = demo_directory.students.ids(LP, AccountCriteria())
    assert not set(ROW_IDS.findall(page)) & set(own)


def test_filter_by_establishment_of_attachment_and_refuse_an_unknown_one(signed_in, demo_directory):
    lp = signed_in("chef.lp")
    page = lp.get("/eleves-exterieurs?rattachement=0990003R").get_data(as_text=True)
    assert "Filtre utilisé" in page
    refused = lp.get("/eleves-exterieurs?rattachement=0990001N")
    assert refused.status_code == 400
    assert "n'a pas d'élève ici" in html.unescape(refused.get_data(as_text=True))


def test_notify_an_external_student_and_their_school_sees_it(signed_in, app, demo_directory, app_config, worker):
    lp = signed_in("chef.lp")
    target = _externals_of(demo_directory, LP, states=(AccountState.NOT_NOTIFIED,))[0]
    token = csrf_token(lp.get("/eleves-exterieurs").get_data(as_text=True))
    lp.post("/eleves-exterieurs/selection/vider", data={"csrf_token": token})
    assert lp.post("/eleves-exterieurs/selection", data={"csrf_token": token, "id": target, "ids": [target]}).status_code == 200
    response = lp.post("/eleves-exterieurs/notifications", data=confirmed({"csrf_token": token, "notification": "courrier"}))
    assert response.status_code == 303
    job = wait_for_job(app_config["SESAME_REDIS_URL"], JOB_URL.search(response.headers["Location"]).group(1))
    assert job.status == "finished" and job.population == "external"
    page = lp.get(f"/travaux/{job.id}").get_data(as_text=True)
    letter = lp.get(re.search(r'href="(/fichiers/[^"]+)"', page).group(1)).data
    assert len(pdf_pages(letter)) == 1
    assert demo_directory.students.get(LYC, target)[1].state is AccountState.NOTIFIED
    lyc = app.test_client()
    assert sign_in(lyc, "chef.lyc").status_code == 302
    _, student = demo_directory.students.get(LYC, target)
    row = lyc.get("/eleves", query_string={"q": f"{student.given_name} {student.surname}"}).get_data(as_text=True)
    assert "Notifié et non activé" in row and target in row


def test_only_external_students_of_this_establishment_can_be_acted_on(signed_in, demo_directory):
    lp = signed_in("chef.lp")
    token = csrf_token(lp.get("/eleves-exterieurs").get_data(as_text=True))
    lycee_only = [i for i in demo_directory.students.ids(LYC, AccountCriteria())
                  if i not in _externals_of(demo_directory, LP)][0]
    assert lp.post("/eleves-exterieurs/selection", data={"csrf_token": token, "id": lycee_only, "ids": [lycee_only]}).status_code == 404
    assert lp.post(f"/eleves-exterieurs/{lycee_only}/reinitialisation", data={"csrf_token": token}).status_code == 404
    external = _externals_of(demo_directory, LP)[0]
    # the full record stays with the establishment of attachment
    assert lp.get(f"/eleves/fiche/{external}").status_code == 404
    assert lp.get(f"/eleves-exterieurs/fiche/{external}").status_code == 404


def test_support_staff_do_not_open_external_students(client):
    client.get("/connexion/sso", headers={"X-Remote-User": "support.lp", "X-Sesame-Proxy-Secret": SSO_SECRET})
    assert client.get("/eleves-exterieurs").status_code == 403


def test_a_school_without_external_students_has_an_empty_list(signed_in):
    page = signed_in("chef.clg").get("/eleves-exterieurs").get_data(as_text=True)
    assert "<strong>0</strong> élève(s)" in page
