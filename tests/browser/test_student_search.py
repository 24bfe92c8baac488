"""Typing into the « Élèves » search in Chromium: live results, URL kept, selection, profile."""
import re

import pytest

from directory.search import AccountCriteria
from support import sign_in_page

pytestmark = pytest.mark.browser


def _sign_in(page, live_server, uid="chef.lyc"):
    sign_in_page(page, live_server, uid)
    page.get_by_role("link", name="Élèves", exact=True).click()


def test_typing_filters_live_and_the_url_keeps_the_criteria(page, live_server, demo_directory):
    _sign_in(page, live_server)
    expected = len(demo_directory.students.ids("0990003R", AccountCriteria(name="zoe")))
    page.get_by_label("Nom ou prénom").press_sequentially("zoé", delay=60)
    page.wait_for_url(re.compile(r".*q=zo%C3%A9.*"))
    summary = page.locator(".results-summary")
    summary.get_by_text(f"{expected} élève(s)").wait_for()
    assert summary.get_by_text("Filtre utilisé").is_visible()
    rows = page.locator("table.accounts tbody tr")
    assert rows.count() == expected
    assert all("Zo" in text for text in rows.locator("td:nth-child(2)").all_inner_texts())
    page.reload()                                   # a reload gives the same results
    assert page.get_by_label("Nom ou prénom").input_value() == "zoé"
    assert page.locator("table.accounts tbody tr").count() == expected


def test_select_all_counts_every_page_and_the_profile_opens(page, live_server, demo_directory):
    _sign_in(page, live_server)
    page.get_by_label("201 Seconde 1").check()
    page.get_by_label("202 Seconde 2").check()
    expected = len(demo_directory.students.ids("0990003R", AccountCriteria(classes=("201", "202"))))
    page.locator(".results-summary").get_by_text(f"{expected} élève(s)").wait_for()
    page.get_by_label(re.compile("Sélectionner tous les élèves de la recherche")).check()
    page.locator("#selection-counter").get_by_text(str(expected)).wait_for()
    assert page.locator("#selection-counter").inner_text() == f"{expected} élève(s) sélectionné(s)"
    page.locator(".profile-link").first.click()
    page.locator("#profile").get_by_text("Date de naissance").wait_for()
    page.get_by_role("link", name="Fermer la fiche").click()
    page.locator("#profile dl").wait_for(state="detached")
