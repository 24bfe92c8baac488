"""The forms of the three actions on selected students."""
import secrets

from ..forms import Checkbox, Form
from wtforms import HiddenField, RadioField, SubmitField
from wtforms.validators import Regexp

from ..documents.letter_options import KEPT_ON_ACCOUNT, LANGUAGES, LAYOUTS

LETTER, NO_LETTER = "courrier", "sans-courrier"


class ConfirmationForm(Form):
    """A confirmation is used once: its token, made when the form is shown, names the job it starts,
    so the same form posted twice (a retry, a reload, two tabs) makes one job."""
    confirmation = HiddenField(validators=[Regexp(r"^[A-Za-z0-9_-]{22}$")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_submitted():
            self.confirmation.data = secrets.token_urlsafe(16)


class NotifyForm(ConfirmationForm):
    notification = RadioField("Type de notification", default=LETTER, choices=[
        (LETTER, "Courrier individuel (PDF)"), (NO_LETTER, "Sans courrier")])
    reset_password = Checkbox("Réinitialiser le mot de passe")
    # the letters' layout and second language (issue 18): ignored « Sans courrier »
    layout = RadioField("Courriers par page", default="1", choices=[
        (str(n), layout.label) for n, layout in LAYOUTS.items()])
    language = RadioField("Langue du courrier", default="", choices=[("", "Français seulement")] + [
        (code, f"Français et {language.label.lower()} ({language.name}) en dessous")
        for code, language in LANGUAGES.items()] + [(KEPT_ON_ACCOUNT, "Langue enregistrée de chaque responsable")])
    keep_language = Checkbox("Retenir cette langue pour ces responsables")
    submit = SubmitField("Confirmer")


class ResetForm(ConfirmationForm):
    submit = SubmitField("Confirmer")


class ListForm(ConfirmationForm):
    format = RadioField("Format", default="pdf", choices=[("pdf", "PDF"), ("csv", "CSV")])
    submit = SubmitField("Confirmer")


def letter_choices(form: NotifyForm) -> dict:
    """The job's options for its letters: letters per sheet, second language ("" none)."""
    choices = {"layout": int(form.layout.data), "language": form.language.data or ""}
    keep = getattr(form, "keep_language", None)
    if keep is not None and keep.data and choices["language"] != KEPT_ON_ACCOUNT:
        choices["keep_language"] = True
    return choices
