"""One label per concept on every screen, as the guide does: an account's state is « Statut du compte » on
screens (« État du compte » is the lists' column, « État(s) de compte » the criterion), an e-mail address is
« Email » as a column and « adresse mail » in words — never « e-mail » or « courriel »."""
import re
from pathlib import Path

from directory.figures import follow_ups
from webapp.students.query import follow_up_labels

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
SCREENS = [p for p in TEMPLATES.rglob("*.html") if "documents" not in p.parts]
WORDS = re.compile(r"e-mail|courriel|É?tat du compte", re.I)


def _words(path: Path) -> str:
    """What a person reads in a template: its text, not its tags, attributes' names or Jinja code."""
    text = re.sub(r"\{[{%#].*?[}%#]\}", " ", path.read_text(), flags=re.S)
    return re.sub(r"<[^>]*?(?:href|action|hx-\w+|name|id|for|class)=\"[^\"]*\"[^>]*>", " ", text)


def test_no_screen_says_e_mail_courriel_or_etat_du_compte():
    found = {p.relative_to(TEMPLATES).as_posix(): WORDS.findall(_words(p)) for p in SCREENS}
    assert {k: v for k, v in found.items() if v} == {}


def test_the_follow_up_lines_and_criteria_use_the_same_words():
    from datetime import date, datetime, timezone

    from directory.search import AccountCriteria
    labels = [line.label for line in follow_ups(date.today(), 90)]
    labels += follow_up_labels(AccountCriteria(mail_unconfirmed=True, locked=True,
                                               notified_before=datetime.now(timezone.utc)))
    assert not [label for label in labels if WORDS.search(label)], labels
