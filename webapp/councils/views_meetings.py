"""Councils: the home (/conseils/), series and their planning, meetings (page, form,
invitations, cancellation), invitees and answers, the councils' ICS feed. The agenda,
backlog and attachments are in ``views_agenda``.

The team runs everything (``councils.manage``); copil and missions locales read; a
mission locale answers for its own director and proposes topics; a funder's account
reaches only the meetings it is invited to as a guest (``councils.meeting``, 404
otherwise).
"""

from __future__ import annotations

import posixpath
from datetime import timedelta

from flask import (
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from werkzeug.routing import BuildError

from models import clock
from models.accounts.orm import User
from models.accounts.roles import Role
from models.councils import agenda as ag
from models.councils import invitations as inv
from models.councils import meetings as mt
from models.councils import queries
from models.councils.calendar import PUBLISH, meeting_ics, meetings_feed
from models.councils.enums import ItemKind, MeetingStatus, Presence, SeriesKind
from models.councils.orm import AgendaItem, CouncilSeries, Invitee, Meeting
from models.councils.register import taken_at
from models.errors import ConcurrentEdit
from models.formatting import format_date
from models.network.orm import MissionLocale
from models.policy import can
from webapp.access import access, ensure
from webapp.councils import bp
from webapp.councils.forms_meetings import (
    AnswerForm,
    AttachmentForm,
    CancelForm,
    ChoiceForm,
    EmptyForm,
    InviteeForm,
    MeetingForm,
    PlanForm,
    SeriesForm,
)
from webapp.extensions import db
from webapp.forms_common import db_int, version_of
from webapp.unit_of_work import attempt, flash_form_errors


# ---------------------------------------------------------------- helpers
def _team() -> bool:
    return can(current_user, "councils.manage")


def _base_url() -> str:
    return current_app.config.get("PUBLIC_BASE_URL", "")


def optional_url(endpoint: str, **values) -> str | None:
    """A link to a page of another part of the area, when that page exists."""
    if endpoint not in current_app.view_functions:
        return None
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def _series_or_404(series_id: int) -> CouncilSeries:
    series = db.session.get(CouncilSeries, series_id)
    ensure(series is not None)
    return series


def _meeting_or_404(meeting_id: int) -> Meeting:
    """A meeting the user may see (a funder's account: only as a guest)."""
    meeting = db.session.get(Meeting, meeting_id)
    ensure(meeting is not None and can(current_user, "councils.meeting", meeting))
    return meeting


def _item_or_404(item_id: int) -> AgendaItem:
    item = db.session.get(AgendaItem, item_id)
    ensure(item is not None)
    return item


def _back_to_item(item: AgendaItem, anchor: str = "ordre-du-jour"):
    if item.meeting_id is not None:
        return redirect(url_for("councils.meeting_detail", meeting_id=item.meeting_id)
                        + f"#{anchor}")
    return redirect(url_for("councils.backlog", series_id=item.series_id))


def _safe_next(raw: str | None, default: str) -> str:
    """A redirect target from a form: a path of this area only."""
    if not raw or "//" in raw or "\\" in raw:
        return default
    path = posixpath.normpath(raw.split("?", 1)[0].split("#", 1)[0])
    return raw if path.startswith("/conseils/") and ".." not in raw.split("/") else default


def _meeting_label(meeting: Meeting) -> str:
    return f"{meeting.series.name} du {format_date(meeting.day)}"


def answer_choices(meeting: Meeting) -> list[tuple[str, str]]:
    choices = [(Presence.PRESENT.value, "Présent·e"), (Presence.EXCUSE.value, "Excusé·e")]
    if meeting.series.proxies_enabled:
        choices.append((Presence.REPRESENTE.value, "Représenté·e par…"))
    return choices


def _answer_form(invitee: Invitee, next_url: str = "") -> AnswerForm:
    meeting = invitee.meeting
    form = AnswerForm(formdata=None)
    form.answer.choices = answer_choices(meeting)
    form.answer.data = Presence(invitee.answer).value if invitee.answer else None
    form.proxy_holder_id.choices = [("", "— choisir un membre —")] + [
        (i.id, f"{i.full_name} ({i.organisation})" if i.organisation else i.full_name)
        for i in inv.proxy_choices(meeting, invitee)]
    form.proxy_holder_id.data = invitee.proxy_holder_id
    form.version_id.data = str(invitee.version_id)
    form.next.data = next_url
    return form


# ---------------------------------------------------------------- home, lists, feed
@bp.route("/")
@access("councils.view")
def index():
    home = queries.home(db.session, current_user)
    forms = {i.id: _answer_form(i, url_for("councils.index")) for i in home.invitations}
    return render_template(
        "councils/meeting_home.html", home=home, manage=_team(), answer_forms=forms,
        links={"register": optional_url("councils.register"),
               "projects": optional_url("councils.projects")},
        today=clock.today())


def _int_arg(name: str) -> int | None:
    try:
        return db_int(request.args.get(name, ""))
    except ValueError:
        return None


@bp.route("/reunions")
@access("councils.view")
def meetings():
    status = None
    raw_status = request.args.get("statut", "")
    if raw_status:
        try:
            status = MeetingStatus(raw_status)
        except ValueError:
            status = None
    year = _int_arg("annee")
    if year is not None and not 1900 <= year <= 2200:
        year = None
    filters = queries.MeetingFilters(series_id=_int_arg("instance"), status=status, year=year)
    return render_template(
        "councils/meetings.html", meetings=queries.list_meetings(db.session, current_user,
                                                                 filters),
        filters=filters, series=queries.series_choices(db.session),
        statuses=list(MeetingStatus), years=queries.meeting_years(db.session),
        manage=_team(), today=clock.today())


@bp.route("/calendrier.ics")
@access("councils.view")
def calendar_feed():
    """The meetings from a year back, not cancelled: series, dates, places; no video
    link, no one's name (beside the training feed, /formations/sessions.ics)."""
    body = meetings_feed(queries.feed_meetings(db.session))
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": 'inline; filename="conseils.ics"',
                             "Cache-Control": "private, max-age=300"})


