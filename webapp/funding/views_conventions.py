"""Conventions: list with totals, form, and the convention page with its allocations,
payment schedule, payments and reporting deadlines.

A funder's account reads its own funder's conventions only (another id is a 404) and
never gets an edit form; the copil reads everything and edits nothing.
"""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from models.errors import ConcurrentEdit
from models.funding import queries
from models.funding.allocations import AllocationData, delete_allocation, save_allocation
from models.funding.enums import ConventionStatus, ConventionType
from models.funding.orm import Convention, FundingAllocation, Payment, ReportingDeadline
from models.funding.payments import (
    DeadlineData,
    PaymentData,
    add_payment,
    delete_deadline,
    delete_payment,
    save_deadline,
)
from models.funding.rules import convention_warnings
from models.funding.services import (
    ConventionData,
    InstalmentData,
    delete_convention,
    save_convention,
    save_schedule,
)
from models.policy import can
from webapp.access import access
from webapp.extensions import db
from webapp.forms_common import db_int, version_of
from webapp.funding import bp
from webapp.funding.common import (
    allocation_targets,
    child_or_404,
    convention_or_404,
    convention_sums,
    funder_choices,
    instalment_choices,
    today,
    totals,
)
from webapp.funding.forms import (
    SCHEDULE_ROWS,
    AllocationAmountForm,
    AllocationForm,
    ConventionForm,
    DeadlineForm,
    EmptyForm,
    PaymentForm,
    ScheduleForm,
)
from webapp.listing import list_page
from webapp.unit_of_work import attempt, flash_form_errors


# ---------------------------------------------------------------- list
@bp.route("/")
@access("funding.view")
def index():
    args = request.args
    stmt = queries.conventions_stmt(
        current_user, funder_id=args.get("financeur", type=db_int), status=args.get("statut", ""),
        type=args.get("type", ""), year=args.get("annee", type=db_int), search=args.get("q", ""))
    listing = list_page(stmt, queries.CONVENTION_SORTS, "reference",
                        default_direction="asc", tiebreak=Convention.id)
    team_view = can(current_user, "funding.plan")
    return render_template(
        "funding/index.html", listing=listing, totals=totals(stmt, today()),
        sums=convention_sums(listing.items),
        funders=queries.funder_choices(db.session) if team_view else [],
        statuses=list(ConventionStatus), types=list(ConventionType),
        years=queries.convention_years(db.session) if team_view else _own_years(),
        team_view=team_view)


def _own_years() -> list[int]:
    """Years of the funder's own conventions only (the filter reveals nothing else)."""
    rows = db.session.execute(queries.conventions_stmt(current_user)).all()
    return sorted({y for c, *_ in rows for y in range(c.first_year, c.last_year + 1)},
                  reverse=True)


# ---------------------------------------------------------------- form
def _data(form: ConventionForm) -> ConventionData:
    return ConventionData(
        funder_id=form.funder_id.data, reference=form.reference.data or "",
        object=form.object.data or "", type=form.type.data or "", amount=form.amount.data,
        first_year=form.first_year.data, last_year=form.last_year.data,
        period_start=form.period_start.data, period_end=form.period_end.data,
        signature_date=form.signature_date.data, status=form.status.data or "",
        conditions=form.conditions.data or "")


def _saved(convention: Convention, message: str):
    flash(message, "success")
    for warning in convention_warnings(convention):
        flash(f"À vérifier : {warning}", "warning")
    return redirect(url_for("funding.convention_detail", convention_id=convention.id))


@bp.route("/conventions/nouvelle", methods=["GET", "POST"])
@access("funding.manage")
def convention_new():
    form = ConventionForm(funders=funder_choices())
    if request.method == "GET":
        year = today().year + (1 if today().month >= 9 else 0)
        form.funder_id.data = request.args.get("financeur", type=db_int)
        form.first_year.data = form.last_year.data = year
    if form.validate_on_submit():
        done = attempt(lambda: save_convention(db.session, current_user, None, _data(form)),
                       form=form)
        if done.ok:
            return _saved(done.value, f"Convention {done.value.reference} créée. Renseignez son "
                                      "échéancier et affectez-la aux actions.")
    return render_template("funding/convention_form.html", form=form, convention=None)


@bp.route("/conventions/<int:convention_id>/modifier", methods=["GET", "POST"])
@access("funding.manage")
def convention_edit(convention_id: int):
    convention = convention_or_404(convention_id)
    form = ConventionForm(obj=convention if request.method == "GET" else None,
                          funders=funder_choices(convention.funder_id))
    if request.method == "GET":
        form.type.data = ConventionType(convention.type).value
        form.status.data = ConventionStatus(convention.status).value
        form.version_id.data = str(convention.version_id)
    elif form.validate_on_submit():
        done = attempt(lambda: save_convention(
            db.session, current_user, convention, _data(form),
            expected_version=version_of(form.version_id.data)), form=form)
        if isinstance(done.error, ConcurrentEdit):
            flash("Votre saisie est conservée ci-dessous : comparez-la avec la version "
                  "actuelle avant d'enregistrer à nouveau.", "info")
            form.version_id.data = str(db.session.get(Convention, convention_id).version_id)
        if done.ok:
            return _saved(convention, "Convention enregistrée.")
    return render_template("funding/convention_form.html", form=form, convention=convention)


