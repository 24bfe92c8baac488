"""No 500, whatever is typed: every field of every form of the app's screens, and every query string their
links carry, fed dates of year 1 and 9999, six Arabic-Indic digits, an invisible character before `=` and
10,000 characters, answers in French — a 4xx with its message when the value is refused — and never a 500.

The forms are not listed here: each screen is fetched as its user sees it, and every form, field and link
it holds is read from its HTML, so that a new field is covered the day it appears."""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest
from werkzeug.datastructures import MultiDict

from parametrage import own_settings  # noqa: F401 - the letter settings as the demo has them, after the test
from screens import ALL_SCREENS, Screen, finished_job
from support import SSO_SECRET, csrf_token, sign_in

HOSTILE = {
    "year 1": "0001-01-01",
    "year 9999": "9999-12-31",
    "six Arabic-Indic digits": "\u0660\u0661\u0662\u0663\u0664\u0665",
    "an invisible character before =": "\u200b=SOMME(A1:A9)",
    "10,000 characters": "a" * 10_000,
}
# What a refusal must never say: Werkzeug's and WTForms' English, or a bare status line.
ENGLISH = re.compile(r"Field cannot|This field|Not a valid|Invalid (choice|date|value)|must be|is required|"
                     r"Bad Request|The browser \(or proxy\)|Internal Server Error|Method Not Allowed|too long|"
                     r"Please |CSRF token", re.I)
FRENCH_MESSAGE = re.compile(r'class="[^"]*\b(error|problems)\b[^"]*"|role="alert"')
NEVER_POSTED = re.compile(r"/deconnexion|/compte/deconnexion|/alimentation/apercu/\w+/appliquer")   # sign-out, an import


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)   # name, value as the page would send it
    names: list[str] = field(default_factory=list)                # every named control, sent or not
    buttons: set[str] = field(default_factory=set)                # submit buttons: their value is no data


class Forms(HTMLParser):
    """The forms of a page with what each would send as is (controls joined by `form="id"` included)."""

    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self.by_id: dict[str, Form] = {}
        self.open: Form | None = None
        self.links: list[str] = []
        self.select: tuple[Form, str] | None = None
        self.select_value: str | None = None
        self.textarea: tuple[Form, str] | None = None

    def _owner(self, attrs) -> Form | None:
        return self.by_id.get(attrs["form"]) if "form" in attrs else self.open

    def handle_starttag(self, tag, attrs):
        attrs = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self.open = Form(attrs.get("action") or self.page_url, (attrs.get("method") or "get").lower())
            self.forms.append(self.open)
            if "id" in attrs:
                self.by_id[attrs["id"]] = self.open
        elif tag == "a" and "?" in attrs.get("href", ""):
            self.links.append(html.unescape(attrs["href"]))
        elif tag in ("input", "button", "select", "textarea"):
            form, name = self._owner(attrs), attrs.get("name")
            if form is None or not name:
                return
            form.names.append(name)
            kind = attrs.get("type", "submit" if tag == "button" else "text").lower()
            if tag == "select":
                self.select, self.select_value = (form, name), None
            elif tag == "textarea":
                self.textarea = (form, name)
                form.fields.append((name, ""))
            elif kind == "file":
                return
            elif kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    form.fields.append((name, attrs.get("value", "on")))
            elif kind == "submit":
                form.buttons.add(name)
                if not any(n == name for n, _ in form.fields):
                    form.fields.append((name, attrs.get("value", "")))
            else:
                form.fields.append((name, attrs.get("value", "")))
        elif tag == "option" and self.select:
            if self.select_value is None or "selected" in attrs:
                self.select_value = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.open = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "select" and self.select:
            form, name = self.select
            form.fields.append((name, self.select_value or ""))
            self.select = None

    def handle_data(self, data):
        if self.textarea and data.strip():
            form, name = self.textarea
            form.fields = [(n, data.strip() if n == name else v) for n, v in form.fields]


def _read(url: str, page: str) -> Forms:
    found = Forms(url)
    found.feed(page)
    return found


PREVIEW = "/alimentation/apercu"       # made by uploading the demo's small file of other sources
# Besides the screens of tests/screens.py: those only a crawl of forms needs, with the state they need.
EXTRA = [
    Screen("second factor: enrolment at sign-in", "pending", "/connexion/second-facteur"),
    Screen("second factor: code at sign-in", "pending-enrolled", "/connexion/code"),
    Screen("« Double authentification » of a signed-in head", "optional", "/connexion/second-facteur"),
    Screen("Journal des opérations of the identity team", "admin", "/journal"),
    Screen("Élèves of the identity team", "admin", "/eleves?q=a"),
    Screen("Alimentation: the import preview", "admin", PREVIEW),
]
FUZZED = ALL_SCREENS + EXTRA
STAFF = {"head": "chef.lp", "admin": "admin.idt"}


def _holder(app, make_account, activated: bool):
    from directory.model import AccountState
    record, password = make_account.student(AccountState.ACTIVE if activated else AccountState.NOTIFIED)
    client = app.test_client()
    page = client.get("/compte/connexion").get_data(as_text=True)
    client.post("/compte/connexion", data={"csrf_token": csrf_token(page), "identifier": record.identifier,
                                           "password": password})
    return client


@pytest.fixture
def second_factors(demo_directory):
    """chef.lp's second factor as the demo has it (none) once the test is done."""
    from directory.passwords import Sealer
    from directory.second_factor import SecondFactors
    from support import SEAL_KEY
    factors = SecondFactors(demo_directory, Sealer(SEAL_KEY))
    yield factors
    factors.remove(demo_directory.staff("chef.lp").dn)


