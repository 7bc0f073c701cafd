"""Funding forms. Choices (funders, allocation targets, instalments) come in as arguments."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms import Form as SubForm
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from models.funding.enums import ConventionStatus, ConventionType, FunderType
from webapp.forms_common import DecimalTextField, Form, db_int, optional_int

REQUIRED = "Ce champ est obligatoire."
Choices = list[tuple[int, str]]
SCHEDULE_ROWS = 5


def _date(label: str, required: bool = False) -> DateField:
    validators = [InputRequired(REQUIRED)] if required else [Optional()]
    return DateField(label, validators=validators, format="%Y-%m-%d")


class FunderForm(Form):
    name = StringField("Nom", validators=[DataRequired(REQUIRED), Length(max=200)])
    type = SelectField("Type de financeur", choices=[(t.value, t.label) for t in FunderType])
    contact_name = StringField("Contact", validators=[Length(max=120)])
    contact_email = StringField("E-mail du contact", validators=[Length(max=254)])
    contact_phone = StringField("Téléphone", validators=[Length(max=40)])
    notes = TextAreaField("Notes internes", validators=[Length(max=5000)])
    active = BooleanField("Financeur actif", default=True)
    version_id = HiddenField()


class ConventionForm(Form):
    funder_id = SelectField("Financeur", coerce=optional_int, validate_choice=False,
                            validators=[Optional()])
    reference = StringField("Référence", validators=[DataRequired(REQUIRED), Length(max=80)])
    object = TextAreaField("Objet", validators=[DataRequired(REQUIRED), Length(max=5000)])
    type = SelectField("Type", choices=[(t.value, t.label) for t in ConventionType])
    status = SelectField("Statut", choices=[(s.value, s.label) for s in ConventionStatus],
                         default=ConventionStatus.EN_PREPARATION.value)
    amount = DecimalTextField("Montant (€)", validators=[Optional()])
    first_year = IntegerField("Première année", validators=[Optional()])
    last_year = IntegerField("Dernière année", validators=[Optional()])
    period_start = _date("Début de la période", required=True)
    period_end = _date("Fin de la période", required=True)
    signature_date = _date("Date de signature")
    conditions = TextAreaField("Conditions particulières", validators=[Length(max=10000)])
    version_id = HiddenField()

    def __init__(self, *args, funders: Choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.funder_id.choices = [("", "— choisir —"), *funders]


class AllocationForm(Form):
    """``target`` is ``<programme id>:action:<id>`` or ``<programme id>:axe:<id>``."""

    target = SelectField("Financement de", validate_choice=False,
                         validators=[DataRequired("Choisissez l'action ou l'axe financé.")])
    amount = DecimalTextField("Montant (€)", validators=[Optional()])
    comment = StringField("Commentaire", validators=[Length(max=2000)])

    def __init__(self, *args, targets: dict[str, list[tuple[str, str]]] | None = None,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.target.choices = {"": [("", "— choisir —")], **(targets or {})}

    def parsed_target(self) -> tuple[int | None, int | None, int | None]:
        """(programme id, action id, axis id); garbage gives Nones the domain explains."""
        try:
            programme, kind, target = (self.target.data or "").split(":")
            ids = db_int(programme), db_int(target)
        except ValueError:
            return None, None, None
        if kind == "action":
            return ids[0], ids[1], None
        if kind == "axe":
            return ids[0], None, ids[1]
        return None, None, None


class AllocationAmountForm(Form):
    amount = DecimalTextField("Montant (€)", validators=[Optional()])
    comment = StringField("Commentaire", validators=[Length(max=2000)])


class InstalmentRow(SubForm):
    class Meta:
        locales = ("fr_FR", "fr")

    label = StringField("Libellé", validators=[Length(max=200)])
    due_date = _date("Date")
    percent = DecimalTextField("%", validators=[Optional()])


class ScheduleForm(Form):
    rows = FieldList(FormField(InstalmentRow), min_entries=SCHEDULE_ROWS, max_entries=12)
    version_id = HiddenField()


class PaymentForm(Form):
    received_on = _date("Reçu le", required=True)
    amount = DecimalTextField("Montant (€)", validators=[Optional()])
    instalment_id = SelectField("Échéance", coerce=optional_int, validate_choice=False,
                                validators=[Optional()])
    comment = StringField("Commentaire", validators=[Length(max=2000)])

    def __init__(self, *args, instalments: Choices | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.instalment_id.choices = [("", "— sans échéance —"), *(instalments or [])]


class DeadlineForm(Form):
    label = StringField("Rapport attendu", validators=[DataRequired(REQUIRED), Length(max=200)])
    due_date = _date("Date limite", required=True)


class ToleranceForm(Form):
    programme_id = HiddenField()
    tolerance_percent = DecimalTextField("Tolérance (% du budget de chaque action)",
                                         validators=[Optional()])


class EmptyForm(Form):
    """A POST with only its CSRF token (delete buttons, mark done)."""
