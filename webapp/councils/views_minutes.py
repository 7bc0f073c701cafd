"""Attendance and minutes of a council meeting (``/conseils/reunions/<id>/…``): the
attendance sheet and holding the meeting, the émargement PDF (the team); the minutes
page — written by the team while draft or circulated, read by others per the
``minutes.view`` rule —, circulating, approving earlier minutes at this meeting,
reservations, and the minutes PDF.

The minutes page and PDF are open to every signed-in account at the route (a funder's
account may be a meeting's guest); the meeting and the minutes are then checked
object by object: a meeting out of reach does not exist (404).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from reportlab.platypus.doctemplate import LayoutError

from models import clock
from models.councils import attendance as att
from models.councils import minutes as mins
from models.councils.enums import (
    InviteeKind,
    ItemKind,
    MeetingStatus,
    MinutesStatus,
    Presence,
)
from models.councils.orm import Meeting, Minutes
from models.errors import ValidationFailed
from models.network.queries import current_region
from models.policy import can
from webapp.access import access, ensure
from webapp.councils import bp
from webapp.councils.forms_minutes import (
    ApproveForm,
    AttendanceForm,
    CirculateForm,
    MinutesForm,
    ReservationForm,
    approval_value,
)
from webapp.extensions import db
from webapp.forms_common import db_int, version_of
from webapp.pdf.certificate import slug
from webapp.pdf.council_documents import attendance_sheet_pdf as sheet_pdf
from webapp.pdf.council_documents import minutes_pdf as build_minutes_pdf
from webapp.unit_of_work import attempt, flash_form_errors

ROW = re.compile(r"^p_(\d+)$")


def _meeting_or_404(meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    ensure(meeting is not None and can(current_user, "councils.meeting", meeting))
    return meeting


def _team() -> bool:
    return can(current_user, "councils.manage")


def _arml_name() -> str:
    region = current_region(db.session)
    return region.arml_name if region is not None else "ARML"


def _readable(record: mins.MinutesRecord) -> tuple[mins.MinutesRecord, int]:
    """The decisions this reader may see: all of them for the team and the copil (who read
    the whole register); a mission locale or an invited guest only those its ML owns, the
    others counted — as on the meeting page and in the register."""
    if can(current_user, "councils.stats"):
        return record, 0
    decisions = [d for d in record.decisions if can(current_user, "decisions.view", d)]
    follow = [d for d in record.follow_up if can(current_user, "decisions.view", d)]
    hidden = len(record.decisions) + len(record.follow_up) - len(decisions) - len(follow)
    return replace(record, decisions=decisions, follow_up=follow), hidden


def _pdf_or_explain(build: Callable[[], bytes], filename: str, meeting_id: int) -> Response:
    """A PDF, or a French message when a typed text cannot be laid out on a page."""
    try:
        return _pdf(build(), filename)
    except LayoutError:
        flash("Le PDF n'a pas pu être mis en page : un texte saisi (lieu, point de l'ordre "
              "du jour, décision) est trop long pour une page. Raccourcissez-le puis "
              "réessayez.", "warning")
        return redirect(url_for("councils.meeting_detail", meeting_id=meeting_id))


def _pdf(body: bytes, filename: str) -> Response:
    return Response(body, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})


def _int_or_none(raw: str | None) -> int | None:
    if not raw:
        return None
    try:
        return db_int(raw)
    except ValueError:
        return -1


# ---------------------------------------------------------------- attendance
def _editable_reason(meeting: Meeting) -> str | None:
    """Why the sheet is read-only (None: it can be filled in)."""
    if MeetingStatus(meeting.status) is MeetingStatus.ANNULE:
        return "La réunion est annulée : il n'y a pas de présence à enregistrer."
    if meeting.day > clock.today():
        return ("La réunion n'a pas encore eu lieu : les présences s'enregistrent le jour "
                "même ou après (les réponses des invité·es les pré-rempliront).")
    if mins.is_approved(meeting.minutes):
        return ("Le compte rendu de cette réunion est approuvé : les présences ne se "
                "modifient plus.")
    return None


def _ordered(meeting: Meeting) -> list:
    return sorted(meeting.invitees, key=lambda i: (
        InviteeKind(i.kind) is not InviteeKind.MEMBRE, i.full_name.lower(), i.id))


def _render_attendance(meeting: Meeting, *, typed: dict[int, tuple[str, str]] | None = None,
                       bad: set[str] | None = None, form: AttendanceForm | None = None,
                       versions: dict[int, int] | None = None, status: int = 200):
    """The sheet; sent back after a refusal, with what was typed and the versions the
    page had loaded (so a change made meanwhile by someone else is still detected)."""
    versions = versions or {}
    filled = att.prefill(meeting)
    rows = []
    for inv in _ordered(meeting):
        presence, holder = filled[inv.id]
        if typed and inv.id in typed:
            value, holder_value = typed[inv.id]
        else:
            value = presence.value if presence is not None else ""
            holder_value = str(holder) if holder is not None else ""
        rows.append({"invitee": inv, "value": value, "holder": holder_value,
                     "member": InviteeKind(inv.kind) is InviteeKind.MEMBRE,
                     "version": versions.get(inv.id, inv.version_id),
                     "bad": f"p_{inv.id}" in (bad or set())})
    members = [i for i in _ordered(meeting) if InviteeKind(i.kind) is InviteeKind.MEMBRE]
    if form is None:
        form = AttendanceForm()
        form.version_id.data = meeting.version_id
    return render_template(
        "councils/attendance.html", meeting=meeting, series=meeting.series, rows=rows,
        members=members, presences=list(Presence), form=form, quorum=att.quorum(meeting),
        rate=att.attendance_rate(meeting), readonly=_editable_reason(meeting),
        held=MeetingStatus(meeting.status) is MeetingStatus.TENU,
        missing=len(att.missing_presences(meeting))), status


@bp.route("/reunions/<int:meeting_id>/presences", methods=["GET", "POST"])
@access("councils.manage")
def attendance(meeting_id: int):
    """The attendance sheet: one row per invitee (presence, proxy holder when the series
    allows proxies), the quorum when the series uses one, and holding the meeting."""
    meeting = _meeting_or_404(meeting_id)
    if request.method == "GET":
        return _render_attendance(meeting)
    form = AttendanceForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("councils.attendance", meeting_id=meeting.id))
    presences: dict[int, tuple[str | None, int | None]] = {}
    typed: dict[int, tuple[str, str]] = {}
    versions: dict[int, int] = {}
    for key, raw in request.form.items():
        match = ROW.match(key)
        if match:
            try:
                invitee_id = db_int(match.group(1))
            except ValueError:
                continue
            holder_raw = request.form.get(f"h_{invitee_id}", "")
            # a holder left in the select of someone no longer represented is ignored
            holder = _int_or_none(holder_raw) if raw == Presence.REPRESENTE.value else None
            presences[invitee_id] = (raw or None, holder)
            typed[invitee_id] = (raw, holder_raw)
            version = _int_or_none(request.form.get(f"v_{invitee_id}"))
            if version is not None:
                versions[invitee_id] = version
    holding = request.form.get("action") == "tenir"
    expected = version_of(form.version_id.data)

    def write():
        if holding:
            return att.hold_meeting(db.session, current_user, meeting, presences,
                                    expected_version=expected, expected_versions=versions)
        return att.record_attendance(db.session, current_user, meeting, presences,
                                     expected_version=expected, expected_versions=versions)

    done = attempt(write, label="Présences")
    if not done.ok:
        if not isinstance(done.error, ValidationFailed):  # stale page, refusal: reload
            return redirect(url_for("councils.attendance", meeting_id=meeting_id))
        return _render_attendance(_meeting_or_404(meeting_id), typed=typed,
                                  bad=set(done.error.errors), form=form, versions=versions,
                                  status=422)
    if holding:
        result: att.QuorumResult = done.value
        message = "La réunion est marquée comme tenue."
        if result.enabled:
            message += (" Quorum atteint." if result.reached else
                        f" Quorum non atteint ({result.counted} sur {result.threshold}) : "
                        "le compte rendu le mentionnera.")
        flash(message + " Vous pouvez rédiger le compte rendu.", "success")
        return redirect(url_for("councils.minutes", meeting_id=meeting_id))
    flash(f"Présences enregistrées : {done.value} personne(s) modifiée(s)." if done.value
          else "Aucune modification des présences.", "success" if done.value else "info")
    return redirect(url_for("councils.attendance", meeting_id=meeting_id))


@bp.route("/reunions/<int:meeting_id>/emargement.pdf")
@access("councils.manage")
def attendance_sheet_pdf(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    return _pdf_or_explain(
        lambda: sheet_pdf(meeting, _arml_name(), clock.now()),
        f"emargement-{slug(meeting.series.name)}-{meeting.day:%Y-%m-%d}.pdf", meeting.id)


# ---------------------------------------------------------------- minutes
def _approval_choices(meeting: Meeting) -> tuple[list[Minutes], list[Minutes]]:
    """Earlier minutes of the series not approved yet: (approvable now, drafts)."""
    eligible = mins.eligible_for_approval(db.session, meeting)
    ready = [m for m in eligible if mins.approval_refusal(m, meeting) is None]
    drafts = [m for m in eligible if MinutesStatus(m.status) is MinutesStatus.BROUILLON]
    return ready, drafts


def _render_minutes(meeting: Meeting, *, form: MinutesForm | None = None,
                    approve_form: ApproveForm | None = None,
                    reservation_form: ReservationForm | None = None, status: int = 200):
    record, hidden = _readable(mins.minutes_record(db.session, meeting))
    minutes = record.minutes
    team = _team()
    context = {"meeting": meeting, "series": meeting.series, "record": record,
               "hidden_decisions": hidden,
               "minutes": minutes, "team": team,
               "held": MeetingStatus(meeting.status) is MeetingStatus.TENU,
               "approved": mins.is_approved(minutes), "today": clock.today(),
               "can_view_decision": lambda d: can(current_user, "decisions.view", d)}
    if not team:
        context["visible"] = minutes is not None and can(current_user, "minutes.view", minutes)
        return render_template("councils/minutes.html", **context), status
    if form is None:  # a form sent back keeps the version its editor loaded
        form = MinutesForm()
        form.body.data = minutes.body if minutes is not None else ""
        form.version_id.data = minutes.version_id if minutes is not None else 0
    ready, drafts = _approval_choices(meeting)
    approve_form = approve_form or ApproveForm()
    approve_form.minutes_id.choices = [
        (approval_value(m), f"Compte rendu du {m.meeting.day:%d/%m/%Y}") for m in ready]
    if not approve_form.minutes_id.data:
        on_agenda = {i.minutes_of_id for i in meeting.items
                     if ItemKind(i.kind) is ItemKind.APPROBATION}
        approve_form.minutes_id.data = next(
            (approval_value(m) for m in ready if m.meeting_id in on_agenda), None)
    reservation_form = reservation_form or ReservationForm()
    reservation_form.minutes_id.choices = [
        (m.id, f"Compte rendu du {m.meeting.day:%d/%m/%Y}") for m in record.approved_here]
    circulate = CirculateForm()
    circulate.version_id.data = minutes.version_id if minutes is not None else ""
    context.update(
        visible=True, form=form, circulate_form=circulate, approve_form=approve_form,
        reservation_form=reservation_form, ready=ready, drafts=drafts,
        approving=MeetingStatus(meeting.status) is not MeetingStatus.ANNULE
        and meeting.day <= clock.today() and not mins.is_approved(minutes),
        recipients=len({i.email for i in meeting.invitees}))
    return render_template("councils/minutes.html", **context), status


@bp.route("/reunions/<int:meeting_id>/compte-rendu", methods=["GET", "POST"])
@access("home.view")
def minutes(meeting_id: int):
    """The minutes: the team writes them (draft, circulated); others read them once
    circulated to them or approved (``minutes.view``)."""
    meeting = _meeting_or_404(meeting_id)
    if request.method == "GET":
        return _render_minutes(meeting)
    if not _team():
        abort(403)
    form = MinutesForm()
    if not form.validate_on_submit():
        return _render_minutes(meeting, form=form, status=422)
    expected = version_of(request.form.get("version_id"))
    done = attempt(lambda: mins.save_minutes(db.session, current_user, meeting,
                                             form.body.data or "",
                                             expected_version=expected), form=form)
    if not done.ok:
        if isinstance(done.error, ValidationFailed):
            return _render_minutes(_meeting_or_404(meeting_id), form=form, status=422)
        return redirect(url_for("councils.minutes", meeting_id=meeting_id))
    flash("Compte rendu enregistré.", "success")
    return redirect(url_for("councils.minutes", meeting_id=meeting_id))


@bp.route("/reunions/<int:meeting_id>/compte-rendu/diffuser", methods=["POST"])
@access("councils.manage")
def minutes_circulate(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    minutes = meeting.minutes
    ensure(minutes is not None)
    form = CirculateForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("councils.minutes", meeting_id=meeting_id))
    link = url_for("councils.minutes", meeting_id=meeting_id, _external=True)
    done = attempt(lambda: mins.circulate_minutes(
        db.session, current_user, minutes, expected_version=version_of(form.version_id.data),
        link=link), label="Diffusion")
    if done.ok:
        flash(f"Compte rendu diffusé à {done.value} personne(s) invitée(s).", "success")
    return redirect(url_for("councils.minutes", meeting_id=meeting_id))


@bp.route("/reunions/<int:meeting_id>/compte-rendu/approuver", methods=["POST"])
@access("councils.manage")
def minutes_approve(meeting_id: int):
    """Approve an earlier meeting's minutes at this meeting."""
    meeting = _meeting_or_404(meeting_id)
    form = ApproveForm()
    if not form.validate_on_submit():
        flash_form_errors(form, "Approbation")
        return redirect(url_for("councils.minutes", meeting_id=meeting_id))
    target_id, version = form.target()
    target = db.session.get(Minutes, target_id) if target_id and target_id > 0 else None
    if target is None:
        flash("Approbation : compte rendu introuvable.", "danger")
        return redirect(url_for("councils.minutes", meeting_id=meeting_id))
    done = attempt(lambda: mins.approve_minutes(db.session, current_user, target, meeting,
                                                expected_version=version),
                   label="Approbation")
    if done.ok:
        flash(f"Le compte rendu de la réunion du {target.meeting.day:%d/%m/%Y} est approuvé : "
              "il ne se modifie plus.", "success")
    return redirect(url_for("councils.minutes", meeting_id=meeting_id))


