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


@dataclass(frozen=True)
class Screen:
    name: str
    who: str            # a staff uid, "support" (through the SSO), "holder", or "" (nobody signed in)
    url: str


SCREENS = [
    Screen("staff sign-in", "", "/connexion"),
    Screen("holder sign-in", "", "/compte/connexion"),
    Screen("forgotten password", "", "/compte/mot-de-passe-oublie"),
    Screen("forgotten identifier", "", "/compte/identifiant-oublie"),
    Screen("holder: first password", "holder", "/compte/mot-de-passe"),
    Screen("holder: birth date", "holder-active", "/compte/naissance"),
    Screen("holder: e-mail", "holder-active", "/compte/courriel"),
    Screen("second factor: enrolment", "pending", "/connexion/second-facteur"),
    Screen("second factor: code", "pending-enrolled", "/connexion/code"),
    Screen("accueil", "admin.idt", "/"),
    Screen("élèves", "admin.idt", "/eleves?q=a"),
    Screen("élèves: notify form", "admin.idt", "/eleves/notifier"),
    Screen("élèves: list form", "admin.idt", "/eleves/lister"),
    Screen("élèves: reset form", "admin.idt", "/eleves/reinitialiser"),
    Screen("responsables", "admin.idt", "/responsables"),
    Screen("responsables: notify form", "admin.idt", "/responsables/notifier"),
    Screen("élèves extérieurs", "chef.lp", "/eleves-exterieurs"),
    Screen("dépannage", "support", "/eleves"),
    Screen("statistiques", "admin.idt", "/statistiques"),
    Screen("statistiques: établissements", "admin.idt", "/statistiques/etablissements"),
    Screen("paramétrage", "chef.lp", "/parametrage"),
    Screen("journal", "admin.idt", "/journal"),
    Screen("journal of an establishment", "chef.lp", "/journal"),
    Screen("alimentation", "admin.idt", "/alimentation"),
    Screen("alimentation: search", "admin.idt", "/alimentation/recherche?q=ma"),
    Screen("alimentation: removable", "admin.idt", "/alimentation/departs"),
    Screen("alimentation: import preview", "admin.idt", PREVIEW),
    Screen("double authentification", "optional", "/connexion/second-facteur"),
]


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
    if who in ("holder", "holder-active"):
        return _holder(app, make_account, who == "holder-active")
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
    elif who:
        assert sign_in(client, who).status_code == 302
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


@pytest.mark.parametrize("screen", SCREENS, ids=[s.name for s in SCREENS])
def test_every_field_and_query_string_answers_hostile_input_in_french_never_500(app, make_account, own_settings,
                                                                                 second_factors, screen):
    app.config["PROPAGATE_EXCEPTIONS"] = False       # a failure is a 500 to count, not the end of the test
    client = _client(app, screen.who, make_account, second_factors)
    url = _preview(client) if screen.url == PREVIEW else screen.url
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
    assert sent, "the screen has no field at all: the crawl found nothing"
    assert not problems, "\n".join(problems)