def _client(app, who: str, make_account, second_factors):
    if who in ("new-holder", "birth-date", "holder"):
        return _holder(app, make_account, activated=who != "new-holder")
    client = app.test_client()
    if who == "support":
        client.get("/connexion/sso", headers={"X-Remote-User": "support.lp", "X-Sesame-Proxy-Secret": SSO_SECRET})
    elif who.startswith("pending"):
        from directory.second_factor import new_recovery_codes, new_secret
        if who == "pending-enrolled":
            second_factors.enroll(second_factors.directory.staff("chef.lp").dn, new_secret(), new_recovery_codes())
        app.config["SESAME_STAFF_TOTP"] = "required"      # the password given, the code asked
        assert sign_in(client, "chef.lp").status_code == 302
    elif who == "optional":
        app.config["SESAME_STAFF_TOTP"] = "optional"
        assert sign_in(client, "chef.lp").status_code == 302
    elif who in STAFF:
        assert sign_in(client, STAFF[who]).status_code == 302
    return client


def _preview(client) -> str:
    from support import ROOT
    page = client.get("/alimentation").get_data(as_text=True)
    source = ROOT / "demo/alimentation/conflits/autres-sources.csv"
    answer = client.post("/alimentation/apercu", data={"csrf_token": csrf_token(page),
                                                       "fichiers": (source.open("rb"), source.name)},
                         content_type="multipart/form-data")
    assert answer.status_code == 303, answer.get_data(as_text=True)
    return urlsplit(answer.headers["Location"]).path


def _submissions(url: str, page: str):
    """(description, method, url, data) for every field of every form, and every parameter of every link,
    with each hostile value in turn (the other fields as the page would send them)."""
    found = _read(url, page)
    for form in found.forms:
        action = urlsplit(form.action)
        if form.method == "post" and NEVER_POSTED.fullmatch(action.path):
            continue
        for name in dict.fromkeys(form.names):
            for label, value in HOSTILE.items():
                data = [(n, v) for n, v in form.fields if n != name] + [(name, value)]
                url = action.path + (f"?{action.query}" if action.query else "")
                button = " (button)" if name in form.buttons else ""
                yield f"{form.method.upper()} {action.path} {name}{button}={label}", form.method, url, data
    for link in dict.fromkeys(found.links):
        target = urlsplit(link)
        if target.netloc or not target.path.startswith("/"):
            continue
        params = parse_qsl(target.query, keep_blank_values=True)
        for name in dict.fromkeys(n for n, _ in params):
            for label, value in HOSTILE.items():
                data = [(n, v) for n, v in params if n != name] + [(name, value)]
                yield f"GET {target.path} {name}={label}", "get", target.path, data


def _problem(response, description: str) -> str | None:
    """What is wrong with an answer to hostile input, or None."""
    status = response.status_code
    if description.endswith("=10,000 characters") and status < 400 and "(button)" not in description:
        return f"took 10,000 characters ({status})"
    body = html.unescape(response.get_data(as_text=True))
    if status >= 500:
        return f"answered {status}"
    if ENGLISH.search(body):
        return f"answered {status} in English: {ENGLISH.search(body).group(0)!r}"
    if 400 <= status < 500 and not FRENCH_MESSAGE.search(response.get_data(as_text=True)):
        return f"answered {status} without a message in the page"
    return None


def _select_own(client, prefix: str, make_account) -> None:
    from directory.model import AccountState
    record, _ = make_account.student(AccountState.NOT_NOTIFIED)
    if prefix == "/responsables":
        record = make_account.guardian(record.dn)
    token = csrf_token(client.get(prefix).get_data(as_text=True))
    client.post(f"{prefix}/selection", data={"csrf_token": token, "id": record.account_id, "ids": [record.account_id]})


def _address(screen: Screen, client, demo_directory, app_config, make_account) -> str:
    if screen.path == PREVIEW:
        return _preview(client)
    if "{student}" in screen.path:
        from directory.search import AccountCriteria
        return screen.path.format(student=demo_directory.students.ids("0990002P", AccountCriteria())[0])
    if "{job}" in screen.path:
        return screen.path.format(job=finished_job(app_config, make_account))
    return screen.path


@pytest.mark.parametrize("screen", FUZZED, ids=[s.name for s in FUZZED])
def test_every_field_and_query_string_answers_hostile_input_in_french_never_500(
        app, make_account, own_settings, second_factors, demo_directory, app_config, screen):
    app.config["PROPAGATE_EXCEPTIONS"] = False       # a failure is a 500 to count, not the end of the test
    client = _client(app, screen.who, make_account, second_factors)
    if screen.selection:        # the action's form shows once something is selected: an account of the test's own
        _select_own(client, "/" + screen.path.split("/")[1], make_account)
    url = _address(screen, client, demo_directory, app_config, make_account)
    shown = client.get(url)
    assert shown.status_code == 200, (url, shown.status_code)
    page = shown.get_data(as_text=True)
    token = csrf_token(page) if "csrf_token" in page else ""
    problems, sent = [], 0
    for description, method, target, data in _submissions(url, page):
        if method == "post":
            if not any(n == "csrf_token" for n, _ in data) and token:
                data.append(("csrf_token", token))
            response = client.post(target, data=MultiDict(data))
        else:
            response = client.get(target, query_string=MultiDict(data))
        sent += 1
        problem = _problem(response, description)
        if problem:
            problems.append(f"{description}: {problem}")
    fillable = [f for f in _read(url, page).forms if f.names and not NEVER_POSTED.fullmatch(urlsplit(f.action).path)]
    assert sent or not fillable, "the crawl missed the screen's forms"
    assert not problems, "\n".join(problems)
