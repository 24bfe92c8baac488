"""« Responsables »: parents, each seen from every establishment of their children with those children only."""
import csv
import html
import io
import re


from directory import attributes as A
from directory.model import AccountState
from directory.search import AccountCriteria, AccountSort
from support import JOB_URL, ROW_IDS, SSO_SECRET, binds, confirmed, csrf_token, pdf_pages, sign_in, wait_for_job

CLG, LP, LYC = "0990001N", "0990002P", "0990003R"


def _guardian_in_two(demo_directory):
    found = demo_directory.search(demo_directory.base(A.GUARDIANS),
                                  f"(&({A.UAI}={CLG})({A.UAI}={LYC})({A.ACCOUNT_ORIGIN}=REGISTRY))",
                                  [A.ACCOUNT_ID, A.SURNAME, A.GIVEN_NAME, A.CHILD])
    return found[0][1]


def _children_at(demo_directory, guardian, uai):
    ids = [dn.split(",", 1)[0].split("=", 1)[1] for dn in guardian[A.CHILD]]
    return {i for i in ids if i in set(demo_directory.students.ids(uai, AccountCriteria()))}


def test_a_parent_of_two_schools_is_seen_from_each_with_its_children_only(app, demo_directory):
    guardian = _guardian_in_two(demo_directory)
    for uid, uai, other in (("chef.clg", CLG, LYC), ("chef.lyc", LYC, CLG)):
        client = app.test_client()
        sign_in(client, uid)
        page = client.get("/responsables", query_string={"q": f"{guardian[A.GIVEN_NAME][0]} {guardian[A.SURNAME][0]}"}
                          ).get_data(as_text=True)
        assert guardian[A.ACCOUNT_ID][0] in ROW_IDS.findall(page)
        row = re.search(r'<tr[^>]*>(?:(?!</tr>).)*' + guardian[A.ACCOUNT_ID][0] + r'.*?</tr>', page, re.S).group(0)
        for child in _children_at(demo_directory, guardian, uai):
            _, student = demo_directory.students.get(uai, child)
            assert html.escape(student.display_name) in row or student.display_name in html.unescape(row)
        for child in _children_at(demo_directory, guardian, other):
            _, student = demo_directory.students.get(other, child)
            assert student.display_name not in html.unescape(row)


def test_search_by_a_childs_class_and_name(signed_in, demo_directory):
    lp = signed_in("chef.lp")
    page = lp.get("/responsables?classe=1BTS2").get_data(as_text=True)
    children = set(demo_directory.students.ids(LP, AccountCriteria(classes=("1BTS2",))))
    shown = ROW_IDS.findall(page)
    assert shown and "Filtre utilisé" in page
    for guardian_id in shown:
        _, guardian = demo_directory.guardians.get(LP, guardian_id)
        assert set(guardian.children) & children
    nobody = lp.get("/responsables", query_string={"enfant": "zzzz-nobody"}).get_data(as_text=True)
    assert "<strong>0</strong> responsable(s)" in nobody


