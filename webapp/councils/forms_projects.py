"""Forms of collective projects. They only parse: the rules and their French messages are
``models.councils.projects``' (one set of messages for the web, the CLI and the seed)."""

from __future__ import annotations

from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional

from models.councils import project_evaluation
from models.councils.enums import (
    BinomeRole,
    ExperimentStatus,
    ParticipantStatus,
    ProjectKind,
    ProjectPhase,
)
from webapp.forms_common import Form, optional_int

Choices = list[tuple[int, str]]
NONE = ("", "— aucune —")


class ProjectForm(Form):
    title = StringField("Intitulé", validators=[Length(max=200)])
    kind = SelectField("Type", choices=[(k.value, k.label) for k in ProjectKind],
                       validate_choice=False)
    description = TextAreaField("Description (objectifs, déroulé)",
                                validators=[Length(max=10_000)])
    partners = TextAreaField("Partenaires", validators=[Length(max=2_000)],
                             description="Par exemple : Aract Nouvelle-Aquitaine, UNML.")
    action_id = SelectField("Action du programme", coerce=optional_int, validate_choice=False,
                            validators=[Optional()])
    series_id = SelectField("Série de réunions du projet", coerce=optional_int,
                            validate_choice=False, validators=[Optional()],
                            description="Ses réunions et ses décisions (registre des "
                                        "décisions).")
    training_id = SelectField("Formation portant les sessions", coerce=optional_int,
                              validate_choice=False, validators=[Optional()],
                              description="Les sessions de cette formation sont celles du "
                                          "projet : feuilles d'émargement, convocations.")
    version_id = HiddenField()

    def __init__(self, *args, actions: Choices, series: Choices, trainings: Choices,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.action_id.choices = [NONE, *actions]
        self.series_id.choices = [NONE, *series]
        self.training_id.choices = [NONE, *trainings]


class PhaseForm(Form):
    phase = SelectField("Phase", choices=[(p.value, p.label) for p in ProjectPhase],
                        validate_choice=False)
    version_id = HiddenField()


class ParticipantForm(Form):
    mission_locale_id = SelectField("Mission locale", coerce=optional_int,
                                    validate_choice=False, validators=[Optional()])
    status = SelectField("Statut", choices=[(ParticipantStatus.CANDIDAT.value, "Candidate"),
                                            (ParticipantStatus.RETENU.value, "Retenue")],
                         validate_choice=False)

    def __init__(self, *args, missions_locales: Choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.mission_locale_id.choices = [("", "— choisir —"), *missions_locales]


class ParticipantStatusForm(Form):
    status = SelectField("Statut", choices=[(s.value, s.label) for s in ParticipantStatus],
                         validate_choice=False)
    withdrawal_reason = StringField("Motif du retrait", validators=[Length(max=2_000)])
    version_id = HiddenField()


ROLE_CHOICES = [(r.value, r.label) for r in BinomeRole]


class BinomeForm(Form):
    """Two rows: the direction's member, then the staff representative or HR."""

    full_name_1 = StringField("Nom", validators=[Length(max=120)])
    email_1 = StringField("E-mail", validators=[Length(max=254)])
    role_1 = SelectField("Rôle", choices=ROLE_CHOICES, validate_choice=False,
                         default=BinomeRole.DIRECTION.value)
    full_name_2 = StringField("Nom", validators=[Length(max=120)])
    email_2 = StringField("E-mail", validators=[Length(max=254)])
    role_2 = SelectField("Rôle", choices=ROLE_CHOICES, validate_choice=False,
                         default=BinomeRole.REPRESENTANT.value)
    version_id = HiddenField()

    ROWS = (1, 2)

    def rows(self) -> list[tuple[str, str, str]]:
        return [(getattr(self, f"full_name_{n}").data or "", getattr(self, f"email_{n}").data
                 or "", getattr(self, f"role_{n}").data or "") for n in self.ROWS]


class ExperimentForm(Form):
    objective = TextAreaField("Objectif", validators=[Length(max=10_000)])
    indicators = TextAreaField("Indicateurs de suivi", validators=[Length(max=10_000)],
                               description="Comment la mission locale saura si "
                                           "l'expérimentation a réussi.")
    status = SelectField("Statut", choices=[(s.value, s.label) for s in ExperimentStatus],
                         validate_choice=False)


class EvaluationSettingsForm(Form):
    evaluation_months = IntegerField("Délai après la dernière session (mois)",
                                     validators=[Optional()])
    evaluation_due = DateField("Date choisie (facultatif)", validators=[Optional()],
                               format="%Y-%m-%d")
    version_id = HiddenField()


class SendForm(Form):
    """A team button: CSRF token, and whether it is a reminder."""

    relance = HiddenField()


class EmptyForm(Form):
    """A POST with only its CSRF token."""


class ProjectSurveyForm(Form):
    # the domain validates the scores (1–5) and the comment: one set of French messages
    overall = RadioField(validate_choice=False)
    usefulness = RadioField(validate_choice=False)
    changes = RadioField(validate_choice=False)
    comment = TextAreaField("Commentaires libres (facultatif)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, label in project_evaluation.QUESTIONS:
            field = getattr(self, key)
            field.label.text = label
            field.choices = [(str(score), text) for score, text in project_evaluation.SCALE]
