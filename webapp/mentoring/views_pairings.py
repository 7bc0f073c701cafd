"""/parrainage/: the home page (figures per ML), pairings (propose, activate, cancel,
close, meetings), six-month follow-ups and ranked suggestions.

Every object goes through the domain's ``load``: another ML's id — in the URL or posted in
a hidden field — is « introuvable » (404) and changes nothing. A suggestion only fills the
proposal form: a person proposes, then activates.
"""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from models import clock
from models.councils.projects import add_months
from models.errors import ConcurrentEdit
from models.mentoring import config, queries
from models.mentoring import pairings as domain
from models.mentoring.access import load
from models.mentoring.enums import PairingStatus
from models.mentoring.orm import FollowUp, Mentee, Mentor, Pairing
from models.mentoring.suggestions import suggest_mentors
from models.network.orm import MissionLocale
from models.network.queries import mission_locale_choices
from models.policy import can
from webapp.access import access
from webapp.extensions import db
from webapp.forms_common import db_int, version_of
from webapp.listing import list_page
from webapp.mentoring import bp
from webapp.mentoring.forms_pairings import (
    ActivateForm,
    CancelForm,
    CloseForm,
    FollowUpForm,
    MeetingForm,
    ProposeForm,
)
from webapp.mentoring.views_mentees import ml_filter, team_reader
from webapp.unit_of_work import attempt, flash_form_errors

P = PairingStatus
BADGES = {"propose": "info", "actif": "success", "termine": "secondary", "rompu": "warning"}
PAIRING_SORTS = {"debut": Pairing.start_date, "fin": Pairing.planned_end,
                 "statut": Pairing.status, "filleul": Mentee.code,
                 "parrain": Mentor.last_name, "ml": MissionLocale.name}


def pairing_or_404(pairing_id: int) -> Pairing:
    return load(db.session, current_user, Pairing, pairing_id)


# ---------------------------------------------------------------- home
@bp.get("/")
@access("mentoring.view")
def index():
    figures = queries.home_figures(db.session, current_user)
    # the team: MLs with mentoring first (most active pairings first); the others named
    # on one line below the table instead of forty rows of zeros
    busy = [f for f in figures if f.active or f.proposed or f.follow_ups_due
            or f.mentors_available]
    busy.sort(key=lambda f: (-f.active, f.name))
    idle = [f.name for f in figures if f not in busy]
    return render_template("mentoring/index.html", figures=figures, busy=busy, idle=idle,
                           team=team_reader(), totals=_totals(figures))


def _totals(figures) -> dict[str, int]:
    return {k: sum(getattr(f, k) for f in figures)
            for k in ("active", "proposed", "follow_ups_due", "mentors_available")}


# ---------------------------------------------------------------- list
@bp.get("/binomes")
@access("mentoring.view")
def pairings():
    raw = request.args.get("statut", "")
    status = P(raw) if raw in P._value2member_map_ else None
    ml_id, team = ml_filter(), team_reader()
    stmt = queries.pairings_stmt(current_user, mission_locale_id=ml_id, status=status)
    listing = list_page(stmt, PAIRING_SORTS, "debut", default_direction="desc",
                        tiebreak=Pairing.id)
    return render_template("mentoring/pairings.html", listing=listing, statuses=list(P),
                           status=status, team=team, ml_id=ml_id, badges=BADGES,
                           ml_choices=mission_locale_choices(db.session) if team else [],
                           filtered=bool(status or ml_id))


# ---------------------------------------------------------------- one pairing
def _detail(pairing_id: int, *, status: int = 200, **forms):
    pairing = pairing_or_404(pairing_id)
    edit = can(current_user, "mentoring.edit", pairing)
    version = str(pairing.version_id)
    today = clock.today()
    defaults = {
        "activate_form": ActivateForm(formdata=None, version_id=version),
        "cancel_form": CancelForm(formdata=None, version_id=version),
        "close_form": CloseForm(formdata=None, version_id=version,
                                ended_on=min(today, pairing.planned_end)),
        "meeting_form": MeetingForm(formdata=None, held_on=min(today, pairing.effective_end)),
    }
    defaults.update(forms)
    return render_template("mentoring/pairing_detail.html", pairing=pairing, edit=edit,
                           badges=BADGES, short_days=config.SHORT_PAIRING_DAYS,
                           **defaults), status


@bp.get("/binomes/<int:pairing_id>")
@access("mentoring.view")
def pairing_detail(pairing_id: int):
    return _detail(pairing_id)