@bp.route("/mes-invitations")
@access("councils.propose")
def my_invitations():
    """A mission locale's invitations (its director's) and their answers."""
    if current_user.role != Role.ML.value:
        return redirect(url_for("councils.meetings"))
    upcoming = queries.ml_invitations(db.session, current_user)
    past = [i for i in queries.ml_invitations(db.session, current_user, upcoming_only=False)
            if i not in upcoming][:20]
    here = url_for("councils.my_invitations")
    return render_template("councils/invitations.html", upcoming=upcoming, past=past,
                           answer_forms={i.id: _answer_form(i, here) for i in upcoming},
                           today=clock.today())


# ---------------------------------------------------------------- series
@bp.route("/instances")
@access("councils.view")
def series_list():
    return render_template("councils/series_list.html",
                           rows=queries.series_rows(db.session), manage=_team())


@bp.route("/instances/nouvelle", methods=["GET", "POST"])
@access("councils.manage")
def series_new():
    form = SeriesForm()
    if request.method == "GET":
        form.default_start.data = mt.SeriesData.default_start
        form.default_end.data = mt.SeriesData.default_end
        form.kind.data = SeriesKind.CONSEIL.value
    elif form.validate_on_submit():
        done = attempt(lambda: mt.save_series(db.session, current_user, None,
                                              form.data_object()), form=form)
        if done.ok:
            flash("Instance créée : planifiez ses réunions.", "success")
            return redirect(url_for("councils.series_detail", series_id=done.value.id))
    return render_template("councils/series_form.html", form=form, series=None)


@bp.route("/instances/<int:series_id>/modifier", methods=["GET", "POST"])
@access("councils.manage")
def series_edit(series_id: int):
    series = _series_or_404(series_id)
    form = SeriesForm(obj=series if request.method == "GET" else None)
    if request.method == "GET":
        form.kind.data = SeriesKind(series.kind).value
        form.version_id.data = str(series.version_id)
    elif form.validate_on_submit():
        done = attempt(lambda: mt.save_series(
            db.session, current_user, series, form.data_object(),
            expected_version=version_of(form.version_id.data)), form=form)
        if done.ok:
            flash("Instance enregistrée.", "success")
            return redirect(url_for("councils.series_detail", series_id=series_id))
        if isinstance(done.error, ConcurrentEdit):
            form.version_id.data = str(_series_or_404(series_id).version_id)
    return render_template("councils/series_form.html", form=form, series=series)


@bp.route("/instances/<int:series_id>")
@access("councils.view")
def series_detail(series_id: int):
    series = _series_or_404(series_id)
    today = clock.today()
    upcoming = [m for m in series.meetings if m.day >= today]
    past = [m for m in series.meetings if m.day < today][::-1]
    return render_template("councils/series_detail.html", series=series, upcoming=upcoming,
                           past=past, backlog=ag.backlog_items(db.session, series),
                           manage=_team(), today=today)