@bp.route("/conventions/<int:convention_id>/supprimer", methods=["POST"])
@access("funding.manage")
def convention_delete(convention_id: int):
    convention = convention_or_404(convention_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("funding.convention_detail", convention_id=convention_id))
    reference = convention.reference
    if not attempt(lambda: delete_convention(db.session, current_user, convention)).ok:
        return redirect(url_for("funding.convention_detail", convention_id=convention_id))
    flash(f"Convention {reference} supprimée.", "success")
    return redirect(url_for("funding.index"))


# ---------------------------------------------------------------- page
def _schedule_form(convention: Convention) -> ScheduleForm:
    rows = [{"label": i.label, "due_date": i.due_date, "percent": i.percent}
            for i in convention.instalments]
    rows += [{}] * max(0, SCHEDULE_ROWS - len(rows))
    form = ScheduleForm(prefix="echeancier", data={"rows": rows})
    form.version_id.data = str(convention.version_id)
    return form


@bp.route("/conventions/<int:convention_id>")
@access("funding.view")
def convention_detail(convention_id: int):
    convention = convention_or_404(convention_id)
    manage = can(current_user, "funding.manage")
    forms = {}
    if manage:
        forms = {
            "allocation": AllocationForm(prefix="affectation",
                                         targets=allocation_targets(convention)),
            "schedule": _schedule_form(convention),
            "payment": PaymentForm(prefix="versement",
                                   instalments=instalment_choices(convention)),
            "deadline": DeadlineForm(prefix="rapport"),
        }
    return render_template(
        "funding/convention_detail.html", convention=convention, manage=manage,
        finance=queries.convention_finance(db.session, convention, today()),
        payments=queries.payments_of(db.session, convention), today=today(),
        forms=forms, row_form=EmptyForm())


@bp.route("/conventions/<int:convention_id>/compte-rendu-financier.xlsx")
@access("funding.manage")
def convention_financial_report(convention_id: int):
    """The "compte rendu financier" (Cerfa n° 15059): it lists every co-funder's amounts,
    so the team only (a funder's account or the copil gets a 403)."""
    from models.funding.financial_report import export_filename, financial_report_xlsx

    convention = convention_or_404(convention_id)
    body = financial_report_xlsx(db.session, current_user, convention, today())
    return Response(body, mimetype="application/vnd.openxmlformats-officedocument"
                                   ".spreadsheetml.sheet",
                    headers={"Content-Disposition":
                             f'attachment; filename="{export_filename(convention)}"'})


def _back(convention: Convention, anchor: str):
    return redirect(url_for("funding.convention_detail", convention_id=convention.id)
                    + f"#{anchor}")


# ---------------------------------------------------------------- allocations
@bp.route("/conventions/<int:convention_id>/affectations", methods=["POST"])
@access("funding.manage")
def allocation_add(convention_id: int):
    convention = convention_or_404(convention_id)
    form = AllocationForm(prefix="affectation")
    if not form.validate_on_submit():
        flash_form_errors(form, "Affectation")
        return _back(convention, "affectations")
    programme_id, action_id, axis_id = form.parsed_target()
    data = AllocationData(programme_id=programme_id, action_id=action_id, axis_id=axis_id,
                          amount=form.amount.data, comment=form.comment.data or "")
    if attempt(lambda: save_allocation(db.session, current_user, convention, None, data),
               label="Affectation").ok:
        flash("Affectation enregistrée.", "success")
    return _back(convention, "affectations")


@bp.route("/conventions/<int:convention_id>/affectations/<int:allocation_id>",
          methods=["POST"])
@access("funding.manage")
def allocation_update(convention_id: int, allocation_id: int):
    convention = convention_or_404(convention_id)
    allocation = child_or_404(FundingAllocation, allocation_id, convention)
    form = AllocationAmountForm(prefix=f"affectation-{allocation_id}")
    if not form.validate_on_submit():
        flash_form_errors(form, "Affectation")
        return _back(convention, "affectations")
    data = AllocationData(programme_id=allocation.programme_id, action_id=allocation.action_id,
                          axis_id=allocation.axis_id, amount=form.amount.data,
                          comment=form.comment.data or "")
    if attempt(lambda: save_allocation(db.session, current_user, convention, allocation, data),
               label="Affectation").ok:
        flash("Affectation mise à jour.", "success")
    return _back(convention, "affectations")


@bp.route("/conventions/<int:convention_id>/affectations/<int:allocation_id>/supprimer",
          methods=["POST"])
