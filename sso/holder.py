"""A person at the SSO portal, as a browser without scripts: follows redirects and fills LemonLDAP::NG's
forms (sign-in, a first password, a second factor's code). For the tests, the benchmark and checks of `make sso`."""
from __future__ import annotations

import html
import re
import urllib.parse
from dataclasses import dataclass, field

import requests

_FORM = re.compile(r'<form[^>]*\b(?:id="(lform|formpass)"|action="/(totp)2fcheck")[^>]*>(.*?)</form>', re.S)
_INPUT = re.compile(r"<input\b[^>]*>", re.S)
_ATTRIBUTE = re.compile(r'([\w-]+)="([^"]*)"')
_MESSAGE = re.compile(r'trmsg="(\d+)"')

# LemonLDAP::NG's codes, as its pages name them (trmsg="…"); their words: deploy/lemonldap/skin/sesame/fr.json
BAD_CREDENTIALS = 5
ACCOUNT_LOCKED = 21
CHANGE_AFTER_RESET = 25
BIRTH_DATE_REFUSED = 27
NAMES_IN_PASSWORD = 28
TOO_SHORT = 29
INVISIBLE = 30
SAME_AS_PROVISIONAL = 31
PASSWORD_CHANGED = 35


@dataclass
class Page:
    url: str
    status: int
    text: str
    form: str | None = None            # "lform" (sign-in), "formpass" (a new password), "totp" (a code), if any
    fields: dict = field(default_factory=dict)

    @property
    def messages(self) -> list[int]:
        return [int(m) for m in _MESSAGE.findall(self.text)]


def read(response: requests.Response) -> Page:
    if "charset" not in response.headers.get("Content-Type", "").lower():
        response.encoding = "utf-8"     # the portal says so in its <meta>, where a browser reads it
    page = Page(response.url, response.status_code, response.text)
    found = _FORM.search(response.text)
    if found:
        page.form = found.group(1) or found.group(2)
        for tag in _INPUT.findall(found.group(3)):
            attributes = dict(_ATTRIBUTE.findall(tag))
            if "name" in attributes:
                page.fields[attributes["name"]] = html.unescape(attributes.get("value", ""))
    return page


class Holder:
    """One person's browser: its cookies are the SSO's and the service's."""

    def __init__(self, identifier: str, password: str, session: requests.Session | None = None):
        self.identifier = identifier
        self.password = password
        self.http = session or requests.Session()

    def go(self, url: str, data: dict | None = None, stop_at: str | None = None) -> Page:
        """GET (or POST `data` to) `url` and follow redirects, stopping before an address starting with
        `stop_at` (its response is then the page, with `url` that address)."""
        response = self.http.post(url, data=data, allow_redirects=False) if data is not None else \
            self.http.get(url, allow_redirects=False)
        for _ in range(20):
            if response.status_code not in (301, 302, 303, 307):
                return read(response)
            target = urllib.parse.urljoin(response.url, response.headers["Location"])
            if stop_at and target.startswith(stop_at):
                return Page(target, response.status_code, "")
            response = self.http.get(target, allow_redirects=False)
        raise RuntimeError(f"too many redirects from {url}")

    def sign_in(self, page: Page, password: str | None = None, stop_at: str | None = None) -> Page:
        """Posts the portal's sign-in form of `page`."""
        assert page.form == "lform", f"no sign-in form at {page.url}: {page.status}"
        return self.go(page.url, {**page.fields, "user": self.identifier, "password": password or self.password},
                       stop_at=stop_at)

    def second_factor(self, page: Page, code: str, stop_at: str | None = None) -> Page:
        """Posts the portal's second-factor form of `page` (a TOTP code)."""
        assert page.form == "totp", f"no second-factor form at {page.url}: {page.messages}"
        return self.go(urllib.parse.urljoin(page.url, "/totp2fcheck"), {**page.fields, "code": code}, stop_at=stop_at)

    def choose_password(self, page: Page, new: str, birth_date: str = "", confirm: str | None = None) -> Page:
        """Posts the portal's new-password form of `page` (the birth date as the date field sends it)."""
        assert page.form == "formpass", f"no password form at {page.url}: {page.messages}"
        return self.go(page.url, {**page.fields, "newpassword": new,
                                  "confirmpassword": new if confirm is None else confirm, "naissance": birth_date})
