"""« Élèves » through the test client: search, fragments, sorting, selection, profile, scope, bad input."""
import html
import re

import pytest

from directory.search import AccountCriteria
from support import ROW_IDS, csrf_token

LYC, LP = "0990003R", "0990002P"


def _total(html):
    return int(re.search(r"<strong>(\d+)</strong> élève\(s\)(?! sélectionné)", html).group(1))


def _counter(html):
    return int(re.search(r"<strong>(\d+)</strong> élève\(s\) sélectionné\(s\)", html).group(1))


@pytest.fixture
def lyc(signed_in):
    return signed_in("chef.lyc")


def test_the_page_has_the_guides_criteria_and_columns(lyc):
    html = lyc.get("/eleves").get_data(as_text=True)
    for label in ("Nom ou prénom", "MEF", "Classe(s)", "État(s) de compte", "Rechercher",
                  "Réinitialiser les critères", "(Re)Notifier les comptes", "Lister les comptes",
                  "Réinitialiser les mots de passe"):
        assert label in html, label
    for column in ("Sélectionner", "Élève", "Classe", "MEF", "Identifiant", "Statut du compte",
                   "Origine du compte", "Date de notification", "Date de dernière connexion"):
        assert column in html, column
    assert "0 élève(s) sélectionné(s)" in html.replace("<strong>", "").replace("</strong>", "")


def test_zoe_lists_the_zoes_of_the_lycee_only(lyc, demo_directory):
    html = lyc.get("/eleves?q=zoe").get_data(as_text=True)
    expected = demo_directory.students.ids(LYC, AccountCriteria(name="zoe"))
    assert set(ROW_IDS.findall(html)) == set(expected)
    assert "Filtre utilisé" in html
    others = demo_directory.students.ids(LP, AccountCriteria(name="zoe"))
    assert others and not set(others) & set(ROW_IDS.findall(html))


