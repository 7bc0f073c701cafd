"""Funder activity reports (``/financements/rapports``): the list, generation, the
accessible HTML version, the archived PDF, publication, verification, the team's
action reviews, and a funder's request for an update.

A funder's account sees only its own funder's published versions; any other id is a
404, so it cannot learn that another funder's report exists. A mission locale has no
access (403).
"""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from models.errors import ConcurrentEdit
from models.funding.queries import funder_choices
from models.policy import can
from models.programme.orm import Action
from models.reports import queries, services
from models.reports.content import funder_years
from models.reports.orm import FunderReport
from webapp.access import access
from webapp.extensions import db
from webapp.forms_common import db_int, version_of
from webapp.funding import bp
from webapp.funding.common import today
from webapp.funding.forms import EmptyForm
from webapp.funding.forms_reports import GenerateForm, RequestForm, ReviewForm
from webapp.listing import list_page
from webapp.pdf.funder_report import render
from webapp.unit_of_work import attempt, flash_form_errors

SORTS = {"annee": FunderReport.year, "version": FunderReport.version,
         "genere": FunderReport.generated_at, "publie": FunderReport.published_at}


def _report_or_404(report_id: int) -> FunderReport:
    report = queries.visible_report(db.session, current_user, report_id)
    if report is None:
        abort(404)
    return report


def _generate_form(**kwargs) -> GenerateForm:
    return GenerateForm(funders=funder_choices(db.session), prefix="generer", **kwargs)


@bp.route("/rapports")
@access("reports.view")
def reports():
    return _list_page()


def _list_page(form: GenerateForm | None = None):
    """The list (and, for the team, the generation form: a refused one keeps its input
    and shows its errors next to the fields)."""
    manage = can(current_user, "reports.manage")
    args = request.args
    stmt = queries.reports_stmt(current_user, funder_id=args.get("financeur", type=db_int)
                                if manage else None, year=args.get("annee", type=db_int))
    # the chosen column first, then the newest version
    listing = list_page(stmt.order_by(None), SORTS, "annee", default_direction="desc",
                        tiebreak=FunderReport.id.desc())
    if manage and form is None:
        form = _generate_form()
        if not form.year.data:
            form.year.data = today().year
    own_years = (funder_years(db.session, current_user.funder_id)
                 if current_user.funder_id else [])
    return render_template(
        "funding/reports.html", listing=listing, manage=manage, form=form,
        funders=funder_choices(db.session) if manage else [],
        downloads=queries.downloads(db.session, [r.id for r in listing.items]) if manage
        else {}, request_form=RequestForm(prefix="demande") if current_user.funder_id
        else None, own_years=own_years, years=queries.programme_years(db.session))


@bp.route("/rapports/generer", methods=["POST"])
@access("reports.manage")
def report_generate():
    form = _generate_form()
    if form.validate_on_submit():
        done = attempt(lambda: services.generate(
            db.session, current_user, form.funder_id.data, form.year.data,
            as_of=form.as_of.data, synthesis=form.synthesis.data or "", render=render),
            form=form)
        if done.ok:
            report = done.value
            flash(f"Version {report.version} générée ({report.pages} pages). Relisez-la, "
                  "puis publiez-la pour le financeur.", "success")
            return redirect(url_for("funding.report_detail", report_id=report.id))
    return _list_page(form), 422 if form.errors else 200


@bp.route("/rapports/<int:report_id>")
@access("reports.view")
def report_detail(report_id: int):
    report = _report_or_404(report_id)
    manage = can(current_user, "reports.manage")
    versions = db.session.scalars(
        queries.reports_stmt(current_user, funder_id=report.funder_id, year=report.year)
    ).all()
    return render_template(
        "funding/report_detail.html", report=report, c=report.content, manage=manage,
        versions=versions, pending=services.pending_findings(report),
        action_form=EmptyForm(), downloads=queries.downloads(db.session, [report.id])
        if manage else {})


