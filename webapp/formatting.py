"""How values read in the French UI: dates as dd/mm/yyyy, missing values as a dash."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def date_fr(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(PARIS).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def datetime_fr(value) -> str:
    """A moment (a datetime, seconds since the epoch, or an ISO text) as dd/mm/yyyy à hh:mm, Paris time."""
    if value in (None, "", 0):
        return ""
    if isinstance(value, (int, float)):
        value = datetime.fromtimestamp(value, PARIS)
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(PARIS).strftime("%d/%m/%Y à %H:%M")


def provisional_expired(account) -> bool:
    """For the staff screens: « expiré » beside the state of an account whose letter is too old."""
    from flask import current_app

    from directory.lifecycle import ShownPassword, shown_password
    return shown_password(account.state, getattr(account, "password_changed", None),
                          current_app.config["SESAME_PROVISIONAL_DAYS"]) is ShownPassword.EXPIRED


def locked(account) -> bool:
    """For the staff screens: the directory's lock on the account still holds (« bloqué »)."""
    from directory.locks import is_locked

    from .extensions import directory
    return is_locked(getattr(account, "locked_at", None), directory.current.password_policy())


def init_app(app) -> None:
    app.add_template_global(provisional_expired, "provisional_expired")
    app.add_template_global(locked, "locked")
    from directory.model import level_label
    app.add_template_global(level_label, "level_label")
    app.add_template_filter(date_fr, "date_fr")
    app.add_template_filter(datetime_fr, "datetime_fr")