def test_htmx_gets_only_the_results_fragment(lyc):
    page = lyc.get("/eleves?q=zoe").get_data(as_text=True)
    fragment = lyc.get("/eleves?q=zoe", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and 'id="criteria"' not in body and "<tbody>" in body
    assert set(ROW_IDS.findall(body)) == set(ROW_IDS.findall(page))
    assert "HX-Request" in fragment.headers["Vary"]


def test_history_restore_gets_the_whole_page(lyc):
    response = lyc.get("/eleves?q=zoe", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in response.get_data(as_text=True)


def test_no_filter_means_no_marker_and_pages_of_fifty(lyc):
    html = lyc.get("/eleves").get_data(as_text=True)
    assert "Filtre utilisé" not in html
    assert len(ROW_IDS.findall(html)) == 50
    assert "Page 1 sur 28" in html and 'rel="next"' in html


def test_second_page_and_sort_links_keep_the_criteria(lyc):
    html = lyc.get("/eleves?classe=201&classe=202").get_data(as_text=True)
    assert "classe=201&amp;classe=202&amp;tri=classe" in html
    second = lyc.get("/eleves?classe=201&classe=202&page=2").get_data(as_text=True)
    first = lyc.get("/eleves?classe=201&classe=202").get_data(as_text=True)
    assert not set(ROW_IDS.findall(first)) & set(ROW_IDS.findall(second))


@pytest.mark.parametrize("url,message", [
    ("/eleves?q=" + "a" * 2_000, "limitée à 100 caractères"),   # longer than 4 KiB: a 414 (test_oversized)
    ("/eleves?classe=NOPE", "La classe « NOPE » n'existe pas"),
    ("/eleves?etat=banni", "L'état de compte « banni » n'existe pas"),
    ("/eleves?mef=*", "Le MEF demandé n'existe pas"),
    ("/eleves?page=-3", "Le numéro de page n'est pas valide"),
    ("/eleves?tri=password", "Ce tri n'est pas possible"),
])
def test_bad_input_gets_a_french_message_and_400(lyc, url, message):
    response = lyc.get(url)
    assert response.status_code == 400
    assert message in html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("q", ["*", "(", ")", "\\", "%00", "*)(uid=*", "%2A%29%28%7C%28uid%3D%2A"])
def test_ldap_metacharacters_are_taken_literally(lyc, q):
    response = lyc.get("/eleves?q=" + q)
    assert response.status_code == 200
    assert _total(response.get_data(as_text=True)) == 0


def test_select_all_of_a_class_filtered_search_across_pages(lyc, demo_directory):
    criteria = "classe=201&classe=202&classe=203"
    expected = demo_directory.students.ids(LYC, AccountCriteria(classes=("201", "202", "203")))
    assert len(expected) > 50   # more than one page
    html = lyc.get("/eleves?" + criteria).get_data(as_text=True)
    token = csrf_token(html)
    answer = lyc.post("/eleves/selection/tout", headers={"HX-Request": "true"}, data={
        "csrf_token": token, "classe": ["201", "202", "203"], "tout": "1"})
    body = answer.get_data(as_text=True)
    assert _counter(body) == len(expected)
    assert 'hx-swap-oob="true"' in body
    page_two = lyc.get("/eleves?" + criteria + "&page=2").get_data(as_text=True)
    assert page_two.count(" checked") >= len(ROW_IDS.findall(page_two))
    assert _counter(page_two) == len(expected)


def test_one_row_ticked_then_unticked(lyc):
    html = lyc.get("/eleves").get_data(as_text=True)
    token, first = csrf_token(html), ROW_IDS.findall(html)[0]
    ticked = lyc.post("/eleves/selection", headers={"HX-Request": "true"},
                      data={"csrf_token": token, "id": first, "ids": [first]})
    assert _counter(ticked.get_data(as_text=True)) == 1
    assert f'value="{first}" checked' in lyc.get("/eleves").get_data(as_text=True)
    unticked = lyc.post("/eleves/selection", headers={"HX-Request": "true"}, data={"csrf_token": token, "id": first})
    assert _counter(unticked.get_data(as_text=True)) == 0


def test_ticking_another_establishments_student_is_not_found(lyc, demo_directory):
    html = lyc.get("/eleves").get_data(as_text=True)
    other = demo_directory.students.ids(LP, AccountCriteria())[0]
    response = lyc.post("/eleves/selection", data={"csrf_token": csrf_token(html), "id": other, "ids": [other]})
    assert response.status_code == 404
    assert _counter(lyc.get("/eleves").get_data(as_text=True)) == 0


def test_selection_changes_need_csrf(lyc):
    first = ROW_IDS.findall(lyc.get("/eleves").get_data(as_text=True))[0]
    assert lyc.post("/eleves/selection", data={"id": first, "ids": [first]}).status_code == 400
    assert lyc.post("/eleves/selection/tout", data={"tout": "1"}).status_code == 400


def test_without_javascript_the_page_ticks_are_taken_in(lyc):
    html = lyc.get("/eleves?q=zoe").get_data(as_text=True)
    shown = ROW_IDS.findall(html)
    response = lyc.post("/eleves/selection/page", data={
        "csrf_token": csrf_token(html), "q": "zoe", "affiches": shown, "ids": shown[:3]})
    assert response.status_code == 302 and response.headers["Location"] == "/eleves?q=zoe"
    assert _counter(lyc.get("/eleves").get_data(as_text=True)) == 3


def test_clearing_the_selection(lyc):
    html = lyc.get("/eleves").get_data(as_text=True)
    lyc.post("/eleves/selection/tout", data={"csrf_token": csrf_token(html), "tout": "1"})
    assert _counter(lyc.get("/eleves").get_data(as_text=True)) > 1000
    lyc.post("/eleves/selection/vider", data={"csrf_token": csrf_token(html)})
    assert _counter(lyc.get("/eleves").get_data(as_text=True)) == 0


def test_actions_receive_the_selection_by_state(lyc):
    html = lyc.get("/eleves?q=zoe").get_data(as_text=True)
    lyc.post("/eleves/selection/tout", data={"csrf_token": csrf_token(html), "q": "zoe", "tout": "1"})
    page = lyc.get("/eleves/notifier").get_data(as_text=True)
    assert "(Re)Notifier les comptes" in page
    assert _counter(page) == len(ROW_IDS.findall(html))


def test_profile_as_fragment_and_as_page(lyc, demo_directory):
    student = demo_directory.students.search(LYC, AccountCriteria(name="zoe")).items[0]
    fragment = lyc.get(f"/eleves/fiche/{student.account_id}", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and student.ine in body and "Responsables" in body
    assert "Établissement de rattachement" in body and "0990003R LYC Marie Curie" in body
    page = lyc.get(f"/eleves/fiche/{student.account_id}").get_data(as_text=True)
    assert "<html" in page and student.ine in page


def test_profile_of_another_establishments_student_is_404(lyc, demo_directory):
    other = demo_directory.students.ids(LP, AccountCriteria())[0]
    assert lyc.get(f"/eleves/fiche/{other}").status_code == 404
    assert lyc.get(f"/eleves/fiche/{other}", headers={"HX-Request": "true"}).status_code == 404
    assert lyc.get("/eleves/fiche/*").status_code == 404


def test_admin_sees_the_establishment_chosen_in_the_switcher(signed_in, demo_directory):
    admin = signed_in("admin.idt")
    html = admin.get("/").get_data(as_text=True)
    admin.post("/etablissement", data={"csrf_token": csrf_token(html), "uai": LP})
    page = admin.get("/eleves").get_data(as_text=True)
    assert _total(page) == len(demo_directory.students.ids(LP, AccountCriteria()))


@pytest.mark.parametrize("page", ["²", "٣", "1e3", "0", "99999999"])
def test_odd_page_numbers_are_refused_not_crashed(lyc, page):
    response = lyc.get("/eleves", query_string={"page": page})
    assert response.status_code == 400
    assert "Le numéro de page n'est pas valide" in html.unescape(response.get_data(as_text=True))


def test_the_header_box_is_ticked_only_when_the_whole_search_is_selected(lyc):
    page = lyc.get("/eleves?etat=notifie").get_data(as_text=True)
    token = csrf_token(page)
    for account_id in ROW_IDS.findall(page):   # the first page of one search ...
        lyc.post("/eleves/selection", data={"csrf_token": token, "id": account_id, "ids": [account_id]})
    lyc.post("/eleves/selection/tout", data={"csrf_token": token, "etat": "active", "tout": "1"})  # ... and all of another
    again = lyc.get("/eleves?etat=notifie").get_data(as_text=True)
    assert 'id="select-all" name="tout" value="1" checked' not in again


def test_an_htmx_error_goes_to_the_message_area(lyc):
    response = lyc.post("/eleves/selection", headers={"HX-Request": "true"}, data={"id": "nope"})
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#messages"


def test_support_staff_do_not_open_the_full_profile(client, demo_directory):
    from support import SSO_SECRET
    client.get("/connexion/sso", headers={"X-Remote-User": "support.lp", "X-Sesame-Proxy-Secret": SSO_SECRET})
    student = demo_directory.students.ids(LP, AccountCriteria())[0]
    assert client.get(f"/eleves/fiche/{student}").status_code == 403