@bp.route("/rapports/<int:report_id>/<string:filename>.pdf")
@access("reports.view")
def report_pdf(report_id: int, filename: str):
    report = _report_or_404(report_id)
    if f"{filename}.pdf" != report.filename:
        return redirect(url_for("funding.report_pdf", report_id=report.id,
                                filename=report.filename.removesuffix(".pdf")))
    etag = report.sha256
    if request.if_none_match.contains(etag):
        response = make_response("", 304)
    else:
        done = attempt(lambda: services.record_download(db.session, current_user, report))
        if not done.ok:
            abort(404)
        response = make_response(report.pdf)
        response.headers["Content-Type"] = "application/pdf"
        response.headers["Content-Disposition"] = f'inline; filename="{report.filename}"'
        response.headers["Content-Length"] = str(report.size)
    response.set_etag(etag)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.route("/rapports/<int:report_id>/publier", methods=["POST"])
@access("reports.manage")
def report_publish(report_id: int):
    report = _report_or_404(report_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    elif attempt(lambda: services.publish(db.session, current_user, report.id)).ok:
        flash(f"Version {report.version} publiée : {report.funder.name} peut la "
              "télécharger.", "success")
    return redirect(url_for("funding.report_detail", report_id=report_id))


@bp.route("/rapports/<int:report_id>/confirmer", methods=["POST"])
@access("reports.manage")
def report_confirm(report_id: int):
    report = _report_or_404(report_id)
    form = EmptyForm()
    ids = request.form.getlist("passage")
    if not form.validate_on_submit():
        flash_form_errors(form)
    else:
        done = attempt(lambda: services.confirm_findings(db.session, current_user, report,
                                                         ids))
        if done.ok:
            flash(f"{done.value} passage(s) confirmé(s) : ils resteront dans le rapport.",
                  "success")
    return redirect(url_for("funding.report_detail", report_id=report_id) + "#controle")


@bp.route("/rapports/<int:report_id>/verifier", methods=["POST"])
@access("reports.manage")
def report_verify(report_id: int):
    report = _report_or_404(report_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    else:
        done = attempt(lambda: services.verify(db.session, current_user, report, render))
        if done.ok:
            flash(done.value.message, "success" if done.value.same else "warning")
    return redirect(url_for("funding.report_detail", report_id=report_id))


@bp.route("/rapports/demande", methods=["POST"])
@access("reports.view")
def report_request():
    form = RequestForm(prefix="demande")
    if not form.validate_on_submit():
        flash_form_errors(form)
    elif attempt(lambda: services.request_update(db.session, current_user, form.year.data,
                                                 form.message.data or "")).ok:
        flash("Votre demande a été transmise à l'équipe de l'ARML : vous recevrez la "
              "nouvelle version dès qu'elle sera publiée.", "success")
    return redirect(url_for("funding.reports"))


# ---------------------------------------------------------------- action reviews
@bp.route("/rapports/bilans")
@access("reports.manage")
def reviews():
    years = queries.programme_years(db.session)
    year = request.args.get("annee", type=db_int) or (years[0] if years else today().year)
    rows = queries.review_rows(db.session, year)
    return render_template("funding/reviews.html", rows=rows, year=year, years=years,
                           written=sum(1 for _, r in rows if r and not r.empty))


@bp.route("/rapports/bilans/<int:action_id>", methods=["GET", "POST"])
@access("reports.manage")
def review_edit(action_id: int):
    action = db.session.get(Action, action_id) or abort(404)
    review = next((r for a, r in queries.review_rows(db.session, action.programme.year)
                   if a.id == action.id), None)
    form = ReviewForm(obj=review if request.method == "GET" else None)
    if request.method == "GET":
        form.version_id.data = str(review.version_id if review else 0)
    elif form.validate_on_submit():
        data = services.ReviewData(form.highlights.data or "", form.gaps.data or "",
                                   form.outlook.data or "")
        done = attempt(lambda: services.save_review(
            db.session, current_user, action, data,
            expected_version=version_of(form.version_id.data)), form=form)
        if isinstance(done.error, ConcurrentEdit):
            flash("Votre saisie est conservée ci-dessous : comparez-la avec la version "
                  "actuelle avant d'enregistrer à nouveau.", "info")
            current = next((r for a, r in queries.review_rows(db.session,
                                                              action.programme.year)
                            if a.id == action.id), None)
            form.version_id.data = str(current.version_id if current else 0)
        if done.ok:
            flash(f"Bilan de l'action « {action.title} » enregistré : il sera repris dans "
                  "les prochains rapports des financeurs de l'action.", "success")
            return redirect(url_for("funding.reviews", annee=action.programme.year))
    return render_template("funding/review_form.html", form=form, action=action,
                           review=review)
