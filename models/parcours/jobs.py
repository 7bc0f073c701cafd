"""The background job runner (huey): imports, and the scheduled jobs.

Storage: a SQLite file under the instance folder by default (nothing to install,
survives restarts); ``HUEY_REDIS_URL`` switches to Redis for a deployment where
the web app and the worker run on different machines. The worker is the Procfile's
``worker:`` line (``huey_consumer models.parcours.jobs.huey``).

The database, not the queue, is the source of truth: at start-up the worker sweeps
imports left "en attente" / "en cours" by a crash or a restart (their staged rows
are dropped) and queues them again, so a restart never loses an import.

The scheduled jobs (``models.operations.schedule.JOBS``: mail retries, expiry of
offered seats, the imports sweep, the nightly backup, the retention purge and the
other retention, mentoring reminders) are huey periodic tasks of this same worker:
no cron to set up. Each calls ``schedule.run_job``, which records the run for the
admin page "Tâches planifiées"; ``run_job_now`` is that page's "lancer maintenant".
At start-up the runs a previous worker left "en cours" are marked "interrompue".
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from huey import Huey, RedisHuey, SqliteHuey
from sqlalchemy import Engine

from models import clock
from models.database import make_engine
from models.errors import DomainError
from models.operations import schedule
from models.parcours.lifecycle import cleanup_stale
from models.parcours.pipeline import run_import
from models.parcours.uploads import delete_upload, uploads_folder  # noqa: F401 (tests)
from models.settings import database_url, instance_path

log = logging.getLogger(__name__)


def make_huey() -> Huey:
    redis_url = os.environ.get("HUEY_REDIS_URL", "").strip()
    if redis_url:
        return RedisHuey("animareseau", url=redis_url)
    folder = instance_path()
    folder.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("animareseau", filename=str(folder / "huey.db"))


huey = make_huey()


@cache
def _engine() -> Engine:
    return make_engine(database_url())


@huey.task()
def import_extract(import_id: int, path: str) -> None:
    """Run one queued import; the upload is deleted once the import has an outcome."""
    try:
        run_import(_engine(), import_id, Path(path), today=clock.today())
    except DomainError as exc:  # refused: recorded on the import, nothing to retry
        log.info("parcours import %s refused: %s", import_id, exc)
    except LookupError:  # the import no longer exists (database reset): drop its upload
        log.warning("parcours import %s no longer exists; its upload is deleted", import_id)
    finally:
        _forget_upload(import_id, Path(path))


def _forget_upload(import_id: int, path: Path) -> None:
    """Delete a web upload (its own folder under ``uploads_folder``) once the import is over.

    Idempotent: a job queued twice (a sweep racing a slow queue) finds it gone already.
    """
    from sqlalchemy.orm import Session

    from models.parcours.orm import ParcoursImport

    with Session(_engine()) as session:
        record = session.get(ParcoursImport, import_id)
        if record is not None and not record.finished:
            return  # interrupted or run elsewhere: the sweep will run it again
        if record is not None and record.stored_path is not None:
            record.stored_path = None
            session.commit()
    delete_upload(path)


def requeue_interrupted(engine: Engine | None = None) -> list[int]:
    """Queue again the imports a crash or a restart left unfinished (quiet for 5 min)."""

    from sqlalchemy.orm import Session

    from models.parcours.orm import ParcoursImport

    engine = engine or _engine()
    queued = []
    for import_id in cleanup_stale(engine):
        with Session(engine) as session:
            record = session.get(ParcoursImport, import_id)
            if record is None:
                continue
            path = record.stored_path
            if not path or not Path(path).exists():
                record.status, record.stage = "echec", "Échec"
                record.message = ("L'import s'est interrompu et ses fichiers ne sont plus "
                                  "disponibles : déposez l'extraction à nouveau.")
                record.finished_at = clock.now()
                session.commit()
                continue
        log.info("parcours import %s queued again after an interruption", import_id)
        import_extract(import_id, path)
        queued.append(import_id)
    return queued


#: runs "en cours" that started before this process are a previous worker's
_STARTED = clock.now()


@huey.on_startup()
def sweep_at_startup() -> None:
    try:
        schedule.mark_interrupted(_engine(), started_before=_STARTED)
    except Exception:  # noqa: BLE001 - the worker must start (imports) even so
        log.exception("could not mark the interrupted scheduled job runs")
    requeue_interrupted()


# ---------------------------------------------------------------- scheduled jobs
def _due(job: schedule.Job):
    """huey's periodic check (``timestamp``: naive UTC, huey's default) read in French
    local time through the job's crontab."""

    def validate(timestamp: datetime) -> bool:
        moment = timestamp if timestamp.tzinfo else timestamp.replace(tzinfo=UTC)
        return job.matches(moment)

    return validate


def _periodic(job: schedule.Job, task_name: str):
    def run_scheduled() -> str:
        return schedule.run_job(_engine(), job.name).status

    run_scheduled.__name__ = run_scheduled.__qualname__ = task_name
    run_scheduled.__doc__ = f"Scheduled job « {job.label} » ({job.schedule})."
    return huey.periodic_task(_due(job), name=task_name)(run_scheduled)


#: one huey periodic task per scheduled job, by job name
SCHEDULED = {name: _periodic(job, "tache_" + name.replace("-", "_"))
             for name, job in schedule.JOBS.items() if name != "relances-parrainage"}


@huey.periodic_task(_due(schedule.JOBS["relances-parrainage"]),
                    name="mentoring_follow_up_reminders")
def mentoring_follow_up_reminders() -> int:
    """Every morning: remind the référents parrainage of the six-month follow-ups due and
    not recorded (idempotent: ``models.mentoring.reminders``); returns how many."""
    run = schedule.run_job(_engine(), "relances-parrainage")
    return getattr(run, "count", 0) or 0


SCHEDULED["relances-parrainage"] = mentoring_follow_up_reminders


@huey.task()
def run_job_now(name: str, user_id: int | None) -> None:
    """"Lancer maintenant" on the admin page: the same job, recorded as run by hand."""
    if schedule.get_job(name) is None:
        log.warning("unknown scheduled job %r asked for", name)
        return
    schedule.run_job(_engine(), name, trigger="manuelle", requested_by=user_id)
