"""Every screen of staff and holders checked by axe-core in Chromium: no serious or critical violation.

The screens are tests/screens.py's one list (a new screen is one line there); the tabs of webapp/access.py
TABS are added to it by themselves."""
from __future__ import annotations

import pytest

from directory.model import AccountState
from screens import ALL_SCREENS, Screen, doublons_address, finished_job
from support import SSO_SECRET, sign_in_page

pytestmark = pytest.mark.browser


SERIOUS = {"serious", "critical"}


@pytest.fixture(scope="module")
def axe():
    from axe_playwright_python.sync_playwright import Axe
    return Axe()


def serious_violations(axe, page) -> list[str]:
    results = axe.run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"] if v["impact"] in SERIOUS]


def _staff(page, live_server, uid):
    sign_in_page(page, live_server, uid)
    page.wait_for_url(lambda url: "/connexion" not in url)


def _holder(page, live_server, identifier, password):
    sign_in_page(page, live_server, identifier, password, path="/compte/connexion")


def _select_one(page, live_server, prefix):
    page.goto(live_server + prefix)
    box = page.locator("table.accounts tbody input[type=checkbox]").first
    box.check()
    page.wait_for_load_state("networkidle")


def visit(screen: Screen, page, live_server, make_account, app_config):
    page.set_default_timeout(10_000)
    if screen.who in ("head", "admin"):
        _staff(page, live_server, "chef.lp" if screen.who == "head" else "admin.idt")
    elif screen.who == "support":
        page.set_extra_http_headers({"X-Remote-User": "support.lp", "X-Sesame-Proxy-Secret": SSO_SECRET})
        page.goto(live_server + "/connexion/sso")
    elif screen.who in ("new-holder", "birth-date"):
        record, password = make_account.student(AccountState.NOTIFIED)
        _holder(page, live_server, record.identifier, password)
        if screen.who == "birth-date":
            page.get_by_label("Nouveau mot de passe", exact=True).fill("Un-mot-de-passe-2026")
            page.get_by_label("Confirmez le nouveau mot de passe").fill("Un-mot-de-passe-2026")
            page.get_by_role("button", name="Valider").click()
            page.wait_for_url("**/compte/naissance")
    elif screen.who == "holder":
        record, password = make_account.student(AccountState.ACTIVE)
        _holder(page, live_server, record.identifier, password)
    if screen.selection:
        _select_one(page, live_server, "/" + screen.path.split("/")[1])
    path = screen.path
    if "{student}" in path:
        page.goto(live_server + "/eleves")
        path = path.format(student=page.locator("input[name=ids]").first.get_attribute("value"))
    if "{job}" in path:
        path = path.format(job=finished_job(app_config, make_account))
    path = doublons_address(path, make_account)
    response = page.goto(live_server + path)
    assert response.status == 200, (screen, response.status)
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("screen", ALL_SCREENS, ids=[s.name for s in ALL_SCREENS])
def test_no_serious_or_critical_violation(screen, page, live_server, make_account, app_config, axe):
    visit(screen, page, live_server, make_account, app_config)
    assert serious_violations(axe, page) == []


def test_the_check_finds_a_serious_violation_when_there_is_one(page, axe):
    page.set_content('<html lang="fr"><title>t</title><main><img src="data:,"><input type="text"></main></html>')
    found = serious_violations(axe, page)
    assert any(v.startswith("image-alt") for v in found) and any(v.startswith("label") for v in found)


FOCUSED = """() => {
  const e = document.activeElement, s = getComputedStyle(e);
  return {tag: e.tagName, id: e.id, type: e.type || '', text: (e.innerText || e.value || '').trim(),
          href: e.getAttribute('href') || '', row: !!e.closest('table.accounts tbody'),
          visible: (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none'};
}"""


