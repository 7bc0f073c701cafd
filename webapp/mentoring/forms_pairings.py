"""Forms of pairings, meetings and follow-ups (no free text: dates, choices, minutes).

Warnings of the domain (``NeedsConfirmation``) land in ``form.warnings`` — not as error
banners — and the form shows them with a « Je confirme » box; posting again with the box
ticked goes through.
"""

from __future__ import annotations

from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField
from wtforms.validators import InputRequired, Optional, ValidationError

from models import clock
from models.councils.projects import add_months
from models.formatting import format_date
from models.mentoring.enums import CloseReason, MeetingMode, Outcome
from models.mentoring.mentees import small_int
from webapp.forms_common import Form, optional_int

REQUIRED = "Ce champ est obligatoire."
DATE_FORMAT = "%Y-%m-%d"
#: how far back the web proposes a pairing (years of history are not typed here)
MAX_PAST_YEARS = 2


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

    def validate_start_date(self, field) -> None:
        earliest = add_months(clock.today(), -12 * MAX_PAST_YEARS)
        if field.data is not None and field.data < earliest:
            raise ValidationError(f"Le binôme ne peut pas commencer plus de {MAX_PAST_YEARS} "
                                  f"ans en arrière (au plus tôt le {format_date(earliest)}).")


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
    # text read as ASCII figures (« ² », « 1e3 », 5,000 figures: the domain's message)
    duration_minutes = StringField("Durée (minutes)", validators=[InputRequired(REQUIRED)],
                                   render_kw={"type": "number"})

    def minutes(self) -> int | None:
        return small_int(self.duration_minutes.data or "")


class FollowUpForm(Form):
    outcome = SelectField("Situation à 6 mois", choices=_choices(Outcome, "— choisir —"),
                          validate_choice=False)
    version_id = HiddenField()
