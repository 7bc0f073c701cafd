"""The co-financing plan of a programme (team and copil: it shows every funder's amounts),
its tolerance (admin) and exports, and the "échéances" of the next 90 days."""

from __future__ import annotations

from datetime import timedelta

from flask import Response, flash, redirect, render_template, url_for
from flask_login import current_user

from models.funding import queries
from models.funding.plan import cofinancing_plan, global_axis_funding, unbalanced_message
from models.funding.services import set_tolerance
from models.policy import can
from models.programme import queries as programme_queries
from models.programme.orm import Programme
from webapp.access import access
from webapp.extensions import db
from webapp.forms_common import db_int
from webapp.funding import bp
from webapp.funding.common import today
from webapp.funding.forms import ToleranceForm
from webapp.programme.common import programme_or_404
from webapp.unit_of_work import attempt, flash_form_errors

HORIZON_DAYS = 90


@bp.route("/plan")
@access("funding.plan")
def plan_current():
    programme = programme_queries.current_programme(db.session, today())
    if programme is None:
        flash("Aucun programme n'existe encore : créez d'abord le programme de l'année.", "info")
        return redirect(url_for("funding.index"))
    return redirect(url_for("funding.plan", programme_id=programme.id))


@bp.route("/plan/<int:programme_id>")
@access("funding.plan")
def plan(programme_id: int):
    programme = programme_or_404(programme_id)
    the_plan = cofinancing_plan(db.session, programme)
    tolerance_form = None
    if can(current_user, "funding.settings"):
        tolerance_form = ToleranceForm(programme_id=str(programme.id))
        tolerance_form.tolerance_percent.data = the_plan.tolerance_percent
    return render_template(
        "funding/plan.html", programme=programme, plan=the_plan,
        problem=unbalanced_message(the_plan),
        global_funding=global_axis_funding(db.session, programme.id),
        programmes=programme_queries.programmes(db.session), tolerance_form=tolerance_form)


@bp.route("/plan/tolerance", methods=["POST"])
@access("funding.settings")
def plan_tolerance():
    form = ToleranceForm()
    programme = _programme_of(form.programme_id.data)
    if programme is None:
        flash("Programme introuvable : rouvrez le plan de cofinancement.", "warning")
        return redirect(url_for("funding.plan_current"))
    if form.validate_on_submit():
        if attempt(lambda: set_tolerance(db.session, current_user, programme.region,
                                         form.tolerance_percent.data),
                   label="Tolérance").ok:
            flash("Tolérance enregistrée : l'équilibre de chaque action est recalculé.",
                  "success")
    else:
        flash_form_errors(form, "Tolérance")
    return redirect(url_for("funding.plan", programme_id=programme.id))


def _programme_of(raw: str | None) -> Programme | None:
    try:
        return db.session.get(Programme, db_int(raw or ""))
    except ValueError:
        return None


def _download(programme_id: int, kind: str) -> Response:
    from models.funding.exports import export_filename, plan_csv, plan_xlsx

    programme = programme_or_404(programme_id)
    the_plan = cofinancing_plan(db.session, programme)
    if kind == "xlsx":
        body: bytes | str = plan_xlsx(the_plan)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = plan_csv(the_plan)
        mimetype = "text/csv"  # werkzeug adds "; charset=utf-8"
    name = export_filename(the_plan, kind)
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/plan/<int:programme_id>/export.xlsx")
@access("funding.plan")
def plan_xlsx(programme_id: int):
    return _download(programme_id, "xlsx")


@bp.route("/plan/<int:programme_id>/export.csv")
@access("funding.plan")
def plan_csv(programme_id: int):
    return _download(programme_id, "csv")


@bp.route("/echeances")
@access("funding.view")
def upcoming():
    on = today()
    rows = queries.upcoming(db.session, current_user, on, days=HORIZON_DAYS)
    return render_template("funding/upcoming.html", rows=rows, today=on, days=HORIZON_DAYS,
                           horizon=on + timedelta(days=HORIZON_DAYS))
