"""The real job runner: a huey consumer process runs queued imports, and a restart
picks up an import a crash left half-done."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import clock
from models.network.orm import MissionLocale
from models.parcours.orm import ParcoursExtract, ParcoursImport
from tests.parcours_helpers import clean_young, write_extract
from webapp.extensions import db

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def worker_env(app, world, tmp_path):
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "ANIMARESEAU_INSTANCE_PATH": str(tmp_path / "instance"),
           "ANIMARESEAU_ENV": "test", "PARCOURS_PSEUDO_KEY": "cle-worker"}
    env.pop("HUEY_REDIS_URL", None)
    return env


def start_worker(env: dict) -> subprocess.Popen:
    consumer = Path(sys.executable).parent / "huey_consumer"
    return subprocess.Popen([str(consumer), "models.parcours.jobs.huey", "--workers", "1",
                             "--delay", "0.1", "--max-delay", "0.2"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def wait_for(app, import_id: int, timeout: float = 60) -> ParcoursImport:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context(), Session(db.engine) as session:
            record = session.get(ParcoursImport, import_id)
            if record is not None and record.finished:
                session.expunge(record)
                return record
        time.sleep(0.2)
    raise AssertionError(f"import {import_id} not finished after {timeout} s")


def queue_import(app, path: Path, status: str = "en_attente") -> int:
    with app.app_context():
        record = ParcoursImport(source_name=path.name, stored_path=str(path),
                                period_start=date(2026, 1, 1), period_end=date(2026, 9, 30),
                                status=status)
        db.session.add(record)
        db.session.commit()
        return record.id


def enqueue(env: dict, import_id: int, path: Path) -> None:
    subprocess.run([sys.executable, "-c",
                    "import sys; from models.parcours.jobs import import_extract; "
                    "import_extract(int(sys.argv[1]), sys.argv[2])", str(import_id), str(path)],
                   cwd=ROOT, env=env, check=True, timeout=60)


def stop(worker: subprocess.Popen) -> str:
    worker.terminate()
    try:
        output, _ = worker.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        output, _ = worker.communicate()
    return output.decode(errors="replace")


def test_a_consumer_process_runs_a_queued_import(app, worker_env, tmp_path):
    uploads = tmp_path / "instance" / "uploads" / "parcours"
    folder = write_extract(uploads / "abc", jeunes=clean_young(7))
    import_id = queue_import(app, folder)
    enqueue(worker_env, import_id, folder)  # queued while no worker runs: kept in storage
    worker = start_worker(worker_env)
    try:
        record = wait_for(app, import_id)
    finally:
        log = stop(worker)
    assert record.status == "termine", log
    assert record.counts["jeunes"] == 7
    assert not folder.exists()  # the upload is deleted once the import has an outcome
    with app.app_context():
        assert db.session.scalar(select(ParcoursExtract.status)) == "current"


def test_a_restarted_worker_runs_again_an_interrupted_import(app, worker_env, tmp_path):
    folder = write_extract(tmp_path / "upload", jeunes=clean_young(5))
    # what a crash leaves: an import "en cours" with a staged extract, nothing queued, and
    # no sign of life for ten minutes
    import_id = queue_import(app, folder, status="en_cours")
    with app.app_context():
        db.session.execute(update(ParcoursImport).where(ParcoursImport.id == import_id)
                           .values(updated_at=clock.now() - timedelta(minutes=10)))
        ml_id = db.session.scalar(select(MissionLocale.id).where(MissionLocale.code == "33005"))
        db.session.add(ParcoursExtract(import_id=import_id, mission_locale_id=ml_id,
                                       period_start=date(2026, 1, 1),
                                       period_end=date(2026, 9, 30), status="staged"))
        db.session.commit()
    worker = start_worker(worker_env)
    try:
        record = wait_for(app, import_id)
    finally:
        log = stop(worker)
    assert record.status == "termine", log
    with app.app_context():
        statuses = db.session.scalars(select(ParcoursExtract.status)).all()
    assert statuses == ["current"]  # the half-done staged extract was dropped
