"""The background job runner for imports (huey).

Storage: a SQLite file under the instance folder by default (nothing to install,
survives restarts); ``HUEY_REDIS_URL`` switches to Redis for a deployment where
the web app and the worker run on different machines. The worker is the Procfile's
``worker:`` line (``huey_consumer models.parcours.jobs.huey``).

The database, not the queue, is the source of truth: at start-up the worker sweeps
imports left "en attente" / "en cours" by a crash or a restart (their staged rows
are dropped) and queues them again, so a restart never loses an import.
"""

from __future__ import annotations

import logging
import os
from functools import cache
from pathlib import Path

from huey import Huey, RedisHuey, SqliteHuey, crontab
from sqlalchemy import Engine

from models import clock
from models.database import make_engine
from models.errors import DomainError
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


def requeue_interrupted() -> list[int]:
    """Queue again the imports a crash or a restart left unfinished (quiet for 5 min)."""

    from sqlalchemy.orm import Session

    from models.parcours.orm import ParcoursImport

    engine = _engine()
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


@huey.on_startup()
def sweep_at_startup() -> None:
    requeue_interrupted()


@huey.periodic_task(crontab(minute="*/5"))
def sweep_every_five_minutes() -> None:
    """Imports interrupted just before a restart look alive at start-up: catch them later."""
    requeue_interrupted()


@huey.periodic_task(crontab(hour="7", minute="15"))
def mentoring_follow_up_reminders() -> int:
    """Every morning: remind the référents parrainage of the six-month follow-ups due and
    not recorded (idempotent: ``models.mentoring.reminders``), then commit."""
    from sqlalchemy.orm import Session

    from models.audit import set_actor
    from models.mentoring.reminders import send_follow_up_reminders

    with Session(_engine()) as session:
        set_actor(session, None, via="job")
        count = send_follow_up_reminders(
            session, today=clock.today(),
            base_url=os.environ.get("PUBLIC_BASE_URL", "").strip().rstrip("/"))
        session.commit()
    log.info("mentoring: %d follow-up reminder(s) queued", count)
    return count
