"""The animation team (members, contract ETP) and the steering committee's meetings."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from models.councils.decisions import delete_decision, record_decision
from models.councils.orm import Decision
from models.councils.register import copil_follow_up, is_overdue
from models.policy import can
from models.programme import queries
from models.programme.enums import MemberStatus
from models.programme.orm import CopilMeeting, TeamMember
from models.programme.team import (
    MeetingData,
    MemberData,
    save_meeting,
    save_member,
)
from webapp.access import access, ensure
from webapp.councils.forms_decisions import DecisionForm, owner_choices
from webapp.extensions import db
from webapp.forms_common import lines, version_of
from webapp.programme import bp
from webapp.programme.common import programme_or_404, today
from webapp.programme.forms import EmptyForm, MeetingForm, MemberForm
from webapp.unit_of_work import attempt, flash_form_errors


# ---------------------------------------------------------------- team
@bp.route("/equipe")
@access("programme.overview")
def team():
    programme = queries.current_programme(db.session, today())
    loads = {load.member.id: load for load in queries.member_loads(db.session, programme)} \
        if programme else {}
    return render_template("programme/team.html", members=queries.team(db.session),
                           programme=programme, loads=loads, today=today())


def _member_data(form: MemberForm) -> MemberData:
    return MemberData(full_name=form.full_name.data or "", function=form.function.data or "",
                      contract_etp=form.contract_etp.data, status=form.status.data or "",
                      start_date=form.start_date.data, end_date=form.end_date.data,
                      seconded_by=form.seconded_by.data or "")


@bp.route("/equipe/nouveau", methods=["GET", "POST"])
@bp.route("/equipe/<int:member_id>", methods=["GET", "POST"])
@access("programme.manage")
def member_edit(member_id: int | None = None):
    member = None
    if member_id is not None:
        member = db.session.get(TeamMember, member_id)
        ensure(member is not None)
    form = MemberForm(obj=member if request.method == "GET" else None)
    if request.method == "GET" and member is not None:
        form.status.data = MemberStatus(member.status).value
        form.version_id.data = str(member.version_id)
    if request.method == "POST" and form.validate_on_submit() and attempt(
            lambda: save_member(db.session, current_user, _member_data(form), member,
                                expected_version=version_of(form.version_id.data)),
            form=form).ok:
        flash("Fiche enregistrée.", "success")
        return redirect(url_for("programme.team"))
    return render_template("programme/member_form.html", form=form, member=member)


# ---------------------------------------------------------------- copil
@bp.route("/<int:programme_id>/copil")
@access("programme.overview")
def meetings(programme_id: int):
    programme = programme_or_404(programme_id)
    return render_template("programme/meetings.html", programme=programme,
                           meetings=queries.meetings(db.session, programme))


def _meeting_data(form: MeetingForm) -> MeetingData:
    return MeetingData(meeting_date=form.meeting_date.data, place=form.place.data or "",
                       participants=lines(form.participants.data), notes=form.notes.data or "")


@bp.route("/<int:programme_id>/copil/nouvelle", methods=["GET", "POST"])
@access("programme.manage")
def meeting_new(programme_id: int):
    programme = programme_or_404(programme_id)
    form = MeetingForm()
    if form.validate_on_submit():
        done = attempt(lambda: save_meeting(db.session, current_user, programme,
                                            _meeting_data(form)), form=form)
        if done.ok:
            flash("Réunion du copil enregistrée. Ajoutez ses décisions.", "success")
            return redirect(url_for("programme.meeting_detail", meeting_id=done.value.id))
    return render_template("programme/meeting_form.html", form=form, programme=programme,
                           meeting=None)


def _meeting_or_404(meeting_id: int) -> CopilMeeting:
    meeting = db.session.get(CopilMeeting, meeting_id)
    ensure(meeting is not None)
    return meeting


def _action_choices(programme_id: int) -> list[tuple[int, str]]:
    return queries.action_choices(db.session, programme_id)


@bp.route("/copil/<int:meeting_id>")
@access("programme.overview")
def meeting_detail(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    return render_template("programme/meeting_detail.html", meeting=meeting,
                           programme=meeting.programme,
                           decision_form=DecisionForm(
                               actions=_action_choices(meeting.programme_id),
                               owners=owner_choices(db.session)),
                           follow_up=copil_follow_up(db.session, meeting), is_overdue=is_overdue,
                           row_form=EmptyForm(), manage=can(current_user, "programme.manage"))


@bp.route("/copil/<int:meeting_id>/modifier", methods=["GET", "POST"])
@access("programme.manage")
def meeting_edit(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    form = MeetingForm(obj=meeting if request.method == "GET" else None)
    if request.method == "GET":
        form.participants.data = "\n".join(meeting.participants or [])
    elif form.validate_on_submit() and attempt(
            lambda: save_meeting(db.session, current_user, meeting.programme,
                                 _meeting_data(form), meeting), form=form).ok:
        flash("Réunion mise à jour.", "success")
        return redirect(url_for("programme.meeting_detail", meeting_id=meeting.id))
    return render_template("programme/meeting_form.html", form=form,
                           programme=meeting.programme, meeting=meeting)


@bp.route("/copil/<int:meeting_id>/decisions", methods=["POST"])
@access("programme.manage")
def decision_add(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    form = DecisionForm(actions=_action_choices(meeting.programme_id),
                        owners=owner_choices(db.session))
    if form.validate_on_submit():
        if attempt(lambda: record_decision(db.session, current_user, form.data_object(),
                                           copil_meeting=meeting), form=form).ok:
            flash("Décision enregistrée.", "success")
    else:
        flash_form_errors(form)
    return redirect(url_for("programme.meeting_detail", meeting_id=meeting.id))


@bp.route("/copil/decisions/<int:decision_id>/supprimer", methods=["POST"])
@access("programme.manage")
def decision_delete(decision_id: int):
    decision = db.session.get(Decision, decision_id)
    ensure(decision is not None and decision.copil_meeting_id is not None)
    meeting_id = decision.copil_meeting_id
    form = EmptyForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    elif attempt(lambda: delete_decision(db.session, current_user, decision)).ok:
        flash("Décision supprimée.", "success")
    return redirect(url_for("programme.meeting_detail", meeting_id=meeting_id))
