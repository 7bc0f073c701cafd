"""Attendance and documents of a session (``/formations/sessions/<id>/…``): the attendance
grid (trainee × half-day), the feuille d'émargement PDF, the certificates (one PDF, or
the session's ZIP).

Everything is for the ARML team, except one trainee's certificate, which the trainee's
own mission locale may download too (another mission locale's answers 404).
"""

from __future__ import annotations

import re
from datetime import date

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from models import clock
from models.errors import ValidationFailed
from models.network.queries import current_region
from models.policy import can
from models.training.attendance import (
    SessionAttendance,
    record_attendance,
    session_attendance,
    trainee_attendance,
)
from models.training.enums import Presence, RegistrationStatus, SessionStatus
from models.training.orm import Registration, TrainingSession
from webapp.access import access, ensure
from webapp.extensions import db
from webapp.forms_common import Form, db_int
from webapp.pdf.attendance_sheet import attendance_sheet_pdf
from webapp.pdf.certificate import certificate_filename, certificate_pdf, certificates_zip, slug
from webapp.training import bp
from webapp.unit_of_work import attempt, flash_form_errors

CELL = re.compile(r"^p_(\d+)_(\d+)$")


class AttendanceForm(Form):
    """The grid's POST: its CSRF token; the cells are read from ``request.form``."""


def today() -> date:
    return clock.today()


def _session_or_404(session_id: int) -> TrainingSession:
    ts = db.session.get(TrainingSession, session_id)
    ensure(ts is not None)
    return ts


def _arml_name() -> str:
    region = current_region(db.session)
    return region.arml_name if region is not None else "ARML"


def _pdf(body: bytes, filename: str, *, download: bool = False) -> Response:
    disposition = "attachment" if download else "inline"
    return Response(body, mimetype="application/pdf",
                    headers={"Content-Disposition": f'{disposition}; filename="{filename}"'})


def _render_grid(ts: TrainingSession, sheet: SessionAttendance, *,
                 typed: dict[str, str] | None = None, bad: set[str] | None = None,
                 status: int = 200):
    on = today()
    editable = SessionStatus(ts.status) is not SessionStatus.ANNULEE
    return render_template(
        "training/attendance.html", ts=ts, training=ts.training, sheet=sheet,
        form=AttendanceForm(), presences=list(Presence), typed=typed or {}, bad=bad or set(),
        editable=editable, today=on,
        future={s.id for s in sheet.slots if s.day > on}), status


@bp.route("/sessions/<int:session_id>/presences", methods=["GET", "POST"])
@access("training.manage")
def attendance(session_id: int):
    """The attendance grid: one select per confirmed trainee and half-day."""
    ts = _session_or_404(session_id)
    if request.method == "GET":
        return _render_grid(ts, session_attendance(db.session, ts))
    form = AttendanceForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("training.attendance", session_id=ts.id))
    sheet = session_attendance(db.session, ts)
    marks: dict[tuple[int, int], str | None] = {}
    typed: dict[str, str] = {}
    for key, raw in request.form.items():
        match = CELL.match(key)
        if match:
            reg_id, slot_id = db_int(match.group(1)), db_int(match.group(2))
            marks[(reg_id, slot_id)] = raw or None
            typed[key] = raw
    if request.form.get("tous") == "present":  # "everyone present" fills the empty cells
        on = today()
        for t in sheet.trainees:
            for slot in sheet.slots:
                key = (t.registration.id, slot.id)
                if slot.day <= on and not marks.get(key) and slot.id not in t.marks:
                    marks[key] = Presence.PRESENT.value
    done = attempt(lambda: record_attendance(db.session, current_user, ts, marks, today=today()),
                   label="Présences")
    if not done.ok:
        bad = set(done.error.errors) if isinstance(done.error, ValidationFailed) else set()
        return _render_grid(ts, session_attendance(db.session, _session_or_404(session_id)),
                            typed=typed, bad=bad, status=422)
    flash(f"Présences enregistrées : {done.value} case(s) modifiée(s)." if done.value
          else "Aucune modification des présences.", "success" if done.value else "info")
    return redirect(url_for("training.attendance", session_id=ts.id))


@bp.route("/sessions/<int:session_id>/documents")
@access("training.manage")
def documents(session_id: int):
    """The session's documents: the attendance sheet, each trainee's certificate, the ZIP."""
    ts = _session_or_404(session_id)
    sheet = session_attendance(db.session, ts)
    return render_template("training/documents.html", ts=ts, training=ts.training,
                           sheet=sheet, cancelled=SessionStatus(ts.status)
                           is SessionStatus.ANNULEE)


@bp.route("/sessions/<int:session_id>/emargement.pdf")
@access("training.manage")
def attendance_sheet(session_id: int):
    ts = _session_or_404(session_id)
    body = attendance_sheet_pdf(session_attendance(db.session, ts), _arml_name(),
                                clock.now())
    return _pdf(body, f"emargement-{slug(ts.training.title)}-{ts.start_date:%Y-%m-%d}.pdf")


@bp.route("/sessions/<int:session_id>/attestations.zip")
@access("training.manage")
def certificates(session_id: int):
    ts = _session_or_404(session_id)
    sheet = session_attendance(db.session, ts)
    if not sheet.attendees:
        flash("Aucune attestation à produire : aucune présence n'est enregistrée pour cette "
              "session.", "warning")
        return redirect(url_for("training.documents", session_id=ts.id))
    body = certificates_zip(sheet, _arml_name(), today())
    filename = f"attestations-{slug(ts.training.title)}-{ts.start_date:%Y-%m-%d}.zip"
    return Response(body, mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/inscriptions/<int:registration_id>/attestation.pdf")
@access("training.register")
def certificate(registration_id: int):
    """One trainee's certificate: the team, or the trainee's own mission locale (other
    mission locales, and people who attended nothing, get a 404)."""
    reg = db.session.get(Registration, registration_id)
    ensure(reg is not None and can(current_user, "registration.view", reg))
    ensure(RegistrationStatus(reg.status) is RegistrationStatus.CONFIRMEE)
    ts = reg.session
    sheet = session_attendance(db.session, ts)
    trainee = sheet.trainee(reg.id) or trainee_attendance(db.session, reg)
    ensure(trainee.attended)
    body = certificate_pdf(trainee, sheet, _arml_name(), today())
    return _pdf(body, certificate_filename(trainee))
