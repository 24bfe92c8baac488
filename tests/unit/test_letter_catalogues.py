"""The letters' message catalogues: every text of the template translated in every language, values kept."""
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

from webapp.documents.letter_options import LANGUAGES, LAYOUTS, LOCALES, layout_of, sheets, translations
from webapp.documents.letters import _right_to_left

TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "documents" / "letters.html"
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def template_texts() -> set[str]:
    with TEMPLATE.open("rb") as source:
        # a call with values (`_("Bonjour %(name)s,", name=...)`) comes out as (text, None)
        return {message[0] if isinstance(message, tuple) else message
                for _, _, message, _ in babel_extract(source, ("_",), [], {})}


@pytest.mark.parametrize("code", sorted(LANGUAGES))
def test_every_text_of_the_template_is_translated_with_its_values(code):
    with (LOCALES / code / "LC_MESSAGES" / "letters.po").open("rb") as source:
        catalogue = read_po(source, locale=code)
    translated = {m.id: m.string for m in catalogue if m.id}
    texts = template_texts()
    assert len(texts) >= 15
    assert texts - set(translated) == set(), "texts of the template missing from the catalogue"
    for text in texts:
        assert translated[text], f"not translated: {text}"
        assert sorted(PLACEHOLDER.findall(translated[text])) == sorted(PLACEHOLDER.findall(text)), text
        assert translations(code).gettext(text) == translated[text]    # compiled and loaded as a worker does


def test_french_is_the_message_ids_themselves():
    assert translations("fr").gettext("Bonjour %(name)s,") == "Bonjour %(name)s,"


def test_arabic_words_are_boxes_and_values_are_escaped_left_to_right_boxes():
    html = str(_right_to_left("مرحبًا %(name)s،", {"name": "<b>Zoé</b>"}))
    assert html == ('<span class="word">مرحبًا</span> <span class="word" dir="ltr">&lt;b&gt;Zoé&lt;/b&gt;</span>'
                    '<span class="word">،</span>')


@pytest.mark.parametrize("value,per_sheet", [("1", 1), ("2", 2), (4, 4), ("3", 1), (None, 1), ("x", 1)])
def test_layout_of_a_job_option(value, per_sheet):
    assert layout_of(value).per_sheet == per_sheet


def test_sheets_hold_as_many_letters_as_the_layout():
    assert [len(s) for s in sheets(list(range(9)), LAYOUTS[4])] == [4, 4, 1]
    assert [len(s) for s in sheets(list(range(3)), LAYOUTS[2])] == [2, 1]


def test_a_provisional_password_is_valid_until_the_day_it_was_given_plus_the_days():
    from datetime import date, datetime, timezone
    from webapp.documents.letter_options import valid_until
    given = datetime(2026, 12, 1, 23, 30, tzinfo=timezone.utc)
    assert valid_until(given, 90) == date(2027, 2, 28)     # it stops on 1 March at 23:30
    assert valid_until(given, 0) is None and valid_until(None, 90) is None    # 0: provisional passwords never expire