def test_notify_a_parent_names_the_children_here_and_lists_them(signed_in, demo_directory, app_config, worker, slapd):
    lp = signed_in("chef.lp")
    target = demo_directory.guardians.ids(LP, AccountCriteria(states=(AccountState.NOT_NOTIFIED,)))[0]
    _, guardian = demo_directory.guardians.get(LP, target)
    token = csrf_token(lp.get("/responsables").get_data(as_text=True))
    lp.post("/responsables/selection/vider", data={"csrf_token": token})
    lp.post("/responsables/selection", data={"csrf_token": token, "id": target, "ids": [target]})
    response = lp.post("/responsables/notifications", data=confirmed({"csrf_token": token, "notification": "courrier"}))
    job = wait_for_job(app_config["SESAME_REDIS_URL"], JOB_URL.search(response.headers["Location"]).group(1))
    assert job.status == "finished"
    page = lp.get(f"/travaux/{job.id}").get_data(as_text=True)
    letter = pdf_pages(lp.get(re.search(r'href="(/fichiers/[^"]+)"', page).group(1)).data)
    assert len(letter) == 1 and "Responsable de :" in letter[0]
    child = demo_directory.students.get(LP, [c for c in guardian.children if c in
                                             set(demo_directory.students.ids(LP, AccountCriteria()))][0])[1]
    assert child.surname.upper() in letter[0]
    identifier = re.search(r"Identifiant : (\S+)", letter[0]).group(1)
    password = re.search(r"Mot de passe provisoire : (\S+)", letter[0]).group(1)
    dn = demo_directory.search(demo_directory.base(A.GUARDIANS), f"(uid={identifier})", ["1.1"])[0][0]
    assert binds(slapd.ldap_url, dn, password)

    response = lp.post("/responsables/listes", data=confirmed({"csrf_token": token, "format": "csv"}))
    job = wait_for_job(app_config["SESAME_REDIS_URL"], JOB_URL.search(response.headers["Location"]).group(1))
    page = lp.get(f"/travaux/{job.id}").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(lp.get(re.search(r'href="(/fichiers/[^"]+)"', page).group(1)).data
                                       .decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["UAI", "Établissement", "Nom responsable", "Prénom responsable", "Enfant(s)", "État du compte",
                       "Identifiant", "Mot de passe", "Date de notification", "Date de dernière connexion"]
    assert rows[1][6] == identifier and rows[1][7] == password and child.surname.upper() in rows[1][4]


def test_franceconnect_parents_get_no_letter_and_no_reset(signed_in, demo_directory, app_config, worker):
    found = demo_directory.search(demo_directory.base(A.GUARDIANS),
                                  f"(&({A.UAI}={LP})({A.ACCOUNT_ORIGIN}=FRANCECONNECT))", [A.ACCOUNT_ID])
    target = found[0][1][A.ACCOUNT_ID][0]
    lp = signed_in("chef.lp")
    page = lp.get("/responsables").get_data(as_text=True)
    token = csrf_token(page)
    refused = lp.post(f"/responsables/{target}/reinitialisation", data={"csrf_token": token})
    assert refused.status_code == 409 and "FranceConnect" in html.unescape(refused.get_data(as_text=True))
    lp.post("/responsables/selection/vider", data={"csrf_token": token})
    lp.post("/responsables/selection", data={"csrf_token": token, "id": target, "ids": [target]})
    response = lp.post("/responsables/reinitialisations", data=confirmed({"csrf_token": token}))
    job = wait_for_job(app_config["SESAME_REDIS_URL"], JOB_URL.search(response.headers["Location"]).group(1))
    report = html.unescape(lp.get(f"/travaux/{job.id}").get_data(as_text=True))
    assert "FranceConnect" in report and "Non traité" in report


def test_another_establishments_parent_and_support_staff_are_refused(signed_in, client, demo_directory):
    only_clg = demo_directory.search(demo_directory.base(A.GUARDIANS),
                                     f"(&({A.UAI}={CLG})(!({A.UAI}={LP})))", [A.ACCOUNT_ID])[0][1][A.ACCOUNT_ID][0]
    lp = signed_in("chef.lp")
    token = csrf_token(lp.get("/responsables").get_data(as_text=True))
    assert lp.post("/responsables/selection", data={"csrf_token": token, "id": only_clg, "ids": [only_clg]}).status_code == 404
    assert lp.post(f"/responsables/{only_clg}/reinitialisation", data={"csrf_token": token}).status_code == 404
    support = lp.application.test_client()
    support.get("/connexion/sso", headers={"X-Remote-User": "support.lp", "X-Sesame-Proxy-Secret": SSO_SECRET})
    assert support.get("/responsables").status_code == 403


def test_the_parents_list_is_in_the_screens_order(signed_in, demo_directory, app_config, worker):
    """AÏT OUALI before ANDRÉ, ÖZTÜRK among the O: the CSV sorts as the screen does (issue 11)."""
    lp = signed_in("chef.lp")
    screen, number = [], 1
    while True:
        page = demo_directory.guardians.search(LP, AccountCriteria(), AccountSort.NAME, False, number)
        screen += [(g.surname, g.given_name) for g in page.items]
        if number >= page.pages:
            break
        number += 1
    token = csrf_token(lp.get("/responsables").get_data(as_text=True))
    lp.post("/responsables/selection/vider", data={"csrf_token": token})
    lp.post("/responsables/selection/tout", data={"csrf_token": token, "tout": "1"})
    response = lp.post("/responsables/listes", data=confirmed({"csrf_token": token, "format": "csv"}))
    job = wait_for_job(app_config["SESAME_REDIS_URL"], JOB_URL.search(response.headers["Location"]).group(1))
    page = lp.get(f"/travaux/{job.id}").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(lp.get(re.search(r'href="(/fichiers/[^"]+)"', page).group(1)).data
                                       .decode("utf-8-sig")), delimiter=";"))[1:]
    listed = [(row[2], row[3]) for row in rows]
    assert len(listed) == len(screen) > 100
    assert listed == screen
