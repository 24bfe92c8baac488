"""« Doublons » in Chromium as the identity team would: the tab, the search of the directory followed to its end, a
pair opened, merged (the activated account proposed), the merge undone from its page — with JavaScript, and the
same pair merged and undone without it (the job pages reloaded by hand)."""
import re

import pytest

from screens import a_pair
from support import sign_in_page

pytestmark = pytest.mark.browser


def _admin(page, live_server):
    sign_in_page(page, live_server, "admin.idt")
    page.wait_for_url(lambda url: "/connexion" not in url)


def _finished(page, javascript: bool):
    page.wait_for_url(re.compile(r".*/doublons/travaux/[0-9a-f]{32}$"))
    for _ in range(120):
        if "Terminé" in page.locator("#job").inner_text():
            return page.locator("#job").inner_text()
        page.wait_for_timeout(500)
        if not javascript:
            page.reload()
    raise AssertionError("the job did not finish")


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "without-javascript"])
def test_the_identity_team_finds_merges_and_undoes_a_pupil_entered_twice(
        javascript, page, page_without_javascript, live_server, make_account, demo_directory, worker):
    page = page if javascript else page_without_javascript
    pair_id, ((kept, _), (other, _)) = a_pair(demo_directory, make_account)
    _admin(page, live_server)
    page.get_by_role("link", name="Doublons", exact=True).click()
    assert page.get_by_role("heading", name="Doublons").is_visible()
    if javascript:          # (the pair is kept already: without JavaScript, the rest of the way)
        page.get_by_role("button", name="Rechercher les doublons").click()
        assert "doublon(s) probable(s)" in _finished(page, javascript)
        page.get_by_role("link", name="Voir les doublons").click()
    page.locator("main").get_by_label("Établissement").select_option("0990002P")
    page.get_by_role("button", name="Afficher").click()
    page.locator(f'tr[data-pair="{pair_id}"]').get_by_role("link", name=re.compile("Voir la paire")).click()
    assert page.get_by_label(re.compile(r"Compte \d : .*\(" + re.escape(kept.identifier) + ",")).is_checked()
    page.reload()                                                    # a reload shows the same pair, the same choice
    assert page.get_by_label(re.compile(r"Compte \d : .*\(" + re.escape(kept.identifier) + ",")).is_checked()
    page.get_by_label("Je confirme que ces deux comptes sont la même personne").check()
    page.get_by_role("button", name="Fusionner les deux comptes").click()
    report = _finished(page, javascript)
    assert "Les deux comptes sont fusionnés" in report
    page.get_by_role("link", name="Voir ou annuler la fusion").click()
    assert "Le compte gardé n'a pas changé depuis la fusion." in page.content()
    page.get_by_label("Je confirme l'annulation de cette fusion").check()
    page.get_by_role("button", name="Annuler la fusion").click()
    assert "La fusion est annulée" in _finished(page, javascript)
    assert demo_directory.read_entry(other.dn, ["1.1"]) is not None
