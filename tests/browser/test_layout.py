"""The « Élèves » screen at a desktop's 1280 × 800, with and without JavaScript: the results table fits
the window (no horizontal scroll, the profile icon in view) and no column heading takes over two lines."""
import pytest

from support import SSO_SECRET, sign_in_page

pytestmark = pytest.mark.browser

MEASURE = """() => {
  const table = document.querySelector('table.accounts');
  const headings = [...table.querySelectorAll('thead th')].map(th => {
    const text = th.querySelector('a') || th;
    const range = document.createRange();
    range.selectNodeContents(text);
    const lines = Math.round(range.getBoundingClientRect().height / parseFloat(getComputedStyle(text).lineHeight));
    return [th.innerText.trim(), lines];
  });
  const last = [...table.querySelectorAll('tbody tr:first-child td')].pop().getBoundingClientRect();
  return {page: document.documentElement.scrollWidth, window: window.innerWidth,
          table: table.getBoundingClientRect().right, lastCell: last.right, headings};
}"""


def _as_head(page, live_server):
    sign_in_page(page, live_server, "chef.lp")


def _as_support(page, live_server):
    page.set_extra_http_headers({"X-Remote-User": "support.lp", "X-Sesame-Proxy-Secret": SSO_SECRET})
    page.goto(live_server + "/connexion/sso")


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
@pytest.mark.parametrize("who", [_as_head, _as_support], ids=["head", "support"])
def test_the_students_table_fits_1280_pixels(request, live_server, who, javascript):
    page = request.getfixturevalue("page" if javascript else "page_without_javascript")
    page.set_viewport_size({"width": 1280, "height": 800})
    who(page, live_server)
    page.get_by_role("link", name="Élèves", exact=True).click()
    page.locator("table.accounts tbody tr").first.wait_for()
    seen = page.evaluate(MEASURE)
    assert seen["page"] <= seen["window"] == 1280, seen
    assert seen["table"] <= 1280 and seen["lastCell"] <= 1280, seen
    assert [h for h in seen["headings"] if h[1] > 2] == [], seen["headings"]


def test_the_holders_grey_background_reaches_the_foot_of_a_desktop_window(page, live_server):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live_server + "/compte/connexion")
    body = page.evaluate("""() => ({height: document.body.getBoundingClientRect().height, window: window.innerHeight,
                                    colour: getComputedStyle(document.body).backgroundColor})""")
    assert body["colour"] != "rgb(255, 255, 255)" and body["height"] >= body["window"], body
