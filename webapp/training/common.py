"""Lookups shared by the training views: objects in scope or 404, choices, the session page."""

from __future__ import annotations

from datetime import date

from flask import render_template
from flask_login import current_user

from models import clock
from models.formatting import format_date, format_number
from models.funding.queries import funder_choices
from models.network.queries import mission_locale_choices
from models.policy import can
from models.programme import queries as programme_queries
from models.training import queries
from models.training.enums import Job, SessionStatus
from models.training.orm import Registration, Training, TrainingSession
from webapp.access import ensure
from webapp.extensions import db
from webapp.training import bp


def today() -> date:
    return clock.today()


def training_or_404(training_id: int) -> Training:
    training = db.session.get(Training, training_id)
    ensure(training is not None)
    return training


def session_or_404(session_id: int) -> TrainingSession:
    ts = db.session.get(TrainingSession, session_id)
    ensure(ts is not None)
    return ts


def registration_or_404(registration_id: int) -> Registration:
    """Another mission locale's registration does not exist for an ml account (404)."""
    reg = db.session.get(Registration, registration_id)
    ensure(reg is not None and can(current_user, "registration.view", reg))
    return reg


def ml_choices() -> list[tuple[int, str]]:
    return mission_locale_choices(db.session, active_only=True)


def action_choices() -> list[tuple[int, str]]:
    return programme_queries.action_choices(db.session)


def funders() -> list[tuple[int, str]]:
    return funder_choices(db.session, active_only=True)


def registration_open(ts: TrainingSession, on: date) -> str | None:
    """Why registering is not possible right now (None: it is)."""
    status = SessionStatus(ts.status)
    if status in (SessionStatus.ANNULEE, SessionStatus.REALISEE, SessionStatus.CLOSE):
        return (f"Les inscriptions ne sont pas possibles : la session est "
                f"« {status.label.lower()} ».")
    if on < ts.registration_opens:
        return f"Les inscriptions ouvriront le {format_date(ts.registration_opens)}."
    if on > ts.registration_closes:
        return f"Les inscriptions sont closes depuis le {format_date(ts.registration_closes)}."
    return None


def render_session(ts: TrainingSession, *, reg_form=None, cancel_form=None, status: int = 200):
    """The session page (also re-rendered with errors by the registration POST)."""
    from webapp.training.forms import (
        CancelRegistrationForm,
        CancelSessionForm,
        OfferForm,
        RegistrationForm,
        StatusForm,
    )

    can_register = can(current_user, "training.register")
    manage = can(current_user, "training.manage")
    seats = queries.seat_counter(db.session, ts)
    regs = queries.session_registrations(db.session, current_user, ts) if can_register else []
    if reg_form is None and can_register:
        reg_form = RegistrationForm(missions_locales=ml_choices() if manage else [],
                                    formdata=None)
    if cancel_form is None and manage:
        cancel_form = CancelSessionForm(formdata=None)
        cancel_form.version_id.data = str(ts.version_id)
    on = today()
    return render_template(
        "training/session_detail.html", ts=ts, training=ts.training, seats=seats, regs=regs,
        positions=queries.waitlist_positions(db.session, [ts.id]), reg_form=reg_form,
        cancel_form=cancel_form, manage=manage, can_register=can_register,
        closed_reason=registration_open(ts, on),
        below_minimum=queries.is_below_minimum(ts, seats.confirmed, on),
        status_form=StatusForm(formdata=None), row_cancel=CancelRegistrationForm(formdata=None),
        offer_form=OfferForm(formdata=None), today=on), status


def _short_number(value) -> str:
    """``2`` or ``3,5`` (durations: no trailing ``,0``)."""
    if value is None:
        return "—"
    return format_number(value, digits=0 if value == int(value) else 1)


@bp.context_processor
def _helpers() -> dict:
    return {"job_labels": {j.value: j.label for j in Job}, "short_number": _short_number}
