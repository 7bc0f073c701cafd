"""/admin/taches: the scheduled jobs, their last runs and "lancer maintenant" (admins only).

The jobs run in the huey worker (``models.parcours.jobs``); this page reads what they
recorded (``job_run``). "Lancer maintenant" queues the job for the worker, or, with
``PARCOURS_JOBS = "inline"`` (tests, a demo without a worker), runs it in the request.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from models import clock
from models.accounts.orm import User
from models.operations import schedule
from webapp.access import access
from webapp.admin import bp
from webapp.extensions import db

log = logging.getLogger(__name__)

QUEUE_DOWN = ("La file des tâches de fond est indisponible : la tâche n'a pas été lancée. "
              "Réessayez dans quelques minutes ; si cela dure, vérifiez que le travailleur "
              "tourne (ligne worker du Procfile) et sa file (HUEY_REDIS_URL).")
#: the mail job runs every minute: silent longer than this, the worker is probably stopped
WORKER_SILENT_AFTER = timedelta(minutes=10)
BADGES = {"reussie": "text-bg-success", "echec": "text-bg-danger",
          "interrompue": "text-bg-warning", "en_cours": "text-bg-info"}


def _helpers() -> dict:
    return {"status_labels": schedule.STATUS_LABELS, "badges": BADGES,
            "trigger_labels": schedule.TRIGGER_LABELS,
            "duration": schedule.format_duration}


@bp.route("/taches")
@access("jobs.view")
def tasks():
    now = clock.now()
    states = schedule.overview(db.session, now)
    ran = [s.last for s in states if s.last is not None]
    first_next = min((s.next_at for s in states if s.next_at), default=None)
    mail = next(s for s in states if s.job.name == "courriels")
    silent_since = None
    if ran and (mail.last is None or _aware(mail.last.started_at) < now - WORKER_SILENT_AFTER):
        silent_since = max(_aware(r.started_at) for r in ran)
    failing = [s for s in states if s.last is not None
               and s.last.status in ("echec", "interrompue")]
    return render_template("admin/tasks.html", states=states, any_run=bool(ran),
                           first_next=first_next, silent_since=silent_since, failing=failing,
                           **_helpers())


@bp.route("/taches/<name>")
@access("jobs.view")
def task_history(name: str):
    job = schedule.get_job(name)
    if job is None:
        abort(404)
    runs = schedule.history(db.session, name)
    ids = {r.requested_by_id for r in runs if r.requested_by_id}
    names = {row.id: row.full_name for row in db.session.execute(
        select(User.id, User.full_name).where(User.id.in_(ids)))} if ids else {}
    return render_template("admin/task_history.html", job=job, runs=runs, requesters=names,
                           next_at=schedule.next_run(name), **_helpers())


@bp.route("/taches/<name>/lancer", methods=["POST"])
@access("jobs.run")
def task_run(name: str):
    job = schedule.get_job(name)
    if job is None:
        abort(404)
    back = redirect(url_for("admin.task_history", name=name))
    if current_app.config.get("PARCOURS_JOBS", "huey") == "inline":
        db.session.rollback()  # the job uses its own sessions: let go of this one's reads
        run = schedule.run_job(db.engine, name, trigger="manuelle",
                               requested_by=current_user.id)
        flash(f"« {job.label} » : {run.message}",
              "success" if run.status == "reussie" else
              "info" if run.status == "en_cours" else "danger")
        return back
    try:
        from models.parcours.jobs import run_job_now

        run_job_now(name, current_user.id)
    except Exception:  # noqa: BLE001 - queue unreachable or not loadable: say so
        log.exception("scheduled job %s could not be queued", name)
        flash(QUEUE_DOWN, "danger")
        return back
    flash(f"« {job.label} » est lancée : son résultat apparaîtra ci-dessous dans quelques "
          "instants (rechargez la page).", "success")
    return back


def _aware(value):
    from datetime import UTC

    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@bp.app_template_global("has_endpoint")
def has_endpoint(endpoint: str) -> bool:
    """For the admin menu: link a page only once its view exists (parts built apart)."""
    return endpoint in current_app.view_functions
