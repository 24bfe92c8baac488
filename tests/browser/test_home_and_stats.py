"""« Accueil » and « Statistiques » in Chromium with JavaScript off: the « À faire » link, the SVG charts
and their tables' numbers against the directory, at a desktop width and at 360 px."""
import pytest

from directory.model import AccountState
from directory.populations import STUDENTS
from directory.search import AccountCriteria
from support import sign_in_page

pytestmark = pytest.mark.browser
LYC = "0990003R"


def _sign_in(page, live_server, uid="chef.lyc"):
    sign_in_page(page, live_server, uid)


def test_never_notified_link_opens_those_students_without_javascript(page_without_javascript, live_server,
                                                                     demo_directory):
    page = page_without_javascript
    _sign_in(page, live_server)
    page.get_by_role("link", name="Accueil", exact=True).click()
    expected = demo_directory.count_by_state(STUDENTS, LYC)[AccountState.NOT_NOTIFIED]
    line = page.locator("table.to-do").first.locator("tr", has_text="Comptes jamais notifiés")
    assert line.locator("td.number").inner_text() == str(expected)
    line.get_by_role("link").click()
    page.locator(".results-summary").get_by_text(f"{expected} élève(s)").wait_for()
    assert page.get_by_label("Non notifié").is_checked()


@pytest.mark.parametrize("width", [1280, 360])
def test_charts_render_without_javascript_and_tables_match_the_directory(page_without_javascript, live_server,
                                                                        demo_directory, width):
    page = page_without_javascript
    page.set_viewport_size({"width": width, "height": 900})
    _sign_in(page, live_server)
    page.get_by_role("link", name="Statistiques", exact=True).click()
    page.reload()
    charts = page.locator("figure.chart svg.pygal-chart")
    assert charts.count() == 3
    for n in range(3):
        box = charts.nth(n).bounding_box()
        assert box and 200 <= box["width"] <= width and box["height"] > 100      # drawn, and fits the window
    assert page.locator("svg.pygal-chart rect.rect").count() >= 2 * 42           # two bars per class ...
    assert page.locator("svg.pygal-chart a").count() >= 42                        # ... each a link to its search
    assert page.locator("svg.pygal-chart .legends text").first.text_content() == "Notifiés"
    # pygal's stylesheet applied from our origin: the plot is white, not the default black
    fill = page.evaluate("getComputedStyle(document.querySelector('svg.pygal-chart .plot > .background')).fill")
    assert fill == "rgb(255, 255, 255)"
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width        # no sideways scroll of the page
    for code in ("201", "T14"):
        row = page.locator("#table-classes tbody tr", has=page.locator(f"th >> text='{code}'"))
        cells = row.locator("td.number").all_inner_texts()
        active = demo_directory.students.count(LYC, AccountCriteria(classes=(code,), states=(AccountState.ACTIVE,)))
        everyone = demo_directory.students.count(LYC, AccountCriteria(classes=(code,)))
        assert int(cells[0]) == everyone and int(cells[3]) == active
    total = page.locator("#table-classes tfoot td.number").first.inner_text()
    assert int(total) == sum(demo_directory.count_by_state(STUDENTS, LYC).values())


def test_identity_team_sorts_every_establishment_without_javascript(page_without_javascript, live_server,
                                                                    demo_directory):
    page = page_without_javascript
    _sign_in(page, live_server, "admin.idt")
    page.get_by_role("link", name="Statistiques", exact=True).click()
    page.get_by_role("link", name="Tous les établissements").click()
    heading = page.locator("#table-etablissements thead").get_by_role("link", name="Élèves", exact=True)
    heading.click()
    page.locator("#table-etablissements thead").get_by_role("link", name="Élèves", exact=True).click()
    counts = [int(t) for t in page.locator("#table-etablissements tbody tr td:nth-child(3)").all_inner_texts()]
    assert len(counts) == 3 and counts == sorted(counts, reverse=True)
    assert sum(counts) == sum(sum(demo_directory.count_by_state(STUDENTS, uai).values())
                              for uai in ("0990001N", "0990002P", LYC))
    assert page.locator("svg.pygal-chart").count() == 1
