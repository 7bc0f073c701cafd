"""Forms of the attendance sheet and the minutes (writing, circulating, approving,
reservations)."""

from __future__ import annotations

from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from models.councils.minutes import MAX_BODY, MAX_RESERVATION
from webapp.forms_common import Form, optional_int

REQUIRED = "Ce champ est obligatoire."


class AttendanceForm(Form):
    """The sheet's POST: its CSRF token and the meeting's version; the rows
    (``p_<id>`` presence, ``h_<id>`` proxy holder, ``v_<id>`` version) are read from
    ``request.form``."""

    version_id = HiddenField()


class MinutesForm(Form):
    body = TextAreaField("Compte rendu", validators=[Length(
        max=MAX_BODY, message=f"Le compte rendu dépasse {MAX_BODY} caractères.")])
    version_id = HiddenField()


class CirculateForm(Form):
    version_id = HiddenField()


class ApproveForm(Form):
    # "<minutes id>:<version shown>": the text approved is the one the page showed
    minutes_id = SelectField("Compte rendu à approuver", validate_choice=False,
                             validators=[DataRequired("Choisissez le compte rendu à approuver.")])

    def target(self) -> tuple[int | None, int | None]:
        raw_id, _, raw_version = (self.minutes_id.data or "").partition(":")
        return optional_int(raw_id), (optional_int(raw_version) if raw_version else None)


def approval_value(minutes) -> str:
    return f"{minutes.id}:{minutes.version_id}"


class ReservationForm(Form):
    minutes_id = SelectField("Compte rendu concerné", coerce=optional_int,
                             validate_choice=False,
                             validators=[DataRequired("Choisissez le compte rendu concerné.")])
    text = TextAreaField("Réserve (correction ou contestation)", validators=[
        DataRequired(REQUIRED),
        Length(max=MAX_RESERVATION,
               message=f"La réserve dépasse {MAX_RESERVATION} caractères.")])
