"""Support staff, signed in through the SSO proxy's headers, reset a student's password from the row."""
import re

import ldap3
import pytest

from support import SSO_SECRET

pytestmark = pytest.mark.browser


def test_row_reset_shows_the_new_password_in_place(page, live_server, demo_directory, slapd):
    # what the SSO proxy in front of Sésame adds to every request of a signed-in support agent
    page.set_extra_http_headers({"X-Remote-User": "support.lp", "X-Sesame-Proxy-Secret": SSO_SECRET})
    page.goto(live_server + "/connexion/sso")
    assert "Dépannage des comptes élèves" in page.locator("header").inner_text()
    page.get_by_role("link", name="Élèves", exact=True).click()
    page.get_by_label("Nom ou prénom").press_sequentially("martin", delay=30)
    page.wait_for_url(re.compile(r".*q=martin.*"))
    row = page.locator("table.accounts tbody tr").first
    name = row.locator("td").nth(1).inner_text()
    page.on("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Réinitialiser le mot de passe").click()
    fresh = page.locator("tr.just-reset")
    fresh.wait_for()
    password = fresh.locator("td.password").inner_text().split()[0]
    assert re.fullmatch(r"[A-Z2-9]{8}", password)
    assert fresh.locator("td").nth(1).inner_text() == name
    assert "Notifié et non activé" in fresh.inner_text()
    identifier = fresh.locator("td").nth(4).inner_text()
    dn = demo_directory.search(demo_directory.base("ou=students"), f"(uid={identifier})", ["1.1"])[0][0]
    conn = ldap3.Connection(ldap3.Server(slapd.ldap_url), dn, password)
    assert conn.bind()
    conn.unbind()
