"""Sessions: the team's form (half-days as rows), the session page with its seat
counter, cancelling a session, closing / reopening / recording it as held."""

from __future__ import annotations

from datetime import time

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from models.errors import ConcurrentEdit
from models.training.enums import HalfDay
from models.training.orm import TrainingSession
from models.training.services import (
    SessionData,
    SlotData,
    cancel_session,
    change_status,
    save_session,
)
from webapp.access import access
from webapp.extensions import db
from webapp.forms_common import version_of
from webapp.training import bp
from webapp.training.common import render_session, session_or_404, today, training_or_404
from webapp.training.forms import BLANK_SLOT_ROWS, CancelSessionForm, SessionForm, StatusForm
from webapp.unit_of_work import attempt, flash_form_errors

DEFAULT_HOURS = {HalfDay.MATIN: (time(9), time(12, 30)),
                 HalfDay.APRES_MIDI: (time(13, 30), time(17))}


def _data(form: SessionForm) -> SessionData:
    return SessionData(
        slots=[SlotData(row.day.data, row.half.data or "", row.starts_at.data,
                        row.ends_at.data) for row in form.slots],
        max_capacity=form.max_capacity.data, min_capacity=form.min_capacity.data,
        ml_quota=form.ml_quota.data, offer_days=form.offer_days.data,
        registration_opens=form.registration_opens.data,
        registration_closes=form.registration_closes.data,
        place=form.place.data or "", video_link=form.video_link.data or "",
        access_details=form.access_details.data or "", trainer=form.trainer.data or "")


def _blank_rows(form: SessionForm, count: int) -> None:
    """Empty rows to add half-days (a row without a date is ignored)."""
    for n in range(count):
        half = HalfDay.MATIN if n % 2 == 0 else HalfDay.APRES_MIDI
        row = form.slots.append_entry()
        row.half.data = half.value
        row.starts_at.data, row.ends_at.data = DEFAULT_HOURS[half]


def _render(form: SessionForm, training, ts):
    return render_template("training/session_form.html", form=form, training=training, ts=ts)


def _flash_saved(done, created: bool) -> None:
    flash("Session créée : les inscriptions sont ouvertes aux dates prévues." if created
          else "Session enregistrée.", "success")
    for warning in done.value.warnings:
        flash(warning, "warning")


@bp.route("/<int:training_id>/sessions/nouvelle", methods=["GET", "POST"])
@access("training.manage")
def session_new(training_id: int):
    training = training_or_404(training_id)
    form = SessionForm()
    if request.method == "GET":
        form.slots.entries = []
        _blank_rows(form, 4)
        form.trainer.data = training.trainer
    elif form.validate_on_submit():
        done = attempt(lambda: save_session(db.session, current_user, training, None,
                                            _data(form)), form=form)
        if done.ok:
            _flash_saved(done, created=True)
            return redirect(url_for("training.session_detail",
                                    session_id=done.value.session.id))
    return _render(form, training, None)


@bp.route("/sessions/<int:session_id>/modifier", methods=["GET", "POST"])
@access("training.manage")
def session_edit(session_id: int):
    ts = session_or_404(session_id)
    form = SessionForm(obj=ts if request.method == "GET" else None)
    if request.method == "GET":
        form.slots.entries = []
        for slot in ts.slots:
            row = form.slots.append_entry()
            row.day.data, row.half.data = slot.day, HalfDay(slot.half).value
            row.starts_at.data, row.ends_at.data = slot.starts_at, slot.ends_at
        _blank_rows(form, BLANK_SLOT_ROWS)
        form.version_id.data = str(ts.version_id)
    elif form.validate_on_submit():
        done = attempt(lambda: save_session(
            db.session, current_user, ts.training, ts, _data(form),
            expected_version=version_of(form.version_id.data)), form=form)
        if isinstance(done.error, ConcurrentEdit):
            flash("Votre saisie est conservée ci-dessous : comparez-la avec la version "
                  "actuelle avant d'enregistrer à nouveau.", "info")
            form.version_id.data = str(db.session.get(TrainingSession, session_id).version_id)
        if done.ok:
            _flash_saved(done, created=False)
            return redirect(url_for("training.session_detail", session_id=session_id))
    return _render(form, ts.training, ts)


@bp.route("/sessions/<int:session_id>")
@access("training.view")
def session_detail(session_id: int):
    return render_session(session_or_404(session_id))


@bp.route("/sessions/<int:session_id>/annuler", methods=["POST"])
@access("training.manage")
def session_cancel(session_id: int):
    ts = session_or_404(session_id)
    form = CancelSessionForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("training.session_detail", session_id=session_id))
    done = attempt(lambda: cancel_session(db.session, current_user, ts.id, form.reason.data,
                                          expected_version=version_of(form.version_id.data)))
    if not done.ok:
        return redirect(url_for("training.session_detail", session_id=session_id))
    flash("Session annulée : les personnes inscrites sont prévenues par e-mail.", "success")
    return redirect(url_for("training.session_detail", session_id=session_id))


STATUS_DONE = {"close": "Inscriptions closes.", "reopen": "Inscriptions rouvertes.",
               "realise": "Session enregistrée comme réalisée."}


@bp.route("/sessions/<int:session_id>/statut", methods=["POST"])
@access("training.manage")
def session_status(session_id: int):
    ts = session_or_404(session_id)
    form = StatusForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    else:
        transition = form.transition.data or ""
        done = attempt(lambda: change_status(
            db.session, current_user, ts.id, transition, today=today(),
            expected_version=version_of(form.version_id.data)))
        if done.ok:
            flash(STATUS_DONE[transition], "success")
    return redirect(url_for("training.session_detail", session_id=session_id))
