"""Screens that read finished, not like drafts (issue 24), measured in Chromium: nothing wider than a 360-pixel
phone (a table scrolls in its own box), « Statistiques »' tables and charts whole at 1280, « À faire » over its
tables, the app's own buttons everywhere (never the browser's grey), a paragraph box one can write in, and the
tab of the screen highlighted — on the journal and after a refused form too."""
import pytest

from support import ROOT, sign_in_page

pytestmark = pytest.mark.browser

DEFAULT_GREYS = {"rgb(239, 239, 239)", "rgb(240, 240, 240)", "rgb(221, 221, 221)", "buttonface"}
SCREENS = ["/", "/statistiques", "/parametrage", "/journal", "/alimentation"]


def _sign_in(page, live_server, uid="admin.idt"):
    sign_in_page(page, live_server, uid)


def _preview(page, live_server) -> str:
    page.goto(live_server + "/alimentation")
    page.set_input_files("input[type=file]", str(ROOT / "demo/alimentation/conflits/autres-sources.csv"))
    page.get_by_role("button", name="Voir l'aperçu").click()
    page.wait_for_load_state()
    assert "/alimentation/apercu/" in page.url
    return page.url


def _grey_buttons(page) -> list:
    return page.evaluate("""greys => [...document.querySelectorAll('button, input[type=submit], a.button')]
        .filter(b => b.offsetParent !== null && !b.classList.contains('link'))
        .map(b => [b.textContent.trim() || b.value, getComputedStyle(b).backgroundColor])
        .filter(([, colour]) => greys.includes(colour) || colour === 'rgba(0, 0, 0, 0)')""", sorted(DEFAULT_GREYS))


def test_no_screen_is_wider_than_a_360_pixel_phone_and_no_button_is_the_browsers_grey(page, live_server):
    _sign_in(page, live_server)
    page.select_option("select[name=uai]", "0990002P")       # the LP: its running and ended delegations
    page.get_by_role("button", name="Changer d'établissement").click()
    page.set_viewport_size({"width": 360, "height": 740})
    for url in SCREENS + [_preview(page, live_server)]:
        page.goto(url if url.startswith("http") else live_server + url)
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 360, (url, wide)
        assert _grey_buttons(page) == [], url


def test_at_1280_pixels_the_tables_of_statistiques_are_whole_and_a_faire_heads_its_tables(page, live_server):
    _sign_in(page, live_server, "chef.lp")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live_server + "/statistiques")
    cut = page.evaluate("""() => [...document.querySelectorAll('table.stats')]
        .filter(t => t.scrollWidth > t.parentElement.clientWidth + 1).map(t => t.id)""")
    assert cut == []
    clipped = page.evaluate("""() => [...document.querySelectorAll('.chart svg')].flatMap(svg => {
        const box = svg.getBoundingClientRect();
        return [...svg.querySelectorAll('text')].filter(t => t.textContent.trim() === '100 %')
          .filter(t => t.getBoundingClientRect().right > box.right + 0.5).map(t => t.textContent); })""")
    assert clipped == []
    page.goto(live_server + "/")
    gap = page.evaluate("""() => {
        const heading = [...document.querySelectorAll('h2')].find(h => h.textContent.trim() === 'À faire');
        const table = document.querySelector('table.to-do');
        return [table.getBoundingClientRect().top - heading.getBoundingClientRect().bottom,
                table.getBoundingClientRect().left - heading.getBoundingClientRect().left]; }""")
    assert 0 <= gap[0] < 48 and abs(gap[1]) < 2, gap
    page.goto(live_server + "/parametrage")
    assert page.locator("textarea[name=paragraph]").bounding_box()["width"] >= 400
    assert _grey_buttons(page) == []


def test_the_tab_is_highlighted_on_the_journal_and_after_a_refused_form_without_javascript(
        page_without_javascript, live_server):
    page = page_without_javascript
    _sign_in(page, live_server, "chef.lp")
    page.goto(live_server + "/journal")
    assert page.locator('nav.tabs a[aria-current="page"]').inner_text() == "Paramétrage"
    page.goto(live_server + "/parametrage")
    page.locator("#start").fill("")
    page.get_by_role("button", name="Accorder la délégation").click()     # refused: no one, no dates
    assert "La délégation n'a pas été accordée" in page.content()
    assert page.locator('nav.tabs a[aria-current="page"]').inner_text() == "Paramétrage"