def _mentor_choices(mentee: Mentee) -> list[tuple[int, str]]:
    mentors = db.session.scalars(
        select(Mentor).where(Mentor.mission_locale_id == mentee.mission_locale_id,
                             Mentor.active.is_(True), Mentor.anonymised_on.is_(None))
        .order_by(Mentor.last_name, Mentor.first_name, Mentor.id))
    return [(m.id, f"{m.last_name} {m.first_name}"
                   + (f" — {m.sector}" if m.sector else "")) for m in mentors]


@bp.route("/binomes/proposer", methods=["GET", "POST"])
@access("mentoring.edit")
def pairing_new():
    """Propose a pairing for a mentee (hidden field), with a mentor of its ML."""
    if request.method == "GET":
        if not request.args.get("filleul", "").strip():
            # opened without a mentee (a bookmark, a shortened link): the mentee comes first
            flash("Choisissez d'abord le ou la filleul·e.", "info")
            return redirect(url_for("mentoring.mentees"))
        # an unreadable or another ML's id: « introuvable », as for any record
        mentee = load(db.session, current_user, Mentee,
                      request.args.get("filleul", type=db_int), write=True)
        today = clock.today()
        form = ProposeForm(formdata=None, mentors=_mentor_choices(mentee),
                           mentee_id=mentee.id, start_date=today,
                           planned_end=add_months(today, 6),
                           mentor_id=request.args.get("parrain", type=db_int))
        return render_template("mentoring/pairing_form.html", form=form, mentee=mentee)
    form = ProposeForm(mentors=[])
    # the posted ids are checked by the domain (another ML's: 404, nothing written)
    mentee = load(db.session, current_user, Mentee, form.mentee_id.data, write=True)
    form.mentor_id.choices = [("", "— choisir —"), *_mentor_choices(mentee)]
    if form.validate_on_submit():
        done = attempt(lambda: domain.propose(
            db.session, current_user, mentee.id, form.mentor_id.data, form.start_date.data,
            form.planned_end.data, confirm=bool(form.confirm.data)), form=form)
        if done.ok:
            flash("Binôme proposé. Il démarre quand vous le confirmez (« Démarrer le "
                  "binôme »).", "success")
            return redirect(url_for("mentoring.pairing_detail",
                                    pairing_id=done.value.pairing.id))
    elif form.mentor_id.data not in (None, -1):
        load(db.session, current_user, Mentor, form.mentor_id.data, write=True)
    elif form.mentor_id.data is None and not form.mentor_id.errors:
        form.mentor_id.errors = [*form.mentor_id.errors,
                                 "Choisissez un parrain ou une marraine."]
    return render_template("mentoring/pairing_form.html", form=form,
                           mentee=load(db.session, current_user, Mentee, mentee.id)), 422


@bp.post("/binomes/<int:pairing_id>/demarrer")
@access("mentoring.edit")
def pairing_activate(pairing_id: int):
    form = ActivateForm()
    if form.validate_on_submit():
        done = attempt(lambda: domain.activate(
            db.session, current_user, pairing_id, version_of(form.version_id.data),
            confirm=bool(form.confirm.data)), form=form)
        if done.ok:
            flash("Le binôme a démarré.", "success")
            return redirect(url_for("mentoring.pairing_detail", pairing_id=pairing_id))
        form.version_id.data = str(pairing_or_404(pairing_id).version_id) \
            if isinstance(done.error, ConcurrentEdit) else form.version_id.data
    else:
        flash_form_errors(form)
    return _detail(pairing_id, status=422, activate_form=form)


@bp.post("/binomes/<int:pairing_id>/annuler")
@access("mentoring.edit")
def pairing_cancel(pairing_id: int):
    form = CancelForm()
    if form.validate_on_submit():
        mentee_id = pairing_or_404(pairing_id).mentee_id
        done = attempt(lambda: domain.cancel_proposal(
            db.session, current_user, pairing_id, version_of(form.version_id.data)))
        if done.ok:
            flash("Proposition annulée.", "success")
            return redirect(url_for("mentoring.mentee_detail", mentee_id=mentee_id))
    else:
        flash_form_errors(form)
    return _detail(pairing_id, status=422)


@bp.post("/binomes/<int:pairing_id>/cloturer")
@access("mentoring.edit")
def pairing_close(pairing_id: int):
    form = CloseForm()
    if form.validate_on_submit():
        done = attempt(lambda: domain.close(
            db.session, current_user, pairing_id, form.ended_on.data, form.reason.data or None,
            form.outcome.data or None, version_of(form.version_id.data)), form=form)
        if done.ok:
            p = done.value
            if P(p.status) is P.ROMPU and (p.ended_on - p.start_date).days \
                    < config.SHORT_PAIRING_DAYS:
                flash("Binôme clôturé : arrêté avant 6 semaines, il est compté « rompu » "
                      "quel que soit le motif.", "warning")
            else:
                flash(f"Binôme clôturé : {P(p.status).label.lower()}.", "success")
            flash(f"La situation à 6 mois sera à saisir à partir du "
                  f"{_date(p.follow_up.due_on)}.", "info")
            return redirect(url_for("mentoring.pairing_detail", pairing_id=pairing_id))
        if isinstance(done.error, ConcurrentEdit):
            form.version_id.data = str(pairing_or_404(pairing_id).version_id)
    return _detail(pairing_id, status=422, close_form=form)


