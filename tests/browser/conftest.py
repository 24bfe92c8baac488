"""A live Sésame server in a thread and a real Chromium (Debian's) driven by Playwright."""
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _chromium(playwright, profile, **options):
    """Debian's Chromium with a fresh profile: never a browser of Playwright's own."""
    return playwright.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, **options)


@pytest.fixture(scope="session")
def browser(playwright, tmp_path_factory):
    context = _chromium(playwright, tmp_path_factory.mktemp("chromium-profile"))
    yield context
    context.close()


@pytest.fixture(scope="session")
def browser_without_javascript(playwright, tmp_path_factory):
    context = _chromium(playwright, tmp_path_factory.mktemp("chromium-profile-nojs"), java_script_enabled=False)
    yield context
    context.close()


def _fresh_page(context):
    page = context.new_page()
    context.clear_cookies()
    return page


@pytest.fixture
def page(browser):
    page = _fresh_page(browser)
    yield page
    page.close()


@pytest.fixture
def page_without_javascript(browser_without_javascript):
    page = _fresh_page(browser_without_javascript)
    yield page
    page.close()
