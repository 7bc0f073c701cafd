"""The one decision register (/conseils/decisions): filtered list and exports, one
decision's page with its history, status changes, corrections; recording a decision at a
council meeting."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from models import clock
from models.councils import register as reg
from models.councils.decisions import (
    change_status,
    delete_decision,
    locked,
    record_decision,
    update_decision,
)
from models.councils.enums import DecisionStatus, MeetingStatus
from models.councils.orm import CouncilSeries, Decision, Meeting
from models.network.orm import MissionLocale
from models.policy import can
from models.programme.orm import TeamMember
from models.spreadsheet import csv_text, xlsx_table
from webapp.access import access, ensure
from webapp.councils import bp
from webapp.councils.forms_decisions import (
    DecisionForm,
    DeleteForm,
    StatusForm,
    owner_choices,
    split_owner,
)
from webapp.extensions import db
from webapp.forms_common import db_int, version_of
from webapp.listing import list_page
from webapp.unit_of_work import attempt, flash_form_errors


def _int(name: str) -> int | None:
    """A query-string id; garbage or a number no database column holds is ignored."""
    try:
        return db_int(request.args.get(name, ""))
    except ValueError:
        return None


def _filters() -> reg.RegisterFilters:
    """Filters from the query string; a value typed by hand that means nothing is ignored."""
    statuses = []
    for raw in request.args.getlist("statut"):
        try:
            statuses.append(DecisionStatus(raw))
        except ValueError:
            continue
    member_id, _ = split_owner(request.args.get("responsable"))
    series_raw = request.args.get("instance", "")
    series_id = 0 if series_raw == "copil" else _int("instance")
    return reg.RegisterFilters(
        series_id=series_id, owner_member_id=member_id, ml_id=_int("ml"), statuses=statuses,
        overdue=request.args.get("en_retard") == "1", text=request.args.get("q", "")[:200])


def _choices() -> dict:
    team = can(current_user, "councils.manage") or current_user.role == "copil"
    return {
        "series": list(db.session.scalars(select(CouncilSeries).order_by(CouncilSeries.name))),
        "members": list(db.session.scalars(select(TeamMember).order_by(TeamMember.full_name)))
        if team else [],
        "mls": list(db.session.scalars(select(MissionLocale).order_by(MissionLocale.name)))
        if team else [],
        "statuses": list(DecisionStatus),
    }


@bp.route("/decisions")
@access("decisions.view")
def register():
    filters = _filters()
    today = clock.today()
    stmt = reg.register_stmt(current_user, filters, today)
    listing = list_page(stmt, {"date": Decision.decided_on, "echeance": Decision.due_date,
                               "statut": Decision.status, "numero": Decision.id},
                        "date", default_direction="desc", tiebreak=Decision.id.desc())
    counts = reg.status_counts(db.session, current_user, today=today)
    return render_template("councils/register.html", listing=listing, filters=filters,
                           counts=counts, is_overdue=reg.is_overdue, today=today,
                           source_label=reg.source_label, **_choices())


@bp.route("/decisions/export.<fmt>")
@access("decisions.view")
def register_export(fmt: str):
    ensure(fmt in ("csv", "xlsx"))
    today = clock.today()
    decisions = reg.register(db.session, current_user, _filters(), today)
    rows = reg.export_rows(decisions, today)
    name = f"registre-decisions-{today:%Y-%m-%d}.{fmt}"
    if fmt == "csv":
        body: str | bytes = csv_text(reg.EXPORT_HEADER, rows)
        mimetype = "text/csv"
    else:
        body = xlsx_table("Décisions", reg.EXPORT_HEADER, rows)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _decision_or_404(decision_id: int) -> Decision:
    decision = db.session.get(Decision, decision_id)
    ensure(decision is not None and can(current_user, "decisions.view", decision))
    return decision


def _series_meetings(decision: Decision) -> list[tuple[int, str]]:
    """Meetings of the decision's series, from its own on: where a status change happens."""
    if decision.series_id is None:
        return []
    meetings = db.session.scalars(
        select(Meeting).where(Meeting.series_id == decision.series_id,
                              Meeting.day >= decision.decided_on,
                              Meeting.day <= clock.today(),
                              Meeting.status != MeetingStatus.ANNULE)
        .order_by(Meeting.day))
    return [(m.id, f"{m.series.name} du {m.day:%d/%m/%Y}") for m in meetings]


