"""Programmes: list, creation, overview by axis, workflow, duplication, calendar, exports."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from models.network.queries import current_region
from models.policy import can
from models.programme import queries
from models.programme.enums import ActionStatus, ProgrammeStatus
from models.programme.orm import Action, Axis, CopilMeeting, Objective
from models.programme.rules import transitions_from
from models.programme.services import (
    ProgrammeData,
    create_programme,
    duplicate_programme,
    transition,
    update_programme,
)
from models.programme.team import update_reference
from webapp.access import access, ensure
from webapp.extensions import db
from webapp.forms_common import db_int, version_of
from webapp.programme import bp
from webapp.programme.common import programme_or_404, today
from webapp.programme.forms import EmptyForm, ProgrammeForm, ReferenceForm, TransitionForm
from webapp.unit_of_work import attempt, flash_form_errors


@bp.route("/")
@access("programme.view")
def index():
    rows = queries.programmes(db.session)
    return render_template("programme/index.html", programmes=rows,
                           action_counts=queries.action_counts(db.session),
                           current=queries.current_programme(db.session, today()))


@bp.route("/courant")
@access("programme.view")
def current():
    programme = queries.current_programme(db.session, today())
    if programme is None:
        return redirect(url_for("programme.index"))
    return redirect(url_for("programme.detail", programme_id=programme.id))


def _data(form: ProgrammeForm) -> ProgrammeData:
    return ProgrammeData(title=form.title.data or "", year=form.year.data,
                         etp_hours=form.etp_hours.data, etp_days=form.etp_days.data)


@bp.route("/nouveau", methods=["GET", "POST"])
@access("programme.manage")
def new():
    form = ProgrammeForm()
    if request.method == "GET":
        year = today().year + (1 if today().month >= 9 else 0)
        form.year.data = year
        form.title.data = f"Programme régional d'animation {year}"
    region = current_region(db.session)
    if region is None:
        flash("Aucune région n'est configurée : chargez la démonstration ou créez la région.",
              "danger")
    elif form.validate_on_submit():
        done = attempt(lambda: create_programme(db.session, current_user, region, _data(form)),
                       form=form)
        if done.ok:
            programme = done.value
            flash(f"Programme {programme.year} créé en brouillon. Ajoutez ses actions.", "success")
            return redirect(url_for("programme.detail", programme_id=programme.id))
    return render_template("programme/programme_form.html", form=form, programme=None)


@bp.route("/<int:programme_id>/modifier", methods=["GET", "POST"])
@access("programme.manage")
def edit(programme_id: int):
    programme = programme_or_404(programme_id)
    form = ProgrammeForm(obj=programme if request.method == "GET" else None)
    if request.method == "GET":
        form.version_id.data = str(programme.version_id)
    elif form.validate_on_submit():
        done = attempt(lambda: update_programme(
            db.session, current_user, programme, _data(form),
            expected_version=version_of(form.version_id.data)), form=form)
        if done.ok:
            flash("Programme mis à jour.", "success")
            return redirect(url_for("programme.detail", programme_id=programme.id))
    return render_template("programme/programme_form.html", form=form, programme=programme)


@bp.route("/<int:programme_id>")
@access("programme.view")
def detail(programme_id: int):
    programme = programme_or_404(programme_id)
    if not can(current_user, "programme.overview"):
        # A mission locale sees the actions it takes part in, nothing else.
        actions = db.session.scalars(queries.actions_stmt(
            current_user, programme.id, today=today()).order_by(Objective.code, Action.start_date))
        return render_template("programme/detail_ml.html", programme=programme,
                               actions=actions.unique().all(), today=today())
    session = db.session
    meetings = queries.meetings(session, programme)
    transition_forms = []
    for move in transitions_from(ProgrammeStatus(programme.status), current_user):
        form = TransitionForm(meetings=[(m.id, f"Copil du {m.meeting_date:%d/%m/%Y}")
                                        for m in meetings], prefix=f"t-{move.target.value}")
        form.target.data = move.target.value
        form.version_id.data = str(programme.version_id)
        transition_forms.append((move, form))
    return render_template(
        "programme/detail.html", programme=programme,
        overview=queries.overview(session, programme, today()),
        loads=queries.member_loads(session, programme),
        late=queries.late_deliverables(session, current_user, programme, today()),
        amendments=queries.amendments(session, programme),
        transition_forms=transition_forms, meetings=meetings,
        duplicate_form=EmptyForm(), statuses=ActionStatus)


@bp.route("/<int:programme_id>/transition", methods=["POST"])
@access("programme.manage")
def change_status(programme_id: int):
    programme = programme_or_404(programme_id)
    target = request.form.get("target_status", "")
    form = TransitionForm(meetings=[], prefix=f"t-{target}")
    if form.validate_on_submit():
        meeting = None
        if form.meeting_id.data:
            meeting = db.session.get(CopilMeeting, form.meeting_id.data)
        done = attempt(lambda: transition(
            db.session, current_user, programme, form.target.data, form.comment.data or "",
            meeting=meeting, expected_version=version_of(form.version_id.data)))
        if done.ok:
            flash(f"Programme {programme.year} : {done.value.to_status.label.lower()}.",
                  "success")
    else:
        flash_form_errors(form)
    return redirect(url_for("programme.detail", programme_id=programme.id))


@bp.route("/<int:programme_id>/dupliquer", methods=["POST"])
@access("programme.manage")
def duplicate(programme_id: int):
    programme = programme_or_404(programme_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("programme.detail", programme_id=programme.id))
    done = attempt(lambda: duplicate_programme(db.session, current_user, programme))
    if not done.ok:
        return redirect(url_for("programme.detail", programme_id=programme.id))
    copy = done.value
    flash(f"Brouillon {copy.year} créé avec {len(copy.actions)} actions « prévues », "
          "sans réalisations. Ajustez-le avant de le soumettre au copil.", "success")
    return redirect(url_for("programme.detail", programme_id=copy.id))


@bp.route("/<int:programme_id>/calendrier")
@access("programme.view")
def calendar(programme_id: int):
    programme = programme_or_404(programme_id)
    axis = request.args.get("axe", type=db_int)
    rows = queries.timeline(db.session, current_user, programme, today(), axis=axis)
    return render_template("programme/calendar.html", programme=programme, rows=rows,
                           axis=axis, today=today(), months=MONTHS)


MONTHS = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
          "nov.", "déc."]


def _download(programme_id: int, kind: str) -> Response:
    from models.programme.exports import export_filename, programme_csv, programme_xlsx

    programme = programme_or_404(programme_id)
    if kind == "xlsx":
        body: bytes | str = programme_xlsx(db.session, programme, today())
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = programme_csv(db.session, programme, today())
        mimetype = "text/csv"  # werkzeug adds "; charset=utf-8"
    name = export_filename(programme, kind)
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/<int:programme_id>/export.xlsx")
@access("programme.overview")
def export_xlsx(programme_id: int):
    return _download(programme_id, "xlsx")


@bp.route("/<int:programme_id>/export.csv")
@access("programme.overview")
def export_csv(programme_id: int):
    return _download(programme_id, "csv")


@bp.route("/referentiel")
@access("programme.overview")
def reference():
    editable = can(current_user, "programme.reference")
    return render_template("programme/reference.html", axes=queries.axes(db.session),
                           editable=editable, form=ReferenceForm())


@bp.route("/referentiel/<kind>/<int:item_id>", methods=["POST"])
@access("programme.reference")
def reference_update(kind: str, item_id: int):
    model = {"axe": Axis, "objectif": Objective}.get(kind)
    ensure(model is not None)
    obj = db.session.get(model, item_id)
    ensure(obj is not None)
    form = ReferenceForm()
    if form.validate_on_submit():
        if attempt(lambda: update_reference(db.session, current_user, obj,
                                            form.title.data)).ok:
            flash("Libellé mis à jour.", "success")
    else:
        flash_form_errors(form)
    return redirect(url_for("programme.reference"))
