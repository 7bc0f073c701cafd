"""The catalogue: upcoming sessions with filters (every signed-in account), the list of
trainings, a training's page, and the team's training form."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from models.errors import ConcurrentEdit
from models.policy import can
from models.training import queries
from models.training.enums import Job, Modality, SessionStatus
from models.training.orm import Training, TrainingSession
from models.training.services import TrainingData, save_training
from webapp.access import access
from webapp.extensions import db
from webapp.forms_common import version_of
from webapp.listing import list_page
from webapp.training import bp
from webapp.training.common import action_choices, funders, today, training_or_404
from webapp.training.forms import TrainingForm
from webapp.unit_of_work import attempt


@bp.route("/")
@access("training.view")
def index():
    args = request.args
    on = today()
    period = args.get("periode", "a_venir")
    stmt = queries.catalogue_stmt(
        today=on, month=args.get("mois", ""), job=args.get("fonction", ""),
        modality=args.get("modalite", ""), seats_left=args.get("places") == "1",
        search=args.get("q", ""), period=period, status=args.get("statut", ""))
    listing = list_page(stmt, queries.CATALOGUE_SORTS, "date", tiebreak=TrainingSession.id)
    manage = can(current_user, "training.manage")
    return render_template(
        "training/index.html", listing=listing, months=queries.months(db.session),
        jobs=list(Job), modalities=list(Modality), statuses=list(SessionStatus),
        period=period, manage=manage, today=on,
        counts=queries.seat_counts(db.session, [ts.id for ts in listing.items]),
        below_minimum=queries.below_minimum(db.session, on) if manage else [])


@bp.route("/catalogue")
@access("training.view")
def trainings():
    args = request.args
    manage = can(current_user, "training.manage")
    active = {"1": True, "0": False}.get(args.get("actif", "1" if not manage else ""))
    stmt = queries.trainings_stmt(search=args.get("q", ""), job=args.get("fonction", ""),
                                  modality=args.get("modalite", ""), active=active)
    listing = list_page(stmt, queries.TRAINING_SORTS, "titre", tiebreak=Training.id)
    return render_template("training/trainings.html", listing=listing, jobs=list(Job),
                           modalities=list(Modality), manage=manage,
                           counts=queries.live_session_counts(
                               db.session, [t.id for t in listing.items]))


@bp.route("/<int:training_id>")
@access("training.view")
def training_detail(training_id: int):
    training = training_or_404(training_id)
    return render_template(
        "training/training_detail.html", training=training,
        sessions=queries.training_sessions(db.session, training),
        manage=can(current_user, "training.manage"), today=today())


def _form(**kwargs) -> TrainingForm:
    return TrainingForm(actions=action_choices(), funders=funders(), **kwargs)


def _data(form: TrainingForm) -> TrainingData:
    return TrainingData(
        title=form.title.data or "", duration_days=form.duration_days.data,
        duration_hours=form.duration_hours.data, modality=form.modality.data or "",
        audience=list(form.audience.data or []), objectives=form.objectives.data or "",
        content=form.content.data or "", prerequisites=form.prerequisites.data or "",
        provider=form.provider.data or "", trainer=form.trainer.data or "",
        cost_per_trainee=form.cost_per_trainee.data,
        action_id=form.action_id.data,
        funder_id=form.funder_id.data, active=bool(form.active.data))


@bp.route("/nouvelle", methods=["GET", "POST"])
@access("training.manage")
def training_new():
    form = _form()
    if form.validate_on_submit():
        done = attempt(lambda: save_training(db.session, current_user, None, _data(form)),
                       form=form)
        if done.ok:
            flash(f"Formation « {done.value.title} » créée. Programmez-en une session.",
                  "success")
            return redirect(url_for("training.training_detail", training_id=done.value.id))
    return render_template("training/training_form.html", form=form, training=None)


@bp.route("/<int:training_id>/modifier", methods=["GET", "POST"])
@access("training.manage")
def training_edit(training_id: int):
    training = training_or_404(training_id)
    form = _form(obj=training if request.method == "GET" else None)
    if request.method == "GET":
        form.modality.data = Modality(training.modality).value
        form.audience.data = list(training.audience or [])
        form.version_id.data = str(training.version_id)
    elif form.validate_on_submit():
        done = attempt(lambda: save_training(
            db.session, current_user, training, _data(form),
            expected_version=version_of(form.version_id.data)), form=form)
        if isinstance(done.error, ConcurrentEdit):
            flash("Votre saisie est conservée ci-dessous : comparez-la avec la version "
                  "actuelle avant d'enregistrer à nouveau.", "info")
            form.version_id.data = str(db.session.get(Training, training_id).version_id)
        if done.ok:
            flash("Formation enregistrée.", "success")
            return redirect(url_for("training.training_detail", training_id=training_id))
    return render_template("training/training_form.html", form=form, training=training)

