"""Training forms. Choices (actions, funders, missions locales) come in as arguments.

Validation of content is the domain's (``models.training``): the forms only parse.
"""

from __future__ import annotations

from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms import Form as SubForm
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from models.training.enums import HalfDay, Job, Modality
from webapp.forms_common import DecimalTextField, Form, optional_int

REQUIRED = "Ce champ est obligatoire."
Choices = list[tuple[int, str]]
BLANK_SLOT_ROWS = 2


def _date(label: str) -> DateField:
    return DateField(label, validators=[Optional()], format="%Y-%m-%d")


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TrainingForm(Form):
    title = StringField("Intitulé", validators=[DataRequired(REQUIRED), Length(max=200)])
    objectives = TextAreaField("Objectifs", validators=[Length(max=10000)])
    content = TextAreaField("Programme et contenu", validators=[Length(max=20000)])
    audience = CheckboxesField("Public visé (fonctions)",
                               choices=[(j.value, j.label) for j in Job])
    prerequisites = TextAreaField("Prérequis", validators=[Length(max=5000)])
    duration_days = DecimalTextField("Durée (jours)", places=1, validators=[Optional()])
    duration_hours = DecimalTextField("Durée (heures)", places=1, validators=[Optional()])
    modality = SelectField("Modalité", choices=[(m.value, m.label) for m in Modality])
    provider = StringField("Organisme de formation", validators=[Length(max=200)])
    trainer = StringField("Formateur·rice", validators=[Length(max=120)])
    cost_per_trainee = DecimalTextField("Coût par stagiaire (€)", validators=[Optional()])
    action_id = SelectField("Action du programme", coerce=optional_int, validate_choice=False,
                            validators=[Optional()])
    funder_id = SelectField("Financeur", coerce=optional_int, validate_choice=False,
                            validators=[Optional()])
    active = BooleanField("Formation au catalogue", default=True)
    version_id = HiddenField()

    def __init__(self, *args, actions: Choices, funders: Choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.action_id.choices = [("", "— aucune —"), *actions]
        self.funder_id.choices = [("", "— aucun —"), *funders]


class SlotRow(SubForm):
    class Meta:
        locales = ("fr_FR", "fr")

    day = _date("Date")
    half = SelectField("Demi-journée", choices=[(h.value, h.label) for h in HalfDay],
                       validate_choice=False)  # the domain explains a bad value
    starts_at = TimeField("Début", validators=[Optional()], format="%H:%M")
    ends_at = TimeField("Fin", validators=[Optional()], format="%H:%M")


class SessionForm(Form):
    slots = FieldList(FormField(SlotRow), min_entries=1, max_entries=60)
    place = TextAreaField("Lieu (adresse)", validators=[Length(max=2000)])
    video_link = StringField("Lien de visioconférence", validators=[Length(max=500)])
    access_details = TextAreaField("Informations d'accès (transports, parking, salle…)",
                                   validators=[Length(max=5000)])
    trainer = StringField("Formateur·rice", validators=[Length(max=120)])
    min_capacity = IntegerField("Capacité minimale", validators=[Optional()])
    max_capacity = IntegerField("Capacité maximale", validators=[Optional()])
    ml_quota = IntegerField("Quota par mission locale", validators=[Optional()])
    registration_opens = _date("Ouverture des inscriptions")
    registration_closes = _date("Clôture des inscriptions")
    offer_days = IntegerField("Place libérée proposée pendant (jours)",
                              validators=[Optional()])
    version_id = HiddenField()


class CancelSessionForm(Form):
    reason = TextAreaField("Motif", validators=[DataRequired(
        "Indiquez le motif de l'annulation : il est envoyé aux personnes inscrites."),
        Length(max=2000)])
    version_id = HiddenField()


class StatusForm(Form):
    transition = HiddenField()
    version_id = HiddenField()


class RegistrationForm(Form):
    """The field names are a contract (the bench posts them): keep them."""

    last_name = StringField("Nom", validators=[Length(max=100)])
    first_name = StringField("Prénom", validators=[Length(max=100)])
    email = StringField("E-mail", validators=[Length(max=254)])
    job = SelectField("Fonction", choices=[("", "— choisir —"),
                                           *[(j.value, j.label) for j in Job]],
                      validate_choice=False)
    mission_locale_id = SelectField("Mission locale", coerce=optional_int,
                                    validate_choice=False, validators=[Optional()])

    def __init__(self, *args, missions_locales: Choices | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.mission_locale_id.choices = [("", "— choisir —"), *(missions_locales or [])]


class CancelRegistrationForm(Form):
    reason = StringField("Motif (facultatif)", validators=[Length(max=2000)])
    retour = HiddenField()


class OfferForm(Form):
    reponse = HiddenField()
    retour = HiddenField()


class EmptyForm(Form):
    """A POST with only its CSRF token."""