def _status_form(decision: Decision) -> StatusForm:
    form = StatusForm()
    if not can(current_user, "councils.manage"):
        form.status.choices = [(s.value, s.label) for s in
                               (DecisionStatus.EN_COURS, DecisionStatus.FAITE)]
    form.meeting_id.choices = [("", "— hors réunion —"), *_series_meetings(decision)]
    return form


def _detail(decision: Decision, status_form: StatusForm | None = None,
            edit_form: DecisionForm | None = None):
    manage = can(current_user, "councils.manage")
    progress = can(current_user, "decisions.progress", decision) and not decision.is_closed
    if status_form is None:
        status_form = _status_form(decision)
        status_form.version_id.data = decision.version_id
    if edit_form is None and manage and not locked(decision):
        edit_form = DecisionForm(owners=owner_choices(db.session), obj=decision)
        edit_form.owner.data = (f"m:{decision.owner_member_id}" if decision.owner_member_id
                                else f"ml:{decision.owner_ml_id}")
        edit_form.version_id.data = decision.version_id
    return render_template("councils/decision_detail.html", decision=decision,
                           source=reg.source_label(decision),
                           overdue=reg.is_overdue(decision), manage=manage, progress=progress,
                           locked=locked(decision), status_form=status_form,
                           edit_form=edit_form if manage and not locked(decision) else None)


@bp.route("/decisions/<int:decision_id>")
@access("decisions.view")
def decision_detail(decision_id: int):
    return _detail(_decision_or_404(decision_id))


@bp.route("/decisions/<int:decision_id>/statut", methods=["POST"])
@access("decisions.view")
def decision_status(decision_id: int):
    decision = _decision_or_404(decision_id)
    if not can(current_user, "decisions.progress", decision):
        abort(403)  # readers (copil) see the decision but do not act on it
    form = _status_form(decision)
    if form.validate_on_submit():
        meeting = (db.session.get(Meeting, form.meeting_id.data)
                   if form.meeting_id.data else None)
        if form.meeting_id.data and meeting is None:
            flash("Réunion introuvable.", "warning")
        elif attempt(lambda: change_status(
                db.session, current_user, decision, form.status.data, note=form.note.data or "",
                meeting=meeting, new_due_date=form.new_due_date.data,
                expected_version=version_of(form.version_id.data)), form=form).ok:
            flash("Statut de la décision enregistré.", "success")
            return redirect(url_for("councils.decision_detail", decision_id=decision.id))
    return _detail(db.session.get(Decision, decision_id), status_form=form), 422


def _edited(form: DecisionForm, decision: Decision):
    data = form.data_object()
    if "action_id" not in request.form:  # the correction form does not show the action
        data.action_id = decision.action_id
    return data


@bp.route("/decisions/<int:decision_id>/modifier", methods=["POST"])
@access("councils.manage")
def decision_edit(decision_id: int):
    decision = _decision_or_404(decision_id)
    form = DecisionForm(owners=owner_choices(db.session))
    if form.validate_on_submit() and attempt(
            lambda: update_decision(db.session, current_user, decision, _edited(form, decision),
                                    expected_version=version_of(form.version_id.data)),
            form=form).ok:
        flash("Décision corrigée.", "success")
        return redirect(url_for("councils.decision_detail", decision_id=decision.id))
    return _detail(db.session.get(Decision, decision_id), edit_form=form), 422


@bp.route("/decisions/<int:decision_id>/supprimer", methods=["POST"])
@access("councils.manage")
def decision_delete(decision_id: int):
    decision = _decision_or_404(decision_id)
    meeting_id = decision.meeting_id
    form = DeleteForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    elif attempt(lambda: delete_decision(db.session, current_user, decision)).ok:
        flash("Décision supprimée.", "success")
        if meeting_id:
            return redirect(url_for("councils.meeting_detail", meeting_id=meeting_id))
        return redirect(url_for("councils.register"))
    return redirect(url_for("councils.decision_detail", decision_id=decision_id))


@bp.route("/reunions/<int:meeting_id>/decisions", methods=["POST"])
@access("councils.manage")
def decision_new(meeting_id: int):
    meeting = db.session.get(Meeting, meeting_id)
    ensure(meeting is not None)
    form = DecisionForm(owners=owner_choices(db.session))
    if form.validate_on_submit():
        if attempt(lambda: record_decision(db.session, current_user, form.data_object(),
                                           meeting=meeting), form=form).ok:
            flash("Décision enregistrée au registre.", "success")
    else:
        flash_form_errors(form)
    return redirect(url_for("councils.meeting_detail", meeting_id=meeting_id) + "#decisions")
