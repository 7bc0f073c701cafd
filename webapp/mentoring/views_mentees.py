"""/parrainage/filleuls: pseudonymous mentees. A mission locale lists, creates and edits its
own; the team reads every ML's (codes and counted attributes only: there is nothing else).
The random code is shown once saved, for the référent to copy into i-milo."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from models import clock
from models.errors import ConcurrentEdit
from models.mentoring import mentees as domain
from models.mentoring import queries
from models.mentoring.access import load
from models.mentoring.enums import PairingStatus
from models.mentoring.orm import Mentee
from models.network.orm import MissionLocale
from models.network.queries import mission_locale_choices
from models.policy import can
from webapp.access import access
from webapp.extensions import db
from webapp.forms_common import db_int, version_of
from webapp.listing import list_page
from webapp.mentoring import bp
from webapp.mentoring.forms_mentees import MONTHS, MenteeForm
from webapp.unit_of_work import attempt

MENTEE_SORTS = {"code": Mentee.code, "creation": Mentee.created_at,
                "naissance": Mentee.birth_year, "ml": MissionLocale.name}


def mentee_or_404(mentee_id: int) -> Mentee:
    return load(db.session, current_user, Mentee, mentee_id)


def team_reader() -> bool:
    """The team reads every ML (a mission locale writes, and sees only its own)."""
    return not can(current_user, "mentoring.edit")


def ml_filter() -> int | None:
    """The team's ML filter; a mission locale's lists are its own whatever it asks."""
    return request.args.get("ml", type=db_int) if team_reader() else None


@bp.get("/filleuls")
@access("mentoring.view")
def mentees():
    ml_id, team = ml_filter(), team_reader()
    code = queries.code_prefix(request.args.get("code"))
    listing = list_page(queries.mentees_stmt(current_user, mission_locale_id=ml_id,
                                             code=code),
                        MENTEE_SORTS, "creation", default_direction="desc", tiebreak=Mentee.id)
    return render_template(
        "mentoring/mentees.html", listing=listing, team=team, ml_id=ml_id, code=code,
        ml_choices=mission_locale_choices(db.session) if team else [],
        current={m.id: _current_pairing(m) for m in listing.items}, months=MONTHS,
        today=clock.today())


def _current_pairing(mentee: Mentee):
    live = [p for p in mentee.pairings
            if PairingStatus(p.status) in (PairingStatus.PROPOSE, PairingStatus.ACTIF)]
    return live[-1] if live else None


@bp.get("/filleuls/<int:mentee_id>")
@access("mentoring.view")
def mentee_detail(mentee_id: int):
    mentee = mentee_or_404(mentee_id)
    return render_template("mentoring/mentee_detail.html", mentee=mentee, months=MONTHS,
                           edit=can(current_user, "mentoring.edit", mentee),
                           current=_current_pairing(mentee),
                           created=request.args.get("nouveau") == "1")


@bp.route("/filleuls/nouveau", methods=["GET", "POST"])
@access("mentoring.edit")
def mentee_new():
    form = MenteeForm()
    if request.method == "GET":
        form.rqth.data = "non"
    elif form.validate_on_submit():
        done = attempt(lambda: domain.create_mentee(
            db.session, current_user, form.data_object(), confirm=bool(form.confirm.data),
            require_minor_consent=True), form=form)
        if done.ok:
            flash(f"Filleul·e enregistré·e sous le code {done.value.code} : reportez ce code "
                  "dans i-milo, c'est le seul lien avec le jeune.", "success")
            return redirect(url_for("mentoring.mentee_detail", mentee_id=done.value.id,
                                    nouveau=1))
    status = 422 if request.method == "POST" else 200
    return render_template("mentoring/mentee_form.html", form=form, mentee=None), status


@bp.route("/filleuls/<int:mentee_id>/modifier", methods=["GET", "POST"])
@access("mentoring.edit")
def mentee_edit(mentee_id: int):
    mentee = load(db.session, current_user, Mentee, mentee_id, write=True)
    form = MenteeForm(formdata=None if request.method == "GET" else request.form)
    if request.method == "GET":
        form.sex.data = mentee.sex.value
        form.birth_year.data = str(mentee.birth_year)
        form.birth_month.data = str(mentee.birth_month)
        form.qualification.data = mentee.qualification
        form.situation.data = mentee.situation.value
        form.prescriber.data = mentee.prescriber.value
        form.qpv.data = _yes_no(mentee.qpv)
        form.zrr.data = _yes_no(mentee.zrr)
        form.rqth.data = _yes_no(mentee.rqth)
        form.project_validated.data = mentee.project_validated
        form.minor_consent_on.data = mentee.minor_consent_on
        form.version_id.data = str(mentee.version_id)
        return render_template("mentoring/mentee_form.html", form=form, mentee=mentee)
    if form.validate_on_submit():
        done = attempt(lambda: domain.update_mentee(
            db.session, current_user, mentee_id, form.data_object(),
            version_of(form.version_id.data), confirm=bool(form.confirm.data),
            require_minor_consent=True), form=form)
        if done.ok:
            flash("Fiche du filleul ou de la filleule enregistrée.", "success")
            return redirect(url_for("mentoring.mentee_detail", mentee_id=mentee_id))
        if isinstance(done.error, ConcurrentEdit):
            flash("Votre saisie est conservée ci-dessous : comparez-la avec la version "
                  "actuelle avant d'enregistrer à nouveau.", "info")
            form.version_id.data = str(mentee_or_404(mentee_id).version_id)
    return render_template("mentoring/mentee_form.html", form=form,
                           mentee=mentee_or_404(mentee_id)), 422


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("oui" if value else "non")
