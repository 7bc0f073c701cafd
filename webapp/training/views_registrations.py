"""Registering staff, cancelling, answering an offered seat, and "my registrations".

The seat decision is ``models.training.registrations``' (under its lock): these views
only pass what was typed. An ``ml`` account always registers for its own mission locale,
whatever the posted ``mission_locale_id`` says.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from models.accounts.roles import Role
from models.policy import can
from models.training import queries
from models.training import registrations as seats
from models.training.enums import RegistrationStatus
from models.training.orm import Registration
from webapp.access import access
from webapp.extensions import db
from webapp.forms_common import db_int
from webapp.listing import list_page
from webapp.training import bp
from webapp.training.common import (
    ml_choices,
    registration_or_404,
    render_session,
    session_or_404,
    today,
)
from webapp.training.forms import CancelRegistrationForm, OfferForm, RegistrationForm
from webapp.unit_of_work import attempt, flash_form_errors

R = RegistrationStatus


def _is_ml() -> bool:
    return Role(current_user.role) is Role.ML


@bp.route("/sessions/<int:session_id>/inscriptions", methods=["POST"])
@access("training.register")
def register(session_id: int):
    ts = session_or_404(session_id)
    form = RegistrationForm(missions_locales=[] if _is_ml() else ml_choices())
    if not form.validate_on_submit():
        flash_form_errors(form)
        return render_session(ts, reg_form=form, status=400)
    ml_id = current_user.mission_locale_id if _is_ml() else form.mission_locale_id.data
    data = seats.RegistrationData(
        last_name=form.last_name.data or "", first_name=form.first_name.data or "",
        email=form.email.data or "", job=form.job.data or "", mission_locale_id=ml_id)
    done = attempt(lambda: seats.register(db.session, current_user, ts.id, data,
                                          today=today()), form=form)
    if not done.ok:
        return render_session(session_or_404(session_id), reg_form=form)
    reg = done.value
    if R(reg.status) is R.CONFIRMEE:
        flash(f"Inscription confirmée pour {reg.full_name}.", "success")
    else:
        position = seats.position(db.session, reg)
        flash(f"Liste d'attente : position {position} pour {reg.full_name}. Une place "
              "libérée lui sera attribuée dans l'ordre de la liste.", "info")
    return redirect(url_for("training.session_detail", session_id=session_id))


def _back(reg: Registration, retour: str | None):
    if retour == "mes":
        return redirect(url_for("training.my_registrations"))
    return redirect(url_for("training.session_detail", session_id=reg.session_id))


@bp.route("/inscriptions/<int:registration_id>/annuler", methods=["POST"])
@access("training.register")
def registration_cancel(registration_id: int):
    reg = registration_or_404(registration_id)
    form = CancelRegistrationForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(reg, form.retour.data)
    waiting = [r.id for r in seats.waitlist(db.session, reg.session)]
    name = reg.full_name
    done = attempt(lambda: seats.cancel(db.session, current_user, reg.id, form.reason.data))
    if done.ok:
        flash(f"Inscription de {name} annulée.", "success")
        _flash_moved(waiting)
    return _back(reg, form.retour.data)


def _flash_moved(waiting_before: list[int]) -> None:
    """Who got the freed seat — named only if the user may see that registration."""
    if not waiting_before:
        return
    moved = db.session.scalars(select(Registration).where(
        Registration.id.in_(waiting_before), Registration.status.in_((R.CONFIRMEE, R.OFFRE)))
        .order_by(Registration.queued_at, Registration.id)).all()
    for reg in moved:
        visible = can(current_user, "registration.view", reg)
        if R(reg.status) is R.OFFRE:
            flash(f"La place libérée est proposée à {reg.full_name} (liste d'attente)."
                  if visible else "La place libérée est proposée à la personne suivante "
                                  "de la liste d'attente.", "info")
        else:
            flash(f"{reg.full_name} passe de la liste d'attente à une place confirmée."
                  if visible else "La place libérée est attribuée à la personne suivante "
                                  "de la liste d'attente.", "info")


@bp.route("/inscriptions/<int:registration_id>/offre", methods=["POST"])
@access("training.register")
def registration_offer(registration_id: int):
    reg = registration_or_404(registration_id)
    form = OfferForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(reg, form.retour.data)
    answer = form.reponse.data
    if answer not in ("accepter", "refuser"):
        flash("Réponse inconnue : choisissez « Accepter » ou « Refuser ».", "danger")
        return _back(reg, form.retour.data)
    waiting = [r.id for r in seats.waitlist(db.session, reg.session)]
    name = reg.full_name
    done = attempt(lambda: seats.answer_offer(db.session, current_user, reg.id,
                                              answer == "accepter"))
    if done.ok:
        if answer == "accepter":
            flash(f"Place acceptée : l'inscription de {name} est confirmée.", "success")
        else:
            flash(f"Place déclinée pour {name}.", "success")
            _flash_moved(waiting)
    return _back(reg, form.retour.data)


@bp.route("/mes-inscriptions")
@access("training.register")
def my_registrations():
    args = request.args
    on = today()
    ml_filter = None if _is_ml() else args.get("ml", type=db_int)
    stmt = queries.registrations_stmt(
        current_user, today=on, mission_locale_id=ml_filter, status=args.get("statut", ""),
        period=args.get("periode", ""), search=args.get("q", ""))
    listing = list_page(stmt, queries.REGISTRATION_SORTS, "date", default_direction="desc",
                        tiebreak=Registration.id)
    session_ids = sorted({r.session_id for r in listing.items})
    return render_template(
        "training/my_registrations.html", listing=listing,
        positions=queries.waitlist_positions(db.session, session_ids),
        statuses=list(R), missions_locales=[] if _is_ml() else ml_choices(),
        is_ml=_is_ml(), row_cancel=CancelRegistrationForm(formdata=None),
        offer_form=OfferForm(formdata=None), today=on)
