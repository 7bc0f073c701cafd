"""Two team members at once on the same report: publishing the same version (both
backends: PostgreSQL locks the row, SQLite takes the write lock first), generating the
next version of the same report (PostgreSQL: SQLite numbers versions one generation at a
time, under its write lock)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.accounts.orm import User
from models.errors import ConcurrentEdit, DomainError
from models.reports import services
from models.reports.orm import FunderReport
from webapp.extensions import db
from webapp.pdf.funder_report import render


@pytest.fixture
def pg_only(database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite serialises writers: the race needs PostgreSQL")


def _team(session: Session, world, who: str) -> User:
    return session.get(User, world["ids"][who])


def test_two_publications_of_one_version_publish_once(app, funding_world):
    with app.app_context():
        report = services.generate(db.session, None, funding_world["ids"]["funder"], 2026,
                                   render=render)
        db.session.commit()
        report_id, engine = report.id, db.engine
    first, second = Session(engine), Session(engine)
    outcome: list[object] = []
    try:
        services.publish(first, _team(first, funding_world, "admin"), report_id)  # locks

        def other() -> None:
            try:
                services.publish(second, _team(second, funding_world, "animateur"),
                                 report_id)
                second.commit()
                outcome.append("published")
            except DomainError as exc:
                second.rollback()
                outcome.append(exc)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(1.0)
        assert thread.is_alive(), "the second publication did not wait for the first"
        first.commit()
        thread.join(30)
        [result] = outcome
        assert isinstance(result, DomainError)
        assert "déjà été publiée" in str(result)
    finally:
        first.close()
        second.close()
    with app.app_context():
        report = db.session.get(FunderReport, report_id)
        admin = db.session.get(User, funding_world["ids"]["admin"])
        assert report.published_by == admin.full_name


def test_two_generations_at_once_never_share_a_version(app, funding_world, pg_only):
    with app.app_context():
        engine = db.engine
    barrier = threading.Barrier(2)
    results: list[object] = []
    original = services.next_version

    def slow_next_version(session, funder_id, year):
        version = original(session, funder_id, year)
        barrier.wait(10)  # both read "1" before either writes
        return version

    def work(who: str) -> None:
        with Session(engine) as session:
            try:
                report = services.generate(session, _team(session, funding_world, who),
                                           funding_world["ids"]["funder"], 2026,
                                           render=render)
                session.commit()
                results.append(report.version)
            except ConcurrentEdit as exc:
                session.rollback()
                results.append(exc)

    services.next_version = slow_next_version
    try:
        threads = [threading.Thread(target=work, args=(who,)) for who in ("admin", "animateur")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        services.next_version = original
    assert sum(1 for r in results if r == 1) == 1
    [refused] = [r for r in results if isinstance(r, ConcurrentEdit)]
    assert "recommencez" in str(refused)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FunderReport)) == 1
