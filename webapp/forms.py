"""The one base of every form: WTForms' own messages in French (its `fr` catalogue), whatever a validator
says by default — nothing a person reads is in English."""
from __future__ import annotations

from flask_wtf import FlaskForm

LOCALES = ("fr_FR", "fr")


class Form(FlaskForm):
    class Meta:
        locales = LOCALES

        def get_translations(self, form):
            # Flask-WTF's own hook asks Flask-Babel, which Sésame does not use: WTForms' catalogue instead
            from wtforms.i18n import get_translations
            return get_translations(LOCALES)
