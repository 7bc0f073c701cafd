"""Funders: list with their conventions' totals, form, detail, delete.

The list is for the team and the copil; a funder's account may open its own funder's
page only (another id reads as "not found").
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from models.errors import ConcurrentEdit
from models.funding import queries
from models.funding.enums import FunderType
from models.funding.orm import Convention, Funder
from models.funding.services import FunderData, delete_funder, save_funder
from webapp.access import access
from webapp.extensions import db
from webapp.forms_common import version_of
from webapp.funding import bp
from webapp.funding.common import funder_or_404, funder_sums, today, totals
from webapp.funding.forms import EmptyForm, FunderForm
from webapp.listing import list_page
from webapp.unit_of_work import attempt, flash_form_errors


@bp.route("/financeurs")
@access("funding.plan")
def funders():
    args = request.args
    active = {"1": True, "0": False}.get(args.get("actif", ""))
    stmt = queries.funders_stmt(search=args.get("q", ""), type=args.get("type", ""),
                                active=active)
    listing = list_page(stmt, queries.FUNDER_SORTS, "nom", tiebreak=Funder.id)
    return render_template("funding/funders.html", listing=listing, types=list(FunderType),
                           sums=funder_sums(listing.items))


def _data(form: FunderForm) -> FunderData:
    return FunderData(name=form.name.data or "", type=form.type.data or "",
                      contact_name=form.contact_name.data or "",
                      contact_email=form.contact_email.data or "",
                      contact_phone=form.contact_phone.data or "",
                      notes=form.notes.data or "", active=bool(form.active.data))


@bp.route("/financeurs/nouveau", methods=["GET", "POST"])
@access("funding.manage")
def funder_new():
    form = FunderForm()
    if form.validate_on_submit():
        done = attempt(lambda: save_funder(db.session, current_user, None, _data(form)),
                       form=form)
        if done.ok:
            flash(f"Financeur « {done.value.name} » créé. Ajoutez-lui une convention.",
                  "success")
            return redirect(url_for("funding.funder_detail", funder_id=done.value.id))
    return render_template("funding/funder_form.html", form=form, funder=None)


@bp.route("/financeurs/<int:funder_id>/modifier", methods=["GET", "POST"])
@access("funding.manage")
def funder_edit(funder_id: int):
    funder = funder_or_404(funder_id)
    form = FunderForm(obj=funder if request.method == "GET" else None)
    if request.method == "GET":
        form.type.data = FunderType(funder.type).value
        form.version_id.data = str(funder.version_id)
    elif form.validate_on_submit():
        done = attempt(lambda: save_funder(db.session, current_user, funder, _data(form),
                                           expected_version=version_of(form.version_id.data)),
                       form=form)
        if isinstance(done.error, ConcurrentEdit):
            flash("Votre saisie est conservée ci-dessous : comparez-la avec la version "
                  "actuelle avant d'enregistrer à nouveau.", "info")
            form.version_id.data = str(db.session.get(Funder, funder_id).version_id)
        if done.ok:
            flash("Financeur enregistré.", "success")
            return redirect(url_for("funding.funder_detail", funder_id=funder_id))
    return render_template("funding/funder_form.html", form=form, funder=funder)


@bp.route("/financeurs/<int:funder_id>")
@access("funding.view")
def funder_detail(funder_id: int):
    funder = funder_or_404(funder_id)
    stmt = (queries.conventions_stmt(current_user, funder_id=funder.id)
            .order_by(Convention.first_year.desc(), Convention.reference))
    rows = db.session.execute(stmt).all()
    return render_template("funding/funder_detail.html", funder=funder, rows=rows,
                           totals=totals(stmt, today()), delete_form=EmptyForm())


@bp.route("/financeurs/<int:funder_id>/supprimer", methods=["POST"])
@access("funding.manage")
def funder_delete(funder_id: int):
    funder = funder_or_404(funder_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("funding.funder_detail", funder_id=funder_id))
    name = funder.name
    if not attempt(lambda: delete_funder(db.session, current_user, funder)).ok:
        return redirect(url_for("funding.funder_detail", funder_id=funder_id))
    flash(f"Financeur « {name} » supprimé.", "success")
    return redirect(url_for("funding.funders"))
