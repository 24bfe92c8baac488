"""A head through the académie's portal in a real Chromium (fr-FR): the portal's password and code, « Accueil »
without a word from Sésame about a password or a code; « Se déconnecter » ends the portal's session too (a form
whose answer leads to the portal: the CSP's form-action must let it)."""
import re

import pytest

from support import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def test_chef_lp_signs_in_through_the_portal_and_signs_out_of_both(sso, portal_browser):
    page = portal_browser.new_page()
    portal_browser.clear_cookies()
    try:
        page.goto(f"{sso.sesame.url}/connexion")
        page.get_by_role("link", name="Se connecter avec le portail de l'académie").click()
        page.wait_for_url(re.compile(re.escape(sso.engine.url)))
        page.locator("#lform input[name=user]").fill("chef.lp")
        page.locator("#lform input[name=password]").fill(DEMO_PASSWORD)
        page.locator("#lform button[type=submit]").click()
        page.locator("input[name=code]").fill(sso.totp.now())
        page.locator("form[action='/totp2fcheck'] button[type=submit]").click()
        page.wait_for_url(f"{sso.sesame.url}/")
        assert page.title() == "Accueil · Sésame"
        assert "0990002P LP Métiers Auguste Perret" in page.locator("header").inner_text()
        page.get_by_role("button", name="Se déconnecter").click()
        page.wait_for_url(f"{sso.sesame.url}/connexion")
        assert page.get_by_role("status").filter(
            has_text="Vous êtes déconnecté de Sésame et du portail de l'académie.").is_visible()
        page.goto(sso.engine.url)
        assert page.locator("#lform input[name=user]").is_visible()      # the portal asks who again
    finally:
        page.close()
