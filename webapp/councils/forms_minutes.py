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
    minutes_id = SelectField("Compte rendu à approuver", coerce=optional_int,
                             validate_choice=False,
                             validators=[DataRequired("Choisissez le compte rendu à approuver.")])


class ReservationForm(Form):
    minutes_id = SelectField("Compte rendu concerné", coerce=optional_int,
                             validate_choice=False,
                             validators=[DataRequired("Choisissez le compte rendu concerné.")])
    text = TextAreaField("Réserve (correction ou contestation)", validators=[
        DataRequired(REQUIRED),
        Length(max=MAX_RESERVATION,
               message=f"La réserve dépasse {MAX_RESERVATION} caractères.")])
