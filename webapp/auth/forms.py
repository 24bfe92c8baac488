"""The sign-in and establishment-switch forms."""
from ..forms import Form, SignInFields
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import Length


class SignInForm(Form):
    uid = SignInFields.identifier(256)
    password = SignInFields.password(1024)
    submit = SignInFields.submit()


class SwitchEstablishmentForm(Form):
    uai = SelectField("Établissement", choices=[])
    submit = SubmitField("Changer d'établissement")


class SecondFactorForm(Form):
    code = StringField("Code", validators=[Length(max=32)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "text", "autocapitalize": "none",
                                  "spellcheck": "false"})
    submit = SubmitField("Valider")