def _date(day: date) -> str:
    from models.formatting import format_date

    return format_date(day)


@bp.post("/binomes/<int:pairing_id>/rencontres")
@access("mentoring.edit")
def meeting_new(pairing_id: int):
    form = MeetingForm()
    if form.validate_on_submit():
        done = attempt(lambda: domain.log_meeting(
            db.session, current_user, pairing_id, form.held_on.data, form.mode.data or None,
            form.minutes()), form=form)
        if done.ok:
            flash("Rencontre enregistrée.", "success")
            return redirect(url_for("mentoring.pairing_detail", pairing_id=pairing_id)
                            + "#rencontres")
    else:
        pairing_or_404(pairing_id)  # another ML's pairing: 404 whatever was posted
    return _detail(pairing_id, status=422, meeting_form=form)


# ---------------------------------------------------------------- follow-ups
FOLLOW_UP_SORTS = {"echeance": FollowUp.due_on}


def _follow_ups_page(status: int = 200, forms: dict | None = None):
    """A mission locale records on its full list (a form posted from row 40 comes back
    with its message on the same page); the team reads every ML's, a page at a time."""
    ml_id, team = ml_filter(), team_reader()
    pending = queries.pending_follow_ups(db.session, current_user, mission_locale_id=ml_id)
    today = clock.today()
    forms = forms or {}

    def row(f: FollowUp):
        return f, forms.get(f.id) or FollowUpForm(formdata=None, version_id=str(f.version_id))

    listing = None
    if team:
        listing = list_page(queries.due_follow_ups_stmt(current_user, mission_locale_id=ml_id),
                            FOLLOW_UP_SORTS, "echeance", tiebreak=FollowUp.id)
        due = [row(f) for f in listing.items]
    else:
        due = [row(f) for f in pending if f.due_on <= today]
    return render_template(
        "mentoring/follow_ups.html", due=due, listing=listing,
        due_total=listing.pagination.total if listing is not None else len(due),
        upcoming=[row(f) for f in pending if f.due_on > today], team=team, ml_id=ml_id,
        ml_choices=mission_locale_choices(db.session) if team else [],
        recorded=queries.recorded_follow_ups(db.session, current_user,
                                             mission_locale_id=ml_id),
        edit=not team), status


@bp.get("/suivis")
@access("mentoring.view")
def follow_ups():
    return _follow_ups_page()


@bp.post("/suivis/<int:follow_up_id>")
@access("mentoring.edit")
def follow_up_record(follow_up_id: int):
    form = FollowUpForm()
    if form.validate_on_submit():
        done = attempt(lambda: domain.record_follow_up(
            db.session, current_user, follow_up_id, form.outcome.data or None,
            version_of(form.version_id.data)), label="Suivi à 6 mois")
        if done.ok:
            flash(f"Situation à 6 mois du binôme de {done.value.pairing.mentee.code} "
                  "enregistrée.", "success")
            return redirect(url_for("mentoring.follow_ups"))
    else:
        load(db.session, current_user, FollowUp, follow_up_id)
        flash_form_errors(form, "Suivi à 6 mois")
    return _follow_ups_page(422, {follow_up_id: form})


# ---------------------------------------------------------------- suggestions
SHORT_LIST = 10

@bp.get("/filleuls/<int:mentee_id>/suggestions")
@access("mentoring.view")
def suggestions(mentee_id: int):
    wanted = (request.args.get("secteur") or "").strip()[:120]
    mentee = load(db.session, current_user, Mentee, mentee_id)
    # the ten best first; « tous » lists every mentor of the ML (with the unavailable ones)
    show_all = request.args.get("tous") == "1"
    ranked = suggest_mentors(db.session, current_user, mentee_id, wanted_sector=wanted,
                             limit=500 if show_all else SHORT_LIST + 1)
    more = not show_all and len(ranked) > SHORT_LIST
    return render_template("mentoring/suggestions.html", mentee=mentee,
                           ranked=ranked[:SHORT_LIST] if more else ranked, more=more,
                           wanted=wanted, edit=can(current_user, "mentoring.edit", mentee))
