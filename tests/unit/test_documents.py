"""Lists: password shown by state, and cells no spreadsheet runs as formulas."""
import pytest

from datetime import datetime, timedelta, timezone

from directory.model import AccountState
from webapp.documents.lists import HIDDEN_PASSWORD, ListRow, pages_by_class, safe_cell


def _row(state, password="PT4HUMM2", class_code="201", surname="Martin", given_days_ago=1):
    return ListRow(surname, "Zoé", state, "zoe.martin", password, class_code, "Seconde 1", "2NDE", None, None,
                   password_changed=datetime.now(timezone.utc) - timedelta(days=given_days_ago))


@pytest.mark.parametrize("state,shown", [(AccountState.NOT_NOTIFIED, ""), (AccountState.NOTIFIED, "PT4HUMM2"),
                                         (AccountState.ACTIVE, HIDDEN_PASSWORD)])
def test_password_column_by_state(state, shown):
    assert _row(state).password_shown(90) == shown


@pytest.mark.parametrize("value,safe", [("=1+1", "'=1+1"), ("+33 6", "'+33 6"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
                                        ("\tx", "'\tx"), ("Zoé", "Zoé"), ("", ""), (None, ""),
                                        (" =1+1", "' =1+1"), ("\n=HYPERLINK(1)", "'\n=HYPERLINK(1)"),
                                        ("\u00a0 +1", "'\u00a0 +1"), ("\r\n-2", "'\r\n-2"), ("Le Goff", "Le Goff")])
def test_no_cell_runs_as_a_formula(value, safe):
    assert safe_cell(value) == safe


def test_pages_by_class_repeat_the_class_and_split_long_classes():
    rows = [_row(AccountState.NOTIFIED, surname=f"N{i:02d}") for i in range(65)] + [_row(AccountState.ACTIVE, class_code="202")]
    pages = list(pages_by_class(rows))
    assert [(code, len(chunk), number, count) for code, _, chunk, number, count in pages] == [
        ("201", 30, 1, 3), ("201", 30, 2, 3), ("201", 5, 3, 3), ("202", 1, 1, 1)]