@access("funding.manage")
def allocation_delete(convention_id: int, allocation_id: int):
    convention = convention_or_404(convention_id)
    allocation = child_or_404(FundingAllocation, allocation_id, convention)
    if _valid(EmptyForm()) and attempt(
            lambda: delete_allocation(db.session, current_user, allocation)).ok:
        flash("Affectation supprimée.", "success")
    return _back(convention, "affectations")


def _valid(form) -> bool:
    if form.validate_on_submit():
        return True
    flash_form_errors(form)
    return False


# ---------------------------------------------------------------- schedule
def _schedule_errors(form: ScheduleForm) -> None:
    """Row errors of the schedule as banners: « Échéancier, échéance 2 : … »."""
    for name, errors in form.errors.items():
        if name != "rows":
            for message in errors:
                flash(message, "danger")
            continue
        for n, row_errors in enumerate(errors, start=1):
            for messages in (row_errors or {}).values():
                for message in messages:
                    flash(f"Échéancier, échéance {n} : {message}", "danger")


@bp.route("/conventions/<int:convention_id>/echeancier", methods=["POST"])
@access("funding.manage")
def schedule_save(convention_id: int):
    convention = convention_or_404(convention_id)
    form = ScheduleForm(prefix="echeancier")
    if not form.validate_on_submit():
        _schedule_errors(form)
        return _back(convention, "echeancier")
    rows = [InstalmentData(label=r.form.label.data or "", due_date=r.form.due_date.data,
                           percent=r.form.percent.data) for r in form.rows]
    if attempt(lambda: save_schedule(db.session, current_user, convention, rows,
                                     expected_version=version_of(form.version_id.data)),
               label="Échéancier").ok:
        flash("Échéancier enregistré.", "success")
    return _back(convention, "echeancier")


# ---------------------------------------------------------------- payments
@bp.route("/conventions/<int:convention_id>/versements", methods=["POST"])
@access("funding.manage")
def payment_add(convention_id: int):
    convention = convention_or_404(convention_id)
    form = PaymentForm(prefix="versement")
    if not form.validate_on_submit():
        flash_form_errors(form, "Versement")
        return _back(convention, "versements")
    data = PaymentData(received_on=form.received_on.data, amount=form.amount.data,
                       instalment_id=form.instalment_id.data, comment=form.comment.data or "")
    if attempt(lambda: add_payment(db.session, current_user, convention, data, today=today()),
               label="Versement").ok:
        flash("Versement enregistré.", "success")
    return _back(convention, "versements")


@bp.route("/conventions/<int:convention_id>/versements/<int:payment_id>/supprimer",
          methods=["POST"])
@access("funding.manage")
def payment_delete(convention_id: int, payment_id: int):
    convention = convention_or_404(convention_id)
    payment = child_or_404(Payment, payment_id, convention)
    if _valid(EmptyForm()) and attempt(
            lambda: delete_payment(db.session, current_user, payment)).ok:
        flash("Versement supprimé.", "success")
    return _back(convention, "versements")


# ---------------------------------------------------------------- reporting deadlines
@bp.route("/conventions/<int:convention_id>/rapports", methods=["POST"])
@access("funding.manage")
def deadline_add(convention_id: int):
    convention = convention_or_404(convention_id)
    form = DeadlineForm(prefix="rapport")
    if not form.validate_on_submit():
        flash_form_errors(form, "Rapport")
        return _back(convention, "rapports")
    data = DeadlineData(label=form.label.data or "", due_date=form.due_date.data)
    if attempt(lambda: save_deadline(db.session, current_user, convention, None, data),
               label="Rapport").ok:
        flash("Échéance de rapport ajoutée.", "success")
    return _back(convention, "rapports")


@bp.route("/conventions/<int:convention_id>/rapports/<int:deadline_id>/fait",
          methods=["POST"])
@access("funding.manage")
def deadline_toggle(convention_id: int, deadline_id: int):
    """Mark a report as sent today, or undo it."""
    convention = convention_or_404(convention_id)
    deadline = child_or_404(ReportingDeadline, deadline_id, convention)
    done = None if deadline.done_date else today()
    data = DeadlineData(label=deadline.label, due_date=deadline.due_date, done_date=done)
    if _valid(EmptyForm()) and attempt(
            lambda: save_deadline(db.session, current_user, convention, deadline, data)).ok:
        flash(f"« {data.label} » : " + ("marqué comme remis." if done else "remis à faire."),
              "success")
    return _back(convention, "rapports")


@bp.route("/conventions/<int:convention_id>/rapports/<int:deadline_id>/supprimer",
          methods=["POST"])
@access("funding.manage")
def deadline_delete(convention_id: int, deadline_id: int):
    convention = convention_or_404(convention_id)
    deadline = child_or_404(ReportingDeadline, deadline_id, convention)
    if _valid(EmptyForm()) and attempt(
            lambda: delete_deadline(db.session, current_user, deadline)).ok:
        flash("Échéance de rapport supprimée.", "success")
    return _back(convention, "rapports")
