"""The holders' forms, in plain words."""
from ..forms import Form, SignInFields
from wtforms import DateField, EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import EqualTo, InputRequired, Length, Optional, Regexp

# one @, something before it, a dot after it, no spaces: the link we send proves the rest
MAIL = r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$"   # the directory's mail attribute is ASCII


class HolderSignInForm(Form):
    identifier = SignInFields.identifier(128)
    password = SignInFields.password(256)
    submit = SignInFields.submit()


class NewPasswordForm(Form):
    password = PasswordField("Nouveau mot de passe", validators=[
        InputRequired("Choisissez un mot de passe."),
        Length(min=8, max=128, message="Le mot de passe doit contenir entre 8 et 128 caractères.")],
        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("Confirmez le nouveau mot de passe", validators=[
        EqualTo("password", message="Les deux mots de passe ne sont pas identiques.")],
        render_kw={"autocomplete": "new-password"})
    submit = SubmitField("Valider")


class BirthDateForm(Form):
    birth_date = DateField("Date de naissance", validators=[InputRequired("Indiquez votre date de naissance.")])
    submit = SubmitField("Valider")


class MailForm(Form):
    mail = EmailField("Adresse mail", validators=[Optional(), Length(
                          max=200, message="Une adresse mail compte au plus 200 caractères : vérifiez-la."),
                                                  Regexp(MAIL, message="Cette adresse mail n'est pas valide.")],
                      render_kw={"autocomplete": "email"})
    submit = SubmitField("Enregistrer")
    skip = SubmitField("Passer cette étape")


class ForgotPasswordForm(Form):
    identifier = StringField("Identifiant", validators=[
        InputRequired("Indiquez votre identifiant."),
        Length(max=128, message="Un identifiant compte au plus 128 caractères : vérifiez celui de votre courrier.")],
                             render_kw={"autocomplete": "username", "autocapitalize": "none"})
    submit = SubmitField("Recevoir un lien")


class ForgotIdentifierForm(Form):
    mail = EmailField("Adresse mail", validators=[
        InputRequired("Indiquez votre adresse mail."),
        Length(max=200, message="Une adresse mail compte au plus 200 caractères : vérifiez-la.")],
                      render_kw={"autocomplete": "email"})
    submit = SubmitField("Recevoir mon identifiant")
