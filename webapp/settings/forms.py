"""The forms of « Paramétrage »: a delegation to grant or end, the letter settings."""
from __future__ import annotations

from wtforms import HiddenField, RadioField, StringField, SubmitField, TextAreaField

from directory.delegations import Kind

from ..forms import Form


class GrantForm(Form):
    # Lengths, dates and choices are checked by the service and said in French beside each field.
    delegate = StringField("Personnel (nom ou identifiant)",
                           render_kw={"autocomplete": "off", "spellcheck": "false"})
    kind = RadioField("Droits délégués", default=Kind.SUPPORT.value, validate_choice=False,
                      choices=[(k.value, k.label) for k in Kind])
    start = StringField("Du", render_kw={"type": "date"})
    end = StringField("Au", render_kw={"type": "date"})
    reason = StringField("Motif (facultatif)")
    submit = SubmitField("Accorder la délégation")


class EndForm(Form):
    submit = SubmitField("Mettre fin à la délégation")


class LettersForm(Form):
    shown = HiddenField()            # the settings the form was made from: the change is conditional on them
    activation_url = StringField("Adresse d'activation")
    contact = StringField("En cas de difficulté, contactez")
    signature_title = StringField("Titre du signataire")
    signature_name = StringField("Nom du signataire")
    paragraph = TextAreaField("Paragraphe complémentaire (facultatif)", render_kw={"rows": 3})
    submit = SubmitField("Enregistrer les réglages")
