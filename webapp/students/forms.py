"""The forms of the three actions on selected students."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SubmitField

LETTER, NO_LETTER = "courrier", "sans-courrier"


class NotifyForm(FlaskForm):
    notification = RadioField("Type de notification", default=LETTER, choices=[
        (LETTER, "Courrier individuel (PDF)"), (NO_LETTER, "Sans courrier")])
    reset_password = BooleanField("Réinitialiser le mot de passe")
    submit = SubmitField("Confirmer")


class ResetForm(FlaskForm):
    submit = SubmitField("Confirmer")


class ListForm(FlaskForm):
    format = RadioField("Format", default="pdf", choices=[("pdf", "PDF"), ("csv", "CSV")])
    submit = SubmitField("Confirmer")
