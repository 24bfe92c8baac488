"""The shell: tabs by role, the establishment switcher, fragments, security headers, error pages."""
from support import csrf_token, through_the_proxy


def test_support_staff_see_only_their_tabs_and_are_refused_the_others(client, app):
    through_the_proxy(client)
    html = client.get("/").get_data(as_text=True)
    assert ">Accueil</a>" in html and ">Élèves</a>" in html
    assert ">Responsables</a>" not in html and ">Paramétrage</a>" not in html
    for url in ("/responsables", "/eleves-exterieurs", "/statistiques", "/parametrage"):
        assert client.get(url).status_code == 403


def test_every_tab_of_a_head_answers(signed_in):
    client = signed_in("chef.lyc")
    for url in ("/", "/eleves", "/responsables", "/eleves-exterieurs", "/statistiques", "/parametrage"):
        assert client.get(url).status_code == 200, url


def test_pages_need_a_signed_in_user(client):
    for url in ("/", "/eleves", "/parametrage"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/connexion")


def test_home_counts_accounts_of_the_current_establishment(signed_in, demo_directory):
    from directory.populations import STUDENTS
    client = signed_in("chef.clg")
    counts = demo_directory.count_by_state(STUDENTS, "0990001N")
    html = client.get("/").get_data(as_text=True)
    assert f'<td class="number">{sum(counts.values())}</td>' in html


def test_home_answers_a_fragment_to_htmx_and_a_page_otherwise(signed_in):
    client = signed_in("chef.clg")
    page = client.get("/")
    fragment = client.get("/", headers={"HX-Request": "true"})
    assert "<html" in page.get_data(as_text=True)
    assert "<html" not in fragment.get_data(as_text=True)
    assert 'id="glance"' in fragment.get_data(as_text=True)
    assert "HX-Request" in page.headers["Vary"] and "HX-Request" in fragment.headers["Vary"]


def test_admin_switches_establishment_and_others_cannot_reach_one_not_theirs(signed_in, client):
    admin = signed_in("admin.idt")
    current = '<strong class="uai">0990003R</strong> LYC Marie Curie'   # the header, not the switcher's list
    page = admin.get("/").get_data(as_text=True)
    assert current not in page and "0990003R LYC Marie Curie" in page
    admin.post("/etablissement", data={"csrf_token": csrf_token(page), "uai": "0990003R"})
    assert current in admin.get("/").get_data(as_text=True)


def test_head_cannot_switch_to_another_establishment(signed_in):
    client = signed_in("chef.lp")
    token = csrf_token(client.get("/").get_data(as_text=True))
    assert client.post("/etablissement", data={"csrf_token": token, "uai": "0990001N"}).status_code == 403
    assert "0990002P" in client.get("/").get_data(as_text=True)


def test_security_headers(signed_in):
    response = signed_in("chef.lp").get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "no-store" in response.headers["Cache-Control"]


def test_htmx_is_served_by_the_app_and_the_csrf_token_rides_in_hx_headers(signed_in):
    client = signed_in("chef.lp")
    html = client.get("/").get_data(as_text=True)
    assert '<script src="/static/vendor/htmx.min.js"' in html
    assert 'hx-headers=\'{"X-CSRFToken": "' in html
    assert client.get("/static/vendor/htmx.min.js").status_code == 200


def test_unknown_page_is_a_french_404(signed_in):
    response = signed_in("chef.lp").get("/nulle-part")
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)
