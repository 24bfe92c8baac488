"""A head of school signs in, sees the tabs and their establishment, and signs out, in Chromium."""
import pytest
from support import sign_in_page

pytestmark = pytest.mark.browser


def test_head_signs_in_sees_tabs_and_signs_out(page, live_server):
    page.goto(live_server + "/")
    page.get_by_label("Identifiant").fill("chef.lp")
    page.get_by_label("Mot de passe").fill("demo-sesame-2026")
    page.get_by_role("button", name="Se connecter").click()
    tabs = page.get_by_role("navigation", name="Onglets")
    for tab in ("Accueil", "Élèves", "Responsables", "Élèves extérieurs", "Statistiques", "Paramétrage"):
        assert tabs.get_by_role("link", name=tab, exact=True).is_visible()
    assert "0990002P" in page.locator("header").inner_text()
    page.get_by_role("link", name="Actualiser").click()       # an HTMX swap under the strict CSP
    page.wait_for_selector("#glance")
    page.get_by_role("button", name="Se déconnecter").click()
    assert page.get_by_role("button", name="Se connecter").is_visible()
    assert "Vous êtes déconnecté." in page.content()


def test_wrong_password_shows_the_refusal(page, live_server):
    sign_in_page(page, live_server, "chef.lp", "not-the-password")
    assert page.get_by_role("alert").inner_text() == "Identifiant ou mot de passe incorrect."
