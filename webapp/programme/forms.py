"""Programme forms. They take their context (objectives, team, missions locales) as arguments."""

from __future__ import annotations

from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from models.programme.enums import ActionStatus, BudgetCategory, MemberStatus
from webapp.forms_common import DecimalTextField, Form, id_choice, optional_int

REQUIRED = "Ce champ est obligatoire."
DATE_ERROR = "Date invalide (jj/mm/aaaa)."
Choices = list[tuple[int, str]]


def _date(label: str, required: bool = False) -> DateField:
    # InputRequired (not DataRequired) keeps the "not a valid date" message of a typo.
    validators = [InputRequired(REQUIRED)] if required else [Optional()]
    return DateField(label, validators=validators, format="%Y-%m-%d")


class ProgrammeForm(Form):
    title = StringField("Titre", validators=[DataRequired(REQUIRED), Length(max=200)])
    year = IntegerField("Année", validators=[DataRequired(REQUIRED)])
    etp_hours = IntegerField("Heures pour 1 ETP", default=1607,
                             validators=[DataRequired(REQUIRED)])
    etp_days = IntegerField("Jours pour 1 ETP", default=218, validators=[DataRequired(REQUIRED)])
    version_id = HiddenField()


class TransitionForm(Form):
    target = HiddenField(validators=[DataRequired(REQUIRED)])
    comment = TextAreaField("Commentaire", validators=[Length(max=2000)])
    meeting_id = SelectField("Décision prise en réunion du copil", coerce=optional_int,
                             validators=[Optional()], validate_choice=False)
    version_id = HiddenField()

    def __init__(self, *args, meetings: Choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.meeting_id.choices = [("", "— aucune —"), *meetings]


class ActionForm(Form):
    objective_id = SelectField("Objectif", coerce=optional_int, validate_choice=False,
                               validators=[DataRequired("Choisissez l'objectif de l'action.")])
    title = StringField("Intitulé", validators=[DataRequired(REQUIRED), Length(max=200)])
    description = TextAreaField("Description", validators=[Length(max=5000)])
    pilot_id = SelectField("Pilote", coerce=optional_int, validate_choice=False,
                           validators=[Optional()])
    start_date = _date("Début", required=True)
    end_date = _date("Fin", required=True)
    status = SelectField("Statut", choices=[(s.value, s.label) for s in ActionStatus],
                         default=ActionStatus.PREVUE.value)
    status_reason = TextAreaField("Raison (report ou abandon)", validators=[Length(max=2000)])
    out_of_year_reason = TextAreaField("Raison du débordement hors de l'année",
                                       validators=[Length(max=2000)])
    mission_locale_ids = SelectMultipleField("Missions locales impliquées", coerce=id_choice,
                                             validate_choice=False)
    partners = TextAreaField("Partenaires extérieurs (un par ligne)",
                             validators=[Length(max=4000)])
    amendment_reason = TextAreaField("Motif de la modification (programme validé)",
                                     validators=[Length(max=2000)])
    version_id = HiddenField()

    def __init__(self, *args, objectives: Choices, members: Choices,
                 missions_locales: Choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.objective_id.choices = [("", "— choisir —"), *objectives]
        self.pilot_id.choices = [("", "— aucun —"), *members]
        self.mission_locale_ids.choices = missions_locales


class DeliverableForm(Form):
    title = StringField("Livrable", validators=[DataRequired(REQUIRED), Length(max=200)])
    due_date = _date("Échéance", required=True)
    done_date = _date("Remis le")


class IndicatorForm(Form):
    name = StringField("Indicateur", validators=[DataRequired(REQUIRED), Length(max=200)])
    unit = StringField("Unité", validators=[DataRequired(REQUIRED), Length(max=40)])
    target = DecimalTextField("Cible", validators=[DataRequired(REQUIRED)])
    achieved = DecimalTextField("Atteint", validators=[Optional()])
    comment = StringField("Commentaire", validators=[Length(max=2000)])


class BudgetLineForm(Form):
    category = SelectField("Catégorie", choices=[(c.value, c.label) for c in BudgetCategory])
    label = StringField("Libellé", validators=[Length(max=200)])
    planned = DecimalTextField("Prévu (€)", validators=[DataRequired(REQUIRED)])
    actual = DecimalTextField("Réalisé (€)", validators=[Optional()])


class AllocationForm(Form):
    member_id = SelectField("Membre de l'équipe", coerce=optional_int, validate_choice=False,
                            validators=[DataRequired(REQUIRED)])
    planned = DecimalTextField("Temps prévu", validators=[DataRequired(REQUIRED)])
    unit = SelectField("Unité", choices=[("jours", "jours"), ("etp", "ETP")], default="jours")
    actual_days = DecimalTextField("Réalisé (jours)", validators=[Optional()])

    def __init__(self, *args, members: Choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.member_id.choices = [("", "— choisir —"), *members]


class DeleteActionForm(Form):
    reason = TextAreaField("Motif de la suppression", validators=[Length(max=2000)])


class MemberForm(Form):
    full_name = StringField("Nom", validators=[DataRequired(REQUIRED), Length(max=120)])
    function = StringField("Fonction", validators=[DataRequired(REQUIRED), Length(max=120)])
    contract_etp = DecimalTextField("ETP du contrat", validators=[DataRequired(REQUIRED)])
    status = SelectField("Statut", choices=[(s.value, s.label) for s in MemberStatus])
    seconded_by = StringField("Mis·e à disposition par", validators=[Length(max=200)])
    start_date = _date("Arrivée", required=True)
    end_date = _date("Départ")
    version_id = HiddenField()


class MeetingForm(Form):
    meeting_date = _date("Date", required=True)
    place = StringField("Lieu", validators=[Length(max=200)])
    participants = TextAreaField("Participants (une ligne par personne : institution — nom)",
                                 validators=[Length(max=5000)])
    notes = TextAreaField("Compte rendu", validators=[Length(max=10000)])


class ReferenceForm(Form):
    title = TextAreaField("Libellé", validators=[DataRequired(REQUIRED), Length(max=300)])


class EmptyForm(Form):
    """A POST with only its CSRF token (delete buttons, duplication)."""
