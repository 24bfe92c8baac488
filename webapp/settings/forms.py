"""The forms of « Paramétrage »: a delegation to grant or end, the letter settings."""
from __future__ import annotations

import re
from datetime import date, datetime

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, SubmitField, TextAreaField

from directory.delegations import Kind

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FRENCH = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")


def parse_day(text: str | None) -> date | None:
    """A date as a date field sends it (aaaa-mm-jj) or as people type it (jj/mm/aaaa); None if neither."""
    text = (text or "").strip()
    try:
        if _ISO.match(text):
            return date.fromisoformat(text)
        if _FRENCH.match(text):
            return datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        return None
    return None


class GrantForm(FlaskForm):
    # Lengths, dates and choices are checked by the service and said in French beside each field.
    delegate = StringField("Personnel (nom ou identifiant)",
                           render_kw={"autocomplete": "off", "spellcheck": "false"})
    kind = RadioField("Droits délégués", default=Kind.SUPPORT.value, validate_choice=False,
                      choices=[(k.value, k.label) for k in Kind])
    start = StringField("Du", render_kw={"type": "date"})
    end = StringField("Au", render_kw={"type": "date"})
    reason = StringField("Motif (facultatif)")
    submit = SubmitField("Accorder la délégation")


class EndForm(FlaskForm):
    submit = SubmitField("Mettre fin à la délégation")


class LettersForm(FlaskForm):
    shown = HiddenField()            # the settings the form was made from: the change is conditional on them
    activation_url = StringField("Adresse d'activation")
    contact = StringField("En cas de difficulté, contactez")
    signature_title = StringField("Titre du signataire")
    signature_name = StringField("Nom du signataire")
    paragraph = TextAreaField("Paragraphe complémentaire (facultatif)", render_kw={"rows": 3})
    submit = SubmitField("Enregistrer les réglages")
