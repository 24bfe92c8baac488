"""The one base of every form: WTForms' own messages in French (its `fr` catalogue), whatever a validator
says by default — nothing a person reads is in English."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField, SubmitField
from wtforms.validators import Length, ValidationError

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


class SignInFields:
    """The three fields of a sign-in form, staff's or holders': an identifier and a password of at most so many
    characters (no DataRequired: an empty field gets the same refusal as a wrong password, from the view)."""

    @staticmethod
    def identifier(longest: int) -> StringField:
        return StringField("Identifiant", validators=[Length(max=longest)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"})

    @staticmethod
    def password(longest: int) -> PasswordField:
        return PasswordField("Mot de passe", validators=[Length(max=longest)],
                             render_kw={"autocomplete": "current-password"})

    @staticmethod
    def submit() -> SubmitField:
        return SubmitField("Se connecter")