def tab_to(page, wanted, seen, limit=250):
    """Tab (the key alone) until `wanted(focused)`; every element passed through is kept in `seen`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        seen.append(focused)
        if wanted(focused):
            return focused
    raise AssertionError(f"never reached after {limit} Tab: last {seen[-3:]}")


def test_notify_with_the_keyboard_alone_from_the_search_to_the_pdf_link(page, live_server, make_account, worker):
    record, _ = make_account.student(AccountState.NOTIFIED)
    _staff(page, live_server, "chef.lp")
    page.goto(live_server + "/eleves")
    seen = []
    tab_to(page, lambda f: f["id"] == "q", seen)
    page.keyboard.type(record.surname)
    page.locator("table.accounts tbody tr", has_text=record.surname).wait_for()
    page.wait_for_function("document.querySelectorAll('table.accounts tbody tr').length === 1")
    # the live search said how many, in a short status line; the table itself is not a live region
    assert page.locator("#results-status").inner_text() == "1 élève(s) trouvé(s)"
    assert page.locator("#results").get_attribute("aria-live") is None

    tab_to(page, lambda f: f["row"] and f["type"] == "checkbox", seen)
    page.keyboard.press("Space")
    page.locator("#selection-counter", has_text="1 élève(s) sélectionné(s)").wait_for()
    tab_to(page, lambda f: f["tag"] == "A" and f["text"] == "(Re)Notifier les comptes", seen)
    page.keyboard.press("Enter")
    page.wait_for_url("**/eleves/notifier")
    tab_to(page, lambda f: f["text"] == "Confirmer", seen)
    page.keyboard.press("Enter")
    page.wait_for_url("**/travaux/*")
    page.get_by_role("link", name="Télécharger le courrier au format PDF").wait_for(timeout=30_000)
    link = tab_to(page, lambda f: f["text"] == "Télécharger le courrier au format PDF", seen)
    assert link["href"].startswith("/fichiers/")
    assert "le document est prêt" in page.locator("#job-status").inner_text()
    # every element the keyboard went through showed where the focus was (BODY: past the page's last
    # element, Tab leaves the page for the browser's own bar, then comes back to its first)
    assert [f for f in seen if not f["visible"] and f["tag"] != "BODY"] == []
    assert len([f for f in seen if f["tag"] != "BODY"]) > 20


@pytest.mark.parametrize("who,path", [("nobody", "/compte/connexion"), ("nobody", "/compte/mot-de-passe-oublie"),
                                      ("nobody", "/compte/identifiant-oublie"), ("new-holder", "/compte/mot-de-passe"),
                                      ("holder", "/compte/"), ("holder", "/compte/courriel")])
def test_the_holders_area_fits_a_360_pixel_phone(page, live_server, make_account, app_config, who, path):
    page.set_viewport_size({"width": 360, "height": 740})
    visit(Screen(path, who, path), page, live_server, make_account, app_config)
    seen = page.evaluate("""() => ({page: document.documentElement.scrollWidth,
        widest: Math.max(...[...document.querySelectorAll('input, button, a, p, h1')].map(e => e.getBoundingClientRect().right))})""")
    assert seen["page"] <= 360 and seen["widest"] <= 360, seen


def test_what_looks_like_a_button_is_announced_as_what_it_does(page, live_server):
    """A link styled as a button opens a page (GET, nothing done); a button submits its form."""
    _staff(page, live_server, "chef.lp")
    page.goto(live_server + "/eleves")
    looks = page.evaluate("""() => [...document.querySelectorAll('a.button, button, input[type=submit], [role=button]')].map(e => ({
        tag: e.tagName, role: e.getAttribute('role'), href: e.getAttribute('href'), text: (e.innerText || e.value).trim(),
        form: e.form ? e.form.method : null, described: e.getAttribute('aria-describedby')}))""")
    links = [e for e in looks if e["tag"] == "A"]
    assert {e["text"] for e in links} >= {"(Re)Notifier les comptes", "Lister les comptes",
                                          "Réinitialiser les mots de passe"}
    for link in links:
        assert link["role"] is None and link["href"] and link["described"]
        assert page.request.get(live_server + link["href"]).status == 200      # a page, not an action
    assert all(e["form"] in ("get", "post") for e in looks if e["tag"] != "A"), looks
    assert page.get_by_role("link", name="(Re)Notifier les comptes").count() == 1
    assert page.get_by_role("button", name="Rechercher").count() == 1