@bp.route("/instances/<int:series_id>/planifier", methods=["GET", "POST"])
@access("councils.manage")
def series_plan(series_id: int):
    series = _series_or_404(series_id)
    form = PlanForm()
    if request.method == "GET":
        last = series.meetings[-1] if series.meetings else None
        weeks = series.rhythm_weeks or 6
        form.first_day.data = (max(last.day + timedelta(weeks=weeks), clock.today())
                               if last is not None else clock.today() + timedelta(weeks=2))
    elif form.validate_on_submit():
        done = attempt(lambda: mt.plan_series(db.session, current_user, series,
                                              form.first_day.data, form.count.data), form=form)
        if done.ok:
            count = len(done.value)
            flash(f"{count} réunion(s) planifiée(s)." if count else
                  "Aucune réunion ajoutée : ces dates sont déjà planifiées.",
                  "success" if count else "info")
            return redirect(url_for("councils.series_detail", series_id=series_id))
    return render_template("councils/series_plan.html", form=form, series=series)


@bp.route("/instances/<int:series_id>/reunions/nouvelle", methods=["GET", "POST"])
@access("councils.manage")
def meeting_new(series_id: int):
    series = _series_or_404(series_id)
    form = MeetingForm()
    if request.method == "GET":
        defaults = mt.meeting_defaults(series)
        form.starts_at.data, form.ends_at.data = defaults.starts_at, defaults.ends_at
        form.place.data, form.video_link.data = defaults.place, defaults.video_link
    elif form.validate_on_submit():
        done = attempt(lambda: mt.create_meeting(db.session, current_user, series,
                                                 form.data_object()), form=form)
        if done.ok:
            flash("Réunion planifiée : construisez son ordre du jour, puis envoyez les "
                  "invitations.", "success")
            return redirect(url_for("councils.meeting_detail", meeting_id=done.value.id))
    return render_template("councils/meeting_form.html", form=form, series=series,
                           meeting=None)


# ---------------------------------------------------------------- one meeting
def _render_meeting(meeting: Meeting):
    page = queries.meeting_page(db.session, current_user, meeting)
    manage = _team()
    here = url_for("councils.meeting_detail", meeting_id=meeting.id)
    answerable = MeetingStatus(meeting.status) in (MeetingStatus.PLANIFIE,
                                                   MeetingStatus.CONVOQUE)
    answer_forms = {i.id: _answer_form(i, here) for i in page.mine} if answerable else {}
    decision_form = None
    if manage and optional_url("councils.decision_new", meeting_id=meeting.id):
        from webapp.councils.forms_decisions import DecisionForm, owner_choices

        decision_form = DecisionForm(formdata=None, owners=owner_choices(db.session))
    minutes = meeting.minutes
    links = {
        "attendance": optional_url("councils.attendance", meeting_id=meeting.id)
        if manage else None,
        "minutes": optional_url("councils.minutes", meeting_id=meeting.id)
        if (manage or (minutes is not None and can(current_user, "minutes.view", minutes)))
        else None,
        "decision_new": optional_url("councils.decision_new", meeting_id=meeting.id),
        "register": optional_url("councils.register")
        if can(current_user, "decisions.view") else None,
    }
    days_ahead = (meeting.day - clock.today()).days
    return render_template(
        "councils/meeting_detail.html", page=page, meeting=meeting, series=meeting.series,
        manage=manage, when=inv.when_line(meeting), links=links,
        answer_forms=answer_forms, cancel_form=CancelForm(formdata=None),
        attachment_form=AttachmentForm(formdata=None), empty_form=EmptyForm(formdata=None),
        decision_form=decision_form,
        decisions=[d for d in taken_at(db.session, meeting)
                   if can(current_user, "decisions.view", d)],
        can_view_decisions=can(current_user, "decisions.view"),
        short_notice=(manage and days_ahead < (meeting.series.notice_days or 0)
                      and MeetingStatus(meeting.status) is MeetingStatus.PLANIFIE
                      and days_ahead >= 0),
        days_ahead=days_ahead, today=clock.today(), kinds=ItemKind)


@bp.route("/reunions/<int:meeting_id>")
@access("home.view")
def meeting_detail(meeting_id: int):
    return _render_meeting(_meeting_or_404(meeting_id))


