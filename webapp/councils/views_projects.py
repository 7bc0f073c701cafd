"""/conseils/projets: collective projects (clusters, working groups, collective actions).

The team runs them (sheet, phase, participating MLs, binômes, experiments, evaluation);
the copil and the missions locales read them (an ml account sees every project and edits
nothing). The evaluation survey behind each personal link needs no account: the signed
token is the only key (``models.councils.project_evaluation``).
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from models.councils import project_evaluation as evaluation
from models.councils import projects as domain
from models.councils import register
from models.councils.enums import (
    BinomeRole,
    ExperimentStatus,
    ParticipantStatus,
    ProjectKind,
    ProjectPhase,
)
from models.councils.orm import (
    CollectiveProject,
    CouncilSeries,
    Experiment,
    Meeting,
    ProjectParticipant,
)
from models.errors import ConcurrentEdit
from models.formatting import format_date
from models.network.queries import mission_locale_choices
from models.policy import can
from models.programme import queries as programme_queries
from models.training.orm import Training
from webapp.access import access, ensure, public
from webapp.councils import bp
from webapp.councils.forms_projects import (
    BinomeForm,
    EmptyForm,
    EvaluationSettingsForm,
    ExperimentForm,
    ParticipantForm,
    ParticipantStatusForm,
    PhaseForm,
    ProjectForm,
    ProjectSurveyForm,
    SendForm,
)
from webapp.extensions import db
from webapp.forms_common import version_of
from webapp.links import public_url
from webapp.listing import list_page
from webapp.unit_of_work import attempt, flash_form_errors

STATUS_OF = {"forged": 404, "expired": 410, "used": 410}
BADGES = {"phase": domain.PHASE_BADGES, "participant": domain.PARTICIPANT_BADGES,
          "experiment": domain.EXPERIMENT_BADGES}


# ---------------------------------------------------------------- lookups
def project_or_404(project_id: int) -> CollectiveProject:
    project = db.session.get(CollectiveProject, project_id)
    ensure(project is not None)
    return project


def participant_or_404(participant_id: int) -> ProjectParticipant:
    participant = db.session.get(ProjectParticipant, participant_id)
    ensure(participant is not None)
    return participant


def experiment_or_404(experiment_id: int) -> Experiment:
    experiment = db.session.get(Experiment, experiment_id)
    ensure(experiment is not None)
    return experiment


def _series_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(select(CouncilSeries.id, CouncilSeries.name)
                              .order_by(CouncilSeries.name))
    return [(i, name) for i, name in rows]


def _training_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(select(Training.id, Training.title)
                              .order_by(Training.title, Training.id))
    return [(i, title) for i, title in rows]


def _to_project(project: CollectiveProject, anchor: str = ""):
    return redirect(url_for("councils.project_detail", project_id=project.id)
                    + (f"#{anchor}" if anchor else ""))


def _concurrent_note(done) -> None:
    if isinstance(done.error, ConcurrentEdit):
        flash("Votre saisie est conservée ci-dessous : comparez-la avec la version actuelle "
              "avant d'enregistrer à nouveau.", "info")


# ---------------------------------------------------------------- list and page
@bp.route("/projets")
@access("councils.view")
def projects():
    args = request.args
    phase, kind = args.get("phase", ""), args.get("type", "")
    stmt = domain.projects_stmt(phase=phase, kind=kind, search=args.get("q", ""))
    listing = list_page(stmt, domain.PROJECT_SORTS, "titre", tiebreak=CollectiveProject.id)
    return render_template(
        "councils/projects.html", listing=listing, phases=list(ProjectPhase),
        kinds=list(ProjectKind), manage=can(current_user, "councils.manage"),
        counts=domain.participating_counts(db.session, [p.id for p in listing.items]),
        due={p.id: domain.evaluation_due(db.session, p) for p in listing.items},
        filtered=bool(phase or kind or args.get("q")), badges=BADGES)


@bp.route("/projets/<int:project_id>")
@access("councils.view")
def project_detail(project_id: int):
    project = project_or_404(project_id)
    manage = can(current_user, "councils.manage")
    phase_form = PhaseForm(formdata=None, phase=ProjectPhase(project.phase).value,
                           version_id=str(project.version_id))
    settings_form = EvaluationSettingsForm(
        formdata=None, evaluation_months=project.evaluation_months,
        evaluation_due=project.evaluation_due, version_id=str(project.version_id))
    meetings: list[Meeting] = project.series.meetings if project.series is not None else []
    training = db.session.get(Training, project.training_id) if project.training_id else None
    taken = {p.mission_locale_id for p in project.participants}
    ml_choices = [(i, label) for i, label in mission_locale_choices(db.session,
                                                                    active_only=True)
                  if i not in taken] if manage else []
    summary = evaluation.summary(db.session, project)
    asked = evaluation.invitees(db.session, project) if manage else []
    return render_template(
        "councils/project_detail.html", project=project, manage=manage,
        phases=list(ProjectPhase), statuses=list(ParticipantStatus), badges=BADGES,
        training=training, sessions=domain.project_sessions(db.session, project),
        meetings=meetings, participating=domain.participating_count(db.session, project),
        last_session=domain.last_session_date(db.session, project),
        window=domain.evaluation_window(db.session, project),
        due=domain.evaluation_due(db.session, project),
        computed_due=domain.computed_due(db.session, project),
        summary=summary, questions=evaluation.QUESTIONS,
        asked=len(asked), pending=sum(m.evaluation_done_at is None for m in asked),
        phase_form=phase_form, settings_form=settings_form,
        participant_form=ParticipantForm(formdata=None, missions_locales=ml_choices),
        status_form=ParticipantStatusForm(formdata=None), send_form=SendForm(formdata=None),
        row_form=EmptyForm(formdata=None), decisions=_decisions(project),
        source_label=register.source_label, is_overdue=register.is_overdue)


def _decisions(project):
    """The project's decisions the reader may see: those of its series' meetings and
    those recorded for the project itself (the one register, filtered)."""
    if project.series_id is None:
        found = register.register(db.session, current_user,
                                  register.RegisterFilters(project_id=project.id))
    else:
        found = register.register(db.session, current_user,
                                  register.RegisterFilters(series_id=project.series_id))
        found += [d for d in register.register(
            db.session, current_user, register.RegisterFilters(project_id=project.id))
            if d.series_id != project.series_id]
    return found


# ---------------------------------------------------------------- the project sheet
def _project_form(**kwargs) -> ProjectForm:
    return ProjectForm(actions=programme_queries.action_choices(db.session),
                       series=_series_choices(), trainings=_training_choices(), **kwargs)


def _project_data(form: ProjectForm) -> domain.ProjectData:
    return domain.ProjectData(
        title=form.title.data or "", kind=form.kind.data or "",
        description=form.description.data or "", partners=form.partners.data or "",
        action_id=form.action_id.data, series_id=form.series_id.data,
        training_id=form.training_id.data)


@bp.route("/projets/nouveau", methods=["GET", "POST"])
@access("councils.manage")
def project_new():
    form = _project_form()
    if form.validate_on_submit():
        done = attempt(lambda: domain.save_project(db.session, current_user, None,
                                                   _project_data(form)), form=form)
        if done.ok:
            flash(f"Projet « {done.value.title} » créé, en appel à candidatures. Ajoutez les "
                  "missions locales candidates.", "success")
            return _to_project(done.value)
    return render_template("councils/project_form.html", form=form, project=None)


@bp.route("/projets/<int:project_id>/modifier", methods=["GET", "POST"])
@access("councils.manage")
def project_edit(project_id: int):
    project = project_or_404(project_id)
    form = _project_form(obj=project if request.method == "GET" else None)
    if request.method == "GET":
        form.kind.data = ProjectKind(project.kind).value
        form.version_id.data = str(project.version_id)
    elif form.validate_on_submit():
        done = attempt(lambda: domain.save_project(
            db.session, current_user, project, _project_data(form),
            expected_version=version_of(form.version_id.data)), form=form)
        _concurrent_note(done)
        if isinstance(done.error, ConcurrentEdit):
            form.version_id.data = str(project_or_404(project_id).version_id)
        if done.ok:
            flash("Projet enregistré.", "success")
            return _to_project(done.value)
    return render_template("councils/project_form.html", form=form, project=project)


@bp.route("/projets/<int:project_id>/phase", methods=["POST"])
@access("councils.manage")
def project_phase(project_id: int):
    project = project_or_404(project_id)
    form = PhaseForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _to_project(project)
    done = attempt(lambda: domain.set_phase(db.session, current_user, project,
                                            form.phase.data or "",
                                            expected_version=version_of(form.version_id.data)))
    if done.ok:
        flash(f"Le projet passe en phase « {ProjectPhase(done.value.phase).label} ».",
              "success")
    return _to_project(project_or_404(project_id))


# ---------------------------------------------------------------- participants
@bp.route("/projets/<int:project_id>/participants", methods=["POST"])
@access("councils.manage")
def project_participant_add(project_id: int):
    project = project_or_404(project_id)
    form = ParticipantForm(missions_locales=[])
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _to_project(project, "participants")
    done = attempt(lambda: domain.add_participant(
        db.session, current_user, project, form.mission_locale_id.data,
        form.status.data or ParticipantStatus.CANDIDAT.value))
    if done.ok:
        flash(f"« {done.value.mission_locale.name} » rejoint le projet. Saisissez son "
              "binôme.", "success")
    return _to_project(project_or_404(project_id), "participants")


@bp.route("/projets/participants/<int:participant_id>/statut", methods=["POST"])
@access("councils.manage")
def project_participant_status(participant_id: int):
    participant = participant_or_404(participant_id)
    project_id = participant.project_id
    form = ParticipantStatusForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _to_project(participant.project, "participants")
    done = attempt(lambda: domain.set_participant_status(
        db.session, current_user, participant, form.status.data or "",
        form.withdrawal_reason.data or "", expected_version=version_of(form.version_id.data)))
    if done.ok:
        flash(f"« {done.value.mission_locale.name} » : "
              f"{ParticipantStatus(done.value.status).label.lower()}.", "success")
    return _to_project(project_or_404(project_id), "participants")


@bp.route("/projets/participants/<int:participant_id>/binome", methods=["GET", "POST"])
@access("councils.manage")
def project_binome(participant_id: int):
    participant = participant_or_404(participant_id)
    project = participant.project
    form = BinomeForm(formdata=None if request.method == "GET" else request.form)
    if request.method == "GET":
        # the direction first, as the form shows it
        members = sorted(participant.binome,
                         key=lambda m: (BinomeRole(m.role) is not BinomeRole.DIRECTION, m.id))
        for n, member in zip(BinomeForm.ROWS, members, strict=False):
            getattr(form, f"full_name_{n}").data = member.full_name
            getattr(form, f"email_{n}").data = member.email
            getattr(form, f"role_{n}").data = BinomeRole(member.role).value
        form.version_id.data = str(participant.version_id)
    elif form.validate_on_submit():
        done = attempt(lambda: domain.set_binome(
            db.session, current_user, participant, form.rows(),
            expected_version=version_of(form.version_id.data)), form=form)
        _concurrent_note(done)
        if isinstance(done.error, ConcurrentEdit):
            form.version_id.data = str(participant_or_404(participant_id).version_id)
        if done.ok:
            flash(f"Binôme de « {participant_or_404(participant_id).mission_locale.name} » "
                  "enregistré.", "success")
            return _to_project(project_or_404(project.id), "participants")
        participant = participant_or_404(participant_id)
    return render_template("councils/project_binome.html", form=form,
                           participant=participant, project=participant.project)


# ---------------------------------------------------------------- experiments
def _experiment_data(form: ExperimentForm) -> domain.ExperimentData:
    return domain.ExperimentData(objective=form.objective.data or "",
                                 indicators=form.indicators.data or "",
                                 status=form.status.data or "")


@bp.route("/projets/participants/<int:participant_id>/experimentations/nouvelle",
          methods=["GET", "POST"])
@access("councils.manage")
def project_experiment_new(participant_id: int):
    participant = participant_or_404(participant_id)
    form = ExperimentForm()
    if form.validate_on_submit():
        done = attempt(lambda: domain.save_experiment(
            db.session, current_user, participant, None, _experiment_data(form)), form=form)
        if done.ok:
            flash("Expérimentation ajoutée.", "success")
            return _to_project(project_or_404(participant.project_id), "participants")
        participant = participant_or_404(participant_id)
    return render_template("councils/project_experiment.html", form=form,
                           participant=participant, project=participant.project,
                           experiment=None)


@bp.route("/projets/experimentations/<int:experiment_id>/modifier", methods=["GET", "POST"])
@access("councils.manage")
def project_experiment_edit(experiment_id: int):
    experiment = experiment_or_404(experiment_id)
    form = ExperimentForm(obj=experiment if request.method == "GET" else None)
    if request.method == "GET":
        form.status.data = ExperimentStatus(experiment.status).value
    elif form.validate_on_submit():
        done = attempt(lambda: domain.save_experiment(
            db.session, current_user, experiment.participant, experiment,
            _experiment_data(form)), form=form)
        if done.ok:
            flash("Expérimentation enregistrée.", "success")
            return _to_project(done.value.participant.project, "participants")
        experiment = experiment_or_404(experiment_id)
    participant = experiment.participant
    return render_template("councils/project_experiment.html", form=form,
                           participant=participant, project=participant.project,
                           experiment=experiment)


@bp.route("/projets/experimentations/<int:experiment_id>/supprimer", methods=["POST"])
@access("councils.manage")
def project_experiment_delete(experiment_id: int):
    experiment = experiment_or_404(experiment_id)
    project_id = experiment.participant.project_id
    form = EmptyForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _to_project(project_or_404(project_id), "participants")
    done = attempt(lambda: domain.delete_experiment(db.session, current_user, experiment))
    if done.ok:
        flash("Expérimentation supprimée.", "success")
    return _to_project(project_or_404(project_id), "participants")


# ---------------------------------------------------------------- evaluation
def _secret() -> str:
    return current_app.config["SECRET_KEY"]


def _max_age() -> timedelta:
    return current_app.config.get("PROJECT_EVALUATION_MAX_AGE", evaluation.DEFAULT_MAX_AGE)


@bp.route("/projets/<int:project_id>/evaluation", methods=["POST"])
@access("councils.manage")
def project_evaluation_settings(project_id: int):
    project = project_or_404(project_id)
    form = EvaluationSettingsForm()
    if not form.validate_on_submit():
        flash_form_errors(form, "Évaluation")
        return _to_project(project, "evaluation")
    done = attempt(lambda: domain.set_evaluation(
        db.session, current_user, project, months=form.evaluation_months.data,
        due=form.evaluation_due.data, expected_version=version_of(form.version_id.data)),
        label="Évaluation")
    if done.ok:
        when = domain.evaluation_due(db.session, done.value)
        flash("Évaluation enregistrée" + (f" : prévue le {format_date(when)}." if when else
                                          " ; la date se calculera depuis la dernière session."),
              "success")
    return _to_project(project_or_404(project_id), "evaluation")


@bp.route("/projets/<int:project_id>/evaluation/envoi", methods=["POST"])
@access("councils.manage")
def project_evaluation_send(project_id: int):
    project = project_or_404(project_id)
    form = SendForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _to_project(project, "evaluation")
    reminder = form.relance.data == "1"
    placeholder = "-"
    base = public_url("councils.project_evaluation_survey", token=placeholder)[:-1]
    done = attempt(lambda: evaluation.send_evaluation_requests(
        db.session, current_user, project, _secret(), base, reminder=reminder,
        max_age=_max_age()))
    if done.ok:
        s = "s" if done.value > 1 else ""
        what = f"relance{s}" if reminder else f"demande{s} d'évaluation"
        flash(f"{done.value} {what} envoyée{s} : chaque membre des binômes reçoit son lien "
              "personnel.", "success")
    return _to_project(project_or_404(project_id), "evaluation")


def _invalid(error: evaluation.InvalidToken):
    return render_template("training/evaluation_invalid.html", error=error), \
        STATUS_OF.get(error.reason, 400)


@bp.route("/projets/evaluation/<token>", methods=["GET", "POST"])
@public
def project_evaluation_survey(token: str):
    try:
        member = evaluation.check_token(db.session, token, secret=_secret(),
                                        max_age=_max_age())
    except evaluation.InvalidToken as error:
        return _invalid(error)
    project = evaluation.project_of(member)
    form = ProjectSurveyForm()
    if request.method == "POST" and form.validate_on_submit():
        answers = {key: getattr(form, key).data for key, _ in evaluation.QUESTIONS}
        answers["comment"] = form.comment.data
        done = attempt(lambda: evaluation.submit(db.session, token, answers, secret=_secret(),
                                                 max_age=_max_age()), form=form)
        if done.ok:
            return render_template("councils/project_evaluation_thanks.html", project=project)
        if isinstance(done.error, evaluation.InvalidToken):  # answered meanwhile
            return _invalid(done.error)
    return render_template("councils/project_evaluation_form.html", form=form, project=project,
                           comment_max=evaluation.COMMENT_MAX)