@bp.route("/reunions/<int:meeting_id>/compte-rendu/reserves", methods=["POST"])
@access("councils.manage")
def minutes_reservation(meeting_id: int):
    """Record a reservation on minutes approved at this meeting."""
    meeting = _meeting_or_404(meeting_id)
    form = ReservationForm()
    if not form.validate_on_submit():
        flash_form_errors(form, "Réserve")
        return redirect(url_for("councils.minutes", meeting_id=meeting_id))
    target = db.session.get(Minutes, form.minutes_id.data) if form.minutes_id.data else None
    if target is None:
        flash("Réserve : compte rendu introuvable.", "danger")
        return redirect(url_for("councils.minutes", meeting_id=meeting_id))
    done = attempt(lambda: mins.add_reservation(db.session, current_user, target, meeting,
                                                form.text.data or ""), label="Réserve")
    if done.ok:
        flash("Réserve enregistrée dans le compte rendu de cette réunion.", "success")
    return redirect(url_for("councils.minutes", meeting_id=meeting_id))


@bp.route("/reunions/<int:meeting_id>/compte-rendu.pdf")
@access("home.view")
def minutes_pdf(meeting_id: int):
    """The minutes PDF, for whoever may read the minutes (the team also a draft)."""
    meeting = _meeting_or_404(meeting_id)
    minutes = meeting.minutes
    ensure(_team() or (minutes is not None and can(current_user, "minutes.view", minutes)))
    record, _ = _readable(mins.minutes_record(db.session, meeting))
    return _pdf_or_explain(
        lambda: build_minutes_pdf(record, _arml_name(), clock.now(), clock.today()),
        f"compte-rendu-{slug(meeting.series.name)}-{meeting.day:%Y-%m-%d}.pdf", meeting.id)
