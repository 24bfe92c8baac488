"""The sign-in and establishment-switch forms."""
from ..forms import Form
from wtforms import PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import Length


class SignInForm(Form):
    # No DataRequired: an empty field gets the same refusal as a wrong password, from the view.
    uid = StringField("Identifiant", validators=[Length(max=256)],
                      render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"})
    password = PasswordField("Mot de passe", validators=[Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField("Se connecter")


class SwitchEstablishmentForm(Form):
    uai = SelectField("Établissement", choices=[])
    submit = SubmitField("Changer d'établissement")


class SecondFactorForm(Form):
    code = StringField("Code", validators=[Length(max=32)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "text", "autocapitalize": "none",
                                  "spellcheck": "false"})
    submit = SubmitField("Valider")
