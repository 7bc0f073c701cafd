"""Hand a committed import to the job runner.

``PARCOURS_JOBS = "huey"`` (default): queue ``jobs.import_extract`` on the huey worker,
so the request returns at once and a restart does not lose the import. ``"inline"``
(tests, a single-process demo): run the import in the request, after the commit.
Either way the outcome (done, refused with its French messages, failed) is recorded
on the import itself, which the status page reads.
"""

from __future__ import annotations

import logging
from pathlib import Path

from flask import current_app
from sqlalchemy import update

from models import clock
from models.errors import DomainError
from models.parcours.orm import ParcoursImport
from models.parcours.uploads import delete_upload
from models.parcours.uploads import uploads_folder as uploads_root  # noqa: F401 (views, tests)
from webapp.extensions import db
from webapp.quality.common import today

log = logging.getLogger(__name__)
QUEUE_DOWN = ("La file des tâches de fond est indisponible : l'import n'a pas pu être lancé "
              "et rien n'a été enregistré. Réessayez dans quelques minutes ; si cela dure, "
              "prévenez l'administrateur (travailleur des imports, HUEY_REDIS_URL).")


def dispatch(import_id: int, path: Path) -> None:
    if current_app.config.get("PARCOURS_JOBS", "huey") == "inline":
        _run_inline(import_id, path)
        return
    try:
        from models.parcours.jobs import import_extract

        result = import_extract(import_id, str(path))
    except Exception:  # queue unreachable or not loadable (Redis down or not installed,
        # huey.db locked): say so, keep nothing
        log.exception("parcours import %s could not be queued", import_id)
        with db.engine.begin() as conn:
            conn.execute(update(ParcoursImport).where(ParcoursImport.id == import_id).values(
                status="echec", stage="Échec", stored_path=None,
                finished_at=clock.now(), message=QUEUE_DOWN))
        delete_upload(path)
        return
    job_id = getattr(result, "id", None)
    if job_id:
        with db.engine.begin() as conn:
            conn.execute(update(ParcoursImport).where(ParcoursImport.id == import_id)
                         .values(job_id=str(job_id)[:64]))


def _run_inline(import_id: int, path: Path) -> None:
    from models.parcours.pipeline import run_import

    try:
        run_import(db.engine, import_id, path, today=today())
    except DomainError as exc:  # refused: already recorded on the import
        log.info("parcours import %s refused: %s", import_id, exc)
    except Exception:  # failed: recorded as "échec" by the pipeline
        log.exception("parcours import %s failed", import_id)
    finally:
        with db.engine.begin() as conn:
            conn.execute(update(ParcoursImport).where(ParcoursImport.id == import_id)
                         .values(stored_path=None))
        delete_upload(path)