@bp.route("/reunions/<int:meeting_id>/reunion.ics")
@access("home.view")
def meeting_calendar(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    body = meeting_ics(meeting, method=PUBLISH)
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="reunion-'
                                                    f'{meeting.day:%Y-%m-%d}.ics"'})


@bp.route("/reunions/<int:meeting_id>/modifier", methods=["GET", "POST"])
@access("councils.manage")
def meeting_edit(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    form = MeetingForm(obj=meeting if request.method == "GET" else None)
    if request.method == "GET":
        form.version_id.data = str(meeting.version_id)
    elif form.validate_on_submit():
        done = attempt(lambda: mt.update_meeting(
            db.session, current_user, meeting, form.data_object(),
            expected_version=version_of(form.version_id.data), base_url=_base_url()),
            form=form)
        if done.ok:
            change = done.value
            if change.resent:
                flash(f"Réunion modifiée : les {change.resent} personne(s) invitée(s) "
                      "reçoivent la mise à jour (leur agenda se met à jour).", "success")
            else:
                flash("Réunion enregistrée.", "success")
            return redirect(url_for("councils.meeting_detail", meeting_id=meeting_id))
        if isinstance(done.error, ConcurrentEdit):
            flash("Votre saisie est conservée ci-dessous : comparez-la avec la version "
                  "actuelle avant d'enregistrer à nouveau.", "info")
            form.version_id.data = str(_meeting_or_404(meeting_id).version_id)
    return render_template("councils/meeting_form.html", form=form, series=meeting.series,
                           meeting=meeting)


@bp.route("/reunions/<int:meeting_id>/annuler", methods=["POST"])
@access("councils.manage")
def meeting_cancel(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    form = CancelForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    else:
        done = attempt(lambda: mt.cancel_meeting(
            db.session, current_user, meeting, form.reason.data or "",
            expected_version=version_of(form.version_id.data)), label="Annulation")
        if done.ok:
            flash("Réunion annulée" + (f" : {done.value} personne(s) prévenue(s) par e-mail."
                                       if done.value else "."), "success")
    return redirect(url_for("councils.meeting_detail", meeting_id=meeting_id))


@bp.route("/reunions/<int:meeting_id>/supprimer", methods=["POST"])
@access("councils.manage")
def meeting_delete(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    series_id = meeting.series_id
    form = EmptyForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("councils.meeting_detail", meeting_id=meeting_id))
    done = attempt(lambda: mt.delete_meeting(db.session, current_user, meeting))
    if not done.ok:
        return redirect(url_for("councils.meeting_detail", meeting_id=meeting_id))
    flash("Réunion supprimée ; ses points sont revenus dans les sujets en attente.", "success")
    return redirect(url_for("councils.series_detail", series_id=series_id))


@bp.route("/reunions/<int:meeting_id>/inviter", methods=["POST"])
@access("councils.manage")
def meeting_send(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    form = ChoiceForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("councils.meeting_detail", meeting_id=meeting_id))
    done = attempt(lambda: inv.send_invitations(
        db.session, current_user, meeting, _base_url(),
        expected_version=version_of(form.version_id.data)), label="Invitations")
    if done.ok:
        flash(f"{done.value.sent} invitation(s) envoyée(s), avec l'ordre du jour et le "
              "fichier d'agenda (.ics).", "success")
        for warning in done.value.warnings:
            flash(warning, "warning")
    return redirect(url_for("councils.meeting_detail", meeting_id=meeting_id))


# ---------------------------------------------------------------- invitees
def _invitee_form(formdata=None) -> InviteeForm:
    mls = [(ml.id, ml.name) for ml in db.session.scalars(
        select(MissionLocale).where(MissionLocale.active.is_(True)).order_by(MissionLocale.name))]
    users = [(u.id, f"{u.full_name} ({u.email})") for u in db.session.scalars(
        select(User).where(User.role == Role.FINANCEUR, User.active.is_(True))
        .order_by(User.full_name))]
    if formdata is None:
        return InviteeForm(formdata=None, mls=mls, users=users)
    return InviteeForm(mls=mls, users=users)


def _render_invitees(meeting: Meeting, form: InviteeForm, status: int = 200):
    page = queries.meeting_page(db.session, current_user, meeting)
    here = url_for("councils.invitees", meeting_id=meeting.id)
    answerable = MeetingStatus(meeting.status) in (MeetingStatus.PLANIFIE,
                                                   MeetingStatus.CONVOQUE)
    forms = ({i.id: _answer_form(i, here) for i in [*page.members, *page.guests]}
             if answerable else {})
    no_director = [ml for ml in db.session.scalars(
        select(MissionLocale).where(MissionLocale.active.is_(True)).order_by(MissionLocale.name))
        if not (ml.director_email or "").strip()]
    return render_template("councils/invitations_manage.html", meeting=meeting, page=page,
                           form=form, answer_forms=forms, empty_form=EmptyForm(formdata=None),
                           no_director=no_director, answerable=answerable), status


@bp.route("/reunions/<int:meeting_id>/invites")
@access("councils.manage")
def invitees(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    return _render_invitees(meeting, _invitee_form())


@bp.route("/reunions/<int:meeting_id>/invites/membres", methods=["POST"])
@access("councils.manage")
def invitees_build(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("councils.invitees", meeting_id=meeting_id))
    done = attempt(lambda: inv.build_invitees(db.session, current_user, meeting, _base_url()))
    if done.ok:
        report = done.value
        if not meeting.series.directors_are_members:
            flash("Les directions ne sont pas membres de cette instance : ajoutez les "
                  "personnes une à une.", "info")
        else:
            flash(f"{len(report.added)} direction(s) ajoutée(s)"
                  + (f", {report.already} déjà invitée(s)" if report.already else "")
                  + (f" ; {report.sent} invitation(s) envoyée(s)" if report.sent else "")
                  + ".", "success")
        if report.no_email:
            flash("Sans adresse e-mail de direction, non invitées : "
                  + ", ".join(ml.name for ml in report.no_email)
                  + ". Complétez leur fiche ou ajoutez la personne à la main.", "warning")
        for line in report.duplicates:
            flash(line, "warning")
    return redirect(url_for("councils.invitees", meeting_id=meeting_id))


@bp.route("/reunions/<int:meeting_id>/invites/ajouter", methods=["POST"])
@access("councils.manage")
def invitee_add(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    form = _invitee_form(request.form)
    if form.validate_on_submit():
        data = inv.InviteeData(full_name=form.full_name.data or "", email=form.email.data or "",
                               organisation=form.organisation.data or "",
                               mission_locale_id=form.mission_locale_id.data,
                               user_id=form.user_id.data)
        done = attempt(lambda: inv.add_invitee(db.session, current_user, meeting, data,
                                               _base_url()), form=form)
        if done.ok:
            flash(f"{done.value.full_name} est invité·e"
                  + (" ; son invitation est envoyée." if MeetingStatus(meeting.status)
                     is MeetingStatus.CONVOQUE else "."), "success")
            return redirect(url_for("councils.invitees", meeting_id=meeting_id))
    return _render_invitees(_meeting_or_404(meeting_id), form, 422)


@bp.route("/invites/<int:invitee_id>/retirer", methods=["POST"])
@access("councils.manage")
def invitee_remove(invitee_id: int):
    invitee = db.session.get(Invitee, invitee_id)
    ensure(invitee is not None)
    meeting_id = invitee.meeting_id
    form = EmptyForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    else:
        name = invitee.full_name
        if attempt(lambda: inv.remove_invitee(db.session, current_user, invitee)).ok:
            flash(f"Invitation de {name} retirée.", "success")
    return redirect(url_for("councils.invitees", meeting_id=meeting_id))


@bp.route("/invites/<int:invitee_id>/reponse", methods=["POST"])
@access("councils.propose")
def answer(invitee_id: int):
    """An answer: a mission locale for its own director, the team for anyone (another
    mission locale's invitee does not exist, 404)."""
    invitee = db.session.get(Invitee, invitee_id)
    ensure(invitee is not None and can(current_user, "councils.answer", invitee))
    values = request.form
    default = url_for("councils.meeting_detail", meeting_id=invitee.meeting_id)
    target = _safe_next(values.get("next"), default)
    choice = values.get("answer", "")
    try:
        holder = db_int(values["proxy_holder_id"]) if values.get("proxy_holder_id") else None
    except ValueError:
        holder = -1
    done = attempt(lambda: inv.answer(db.session, current_user, invitee, choice, holder,
                                      expected_version=version_of(values.get("version_id"))),
                   label=invitee.full_name)
    if done.ok:
        label = Presence(done.value.answer).label.lower()
        if done.value.proxy_holder is not None:
            label += f" par {done.value.proxy_holder.full_name}"
        flash(f"Réponse enregistrée pour {done.value.full_name} : {label}.", "success")
    return redirect(target)
