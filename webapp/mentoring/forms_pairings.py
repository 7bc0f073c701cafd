"""Forms of pairings, meetings and follow-ups (no free text: dates, choices, minutes).

Warnings of the domain (``NeedsConfirmation``) land in ``form.warnings`` — not as error
banners — and the form shows them with a « Je confirme » box; posting again with the box
ticked goes through.
"""

from __future__ import annotations

from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField
from wtforms.validators import InputRequired, Optional

from models.mentoring.enums import CloseReason, MeetingMode, Outcome
from webapp.forms_common import Form, optional_int

REQUIRED = "Ce champ est obligatoire."
DATE_FORMAT = "%Y-%m-%d"


class _Sink:
    """Collects the domain's warnings (``webapp.forms_common.apply_errors`` fills the
    ``errors`` of the form attribute named after the error key, here ``__warnings__``)."""

    def __init__(self) -> None:
        self.errors: list[str] = []


class ConfirmForm(Form):
    confirm = BooleanField("Je confirme : j'ai lu ces avertissements et je maintiens ma "
                           "saisie")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        setattr(self, "__warnings__", _Sink())  # noqa: B010  (a dunder name, on purpose)

    @property
    def warnings(self) -> list[str]:
        return getattr(self, "__warnings__").errors  # noqa: B009


def _choices(enum, blank: str) -> list[tuple[str, str]]:
    return [("", blank), *((e.value, e.label) for e in enum)]


class ProposeForm(ConfirmForm):
    mentee_id = HiddenField(filters=[optional_int])
    mentor_id = SelectField("Parrain ou marraine", coerce=optional_int, validate_choice=False,
                            validators=[Optional()])
    start_date = DateField("Date de début", format=DATE_FORMAT,
                           validators=[InputRequired(REQUIRED)])
    planned_end = DateField("Fin prévue", format=DATE_FORMAT,
                            validators=[InputRequired(REQUIRED)])

    def __init__(self, *args, mentors: list[tuple[int, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.mentor_id.choices = [("", "— choisir —"), *(mentors or [])]


class ActivateForm(ConfirmForm):
    version_id = HiddenField()


class CancelForm(Form):
    version_id = HiddenField()


class CloseForm(Form):
    ended_on = DateField("Date de fin", format=DATE_FORMAT, validators=[Optional()])
    reason = SelectField("Motif de fin", choices=_choices(CloseReason, "— choisir —"),
                         validate_choice=False)
    outcome = SelectField("Situation du jeune à la fin",
                          choices=_choices(Outcome, "— choisir —"), validate_choice=False)
    version_id = HiddenField()


class MeetingForm(Form):
    held_on = DateField("Date de la rencontre", format=DATE_FORMAT,
                        validators=[InputRequired(REQUIRED)])
    mode = SelectField("Mode", choices=_choices(MeetingMode, "— choisir —"),
                       validate_choice=False)
    duration_minutes = IntegerField("Durée (minutes)", validators=[InputRequired(REQUIRED)])


class FollowUpForm(Form):
    outcome = SelectField("Situation à 6 mois", choices=_choices(Outcome, "— choisir —"),
                          validate_choice=False)
    version_id = HiddenField()
