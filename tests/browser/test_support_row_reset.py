"""Support staff, signed in through the SSO proxy's headers, reset a student's password from the row:
after a live search, on a freshly loaded page, and without JavaScript."""
import re

import pytest

from support import SSO_SECRET, binds

pytestmark = pytest.mark.browser
PASSWORD = re.compile(r"[A-Z2-9]{8}")


def _support_opens_eleves(page, live_server):
    # what the SSO proxy in front of Sésame adds to every request of a signed-in support agent
    page.set_extra_http_headers({"X-Remote-User": "support.lp", "X-Sesame-Proxy-Secret": SSO_SECRET})
    page.goto(live_server + "/connexion/sso")
    assert "Dépannage des comptes élèves" in page.locator("header").inner_text()
    page.get_by_role("link", name="Élèves", exact=True).click()
    page.locator("table.accounts tbody tr").first.wait_for()


def _the_reset_row_binds(page, demo_directory, slapd, name):
    fresh = page.locator("tr.just-reset")
    fresh.wait_for()
    password = fresh.locator("td.password").inner_text().split()[0]
    assert PASSWORD.fullmatch(password)
    assert fresh.locator("td").nth(1).inner_text() == name
    assert "Notifié et non activé" in fresh.inner_text()
    confirmation = page.get_by_role("status").filter(has_text="Le mot de passe a bien été réinitialisé")
    assert name in confirmation.inner_text() and password in confirmation.inner_text()
    identifier = fresh.locator("td").nth(4).inner_text()
    dn = demo_directory.search(demo_directory.base("ou=students"), f"(uid={identifier})", ["1.1"])[0][0]
    assert binds(slapd.ldap_url, dn, password)
    return password


def test_row_reset_after_a_live_search_shows_the_new_password_in_place(page, live_server, demo_directory, slapd):
    _support_opens_eleves(page, live_server)
    page.get_by_label("Nom ou prénom").press_sequentially("martin", delay=30)
    page.wait_for_url(re.compile(r".*q=martin.*"))
    row = page.locator("table.accounts tbody tr").first
    name = row.locator("td").nth(1).inner_text()
    page.on("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Réinitialiser le mot de passe").click()
    _the_reset_row_binds(page, demo_directory, slapd, name)


def test_row_reset_of_the_first_row_on_a_freshly_loaded_page(page, live_server, demo_directory, slapd):
    _support_opens_eleves(page, live_server)     # types nothing: the list as the page loaded it
    page.reload()
    row = page.locator("table.accounts tbody tr").first
    name = row.locator("td").nth(1).inner_text()
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    row.get_by_role("button", name="Réinitialiser le mot de passe").click()
    _the_reset_row_binds(page, demo_directory, slapd, name)
    assert asked and name in asked[0]                # it asked before resetting
    assert page.url.endswith("/eleves")               # in place: the list is still the page


def test_row_reset_without_javascript(page_without_javascript, live_server, demo_directory, slapd):
    page = page_without_javascript
    _support_opens_eleves(page, live_server)
    row = page.locator("table.accounts tbody tr").first
    name = row.locator("td").nth(1).inner_text()
    row.get_by_role("button", name="Réinitialiser le mot de passe").click()
    page.wait_for_load_state()
    password = _the_reset_row_binds(page, demo_directory, slapd, name)
    # the list around it is the one the button was pressed in, still usable
    assert page.locator("table.accounts tbody tr").first.locator("td").nth(1).inner_text() == name
    assert page.locator("tr.just-reset td.password").inner_text().startswith(password)
