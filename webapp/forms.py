"""The one base of every form: WTForms' own messages in French (its `fr` catalogue), whatever a validator
says by default — nothing a person reads is in English."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import ValidationError

LOCALES = ("fr_FR", "fr")


class Form(FlaskForm):
    class Meta:
        locales = LOCALES

        def get_translations(self, form):
            # Flask-WTF's own hook asks Flask-Babel, which Sésame does not use: WTForms' catalogue instead
            from wtforms.i18n import get_translations
            return get_translations(LOCALES)


class Checkbox(BooleanField):
    """A box ticked or not: it sends « y » when ticked, nothing otherwise; any other value is refused, not
    taken as a tick."""

    def pre_validate(self, form):
        if self.raw_data and self.raw_data[0] not in ("y", "on"):
            raise ValidationError("Cette case ne peut être que cochée ou non.")
