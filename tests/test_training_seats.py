"""Seats under pressure: concurrent registrations never overbook, the waitlist has no
gaps, cancelling promotes the first person waiting (or offers the seat), quotas hold.

Every test runs on SQLite and on PostgreSQL; the concurrency tests use real threads,
each with its own connection, as several web workers would.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from models.accounts.orm import User
from models.errors import DomainError, PermissionDenied, ValidationFailed
from models.mail.orm import OutboxMessage
from models.training import registrations as seats
from models.training.enums import RegistrationStatus as R
from models.training.enums import SessionStatus
from models.training.orm import Registration, TrainingSession
from webapp.extensions import db

TODAY = date(2026, 11, 23)


def _data(n: int, ml_id: int, job: str = "conseiller") -> seats.RegistrationData:
    return seats.RegistrationData(last_name=f"Nom{n}", first_name=f"Prénom{n}",
                                  email=f"personne{n}@ml.fr", job=job, mission_locale_id=ml_id)


@pytest.fixture
def env(session, training_world):
    ids = training_world["ids"]
    return {"s": session, "ids": ids,
            "users": {r: session.get(User, ids[r]) for r in ("admin", "animateur", "ml",
                                                             "copil", "financeur")}}


def _statuses(s, session_id):
    rows = s.execute(select(Registration.email, Registration.status)
                     .where(Registration.session_id == session_id)
                     .order_by(Registration.queued_at, Registration.id)).all()
    return [(e, R(st)) for e, st in rows]


def test_concurrent_burst_never_overbooks_and_the_waitlist_has_no_gaps(app, training_world):
    ids = training_world["ids"]
    with app.app_context():
        ts = db.session.get(TrainingSession, ids["session"])
        ts.ml_quota = None
        db.session.commit()
    factory = None
    with app.app_context():
        factory = db.session.session_factory
    barrier = threading.Barrier(40)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        with app.app_context():
            s = factory()
            try:
                barrier.wait()
                ml = ids["ml_a"] if n % 2 else ids["ml_b"]
                seats.register(s, None, ids["session"], _data(n, ml), today=TODAY)
                s.commit()
            except BaseException as exc:  # noqa: BLE001 - collected, asserted below
                s.rollback()
                errors.append(exc)
            finally:
                s.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    with app.app_context():
        s = db.session
        ts = s.get(TrainingSession, ids["session"])
        statuses = [st for _, st in _statuses(s, ts.id)]
        assert statuses.count(R.CONFIRMEE) == 5 and statuses.count(R.ATTENTE) == 35
        positions = sorted(seats.position(s, r) for r in seats.waitlist(s, ts))
        assert positions == list(range(1, 36))
        assert SessionStatus(ts.status) is SessionStatus.COMPLETE
        # one e-mail per registration, each saying what happened to it
        kinds = s.execute(select(OutboxMessage.kind, func.count())
                          .group_by(OutboxMessage.kind)).all()
        assert dict(kinds) == {"confirmation": 5, "liste_attente": 35}


def test_cancelling_a_seat_promotes_the_first_person_waiting(env):
    s, ids = env["s"], env["ids"]
    regs = [seats.register(s, None, ids["session"], _data(n, ids["ml_a" if n < 3 else "ml_b"]),
                           today=TODAY) for n in range(7)]
    assert [R(r.status) for r in regs] == [R.CONFIRMEE] * 5 + [R.ATTENTE] * 2
    assert [seats.position(s, r) for r in regs[5:]] == [1, 2]
    seats.cancel(s, env["users"]["animateur"], regs[1].id, "Arrêt maladie")
    assert R(regs[5].status) is R.CONFIRMEE and seats.position(s, regs[6]) == 1
    promoted = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "promotion")).all()
    assert [m.recipients for m in promoted] == [["personne5@ml.fr"]]
    ml_mail = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "promotion_ml")).one()
    assert ml_mail.recipients == ["target@test.fr"]  # Pau's account hears about it too


def test_quota_per_mission_locale_sends_the_fourth_to_the_waitlist(env):
    s, ids = env["s"], env["ids"]
    regs = [seats.register(s, None, ids["session"], _data(n, ids["ml_a"]), today=TODAY)
            for n in range(4)]
    assert [R(r.status) for r in regs] == [R.CONFIRMEE] * 3 + [R.ATTENTE]
    other = seats.register(s, None, ids["session"], _data(9, ids["ml_b"]), today=TODAY)
    assert R(other.status) is R.CONFIRMEE  # a seat is free and Pau is under its quota


def test_offered_seat_waits_then_passes_to_the_next_person(env):
    s, ids = env["s"], env["ids"]
    ts = s.get(TrainingSession, ids["session"])
    ts.offer_days, ts.ml_quota = 2, None
    regs = [seats.register(s, None, ids["session"], _data(n, ids["ml_a"]), today=TODAY)
            for n in range(7)]
    now = datetime(2026, 11, 23, 10, tzinfo=UTC)
    seats.cancel(s, None, regs[0].id, now=now)
    assert R(regs[5].status) is R.OFFRE and R(regs[6].status) is R.ATTENTE
    assert seats.expire_offers(s, now=now + timedelta(days=1)) == 0
    assert seats.expire_offers(s, now=now + timedelta(days=3)) == 1
    assert R(regs[5].status) is R.ANNULEE and R(regs[6].status) is R.OFFRE
    seats.answer_offer(s, None, regs[6].id, True, now=now + timedelta(days=4))
    assert R(regs[6].status) is R.CONFIRMEE
    assert seats.seats_held(s, ts) == 5


def test_refusals_change_nothing(env):
    s, ids, users = env["s"], env["ids"], env["users"]
    with pytest.raises(ValidationFailed, match="closes"):
        seats.register(s, None, ids["session"], _data(1, ids["ml_a"]), today=date(2026, 12, 1))
    with pytest.raises(PermissionDenied):  # an ml user for another mission locale
        seats.register(s, users["ml"], ids["session"], _data(1, ids["ml_b"]), today=TODAY)
    with pytest.raises(ValidationFailed) as exc:
        seats.register(s, users["ml"], ids["session"], seats.RegistrationData(
            "", "", "pas-un-mail", "pilote", None), today=TODAY)
    assert {"last_name", "first_name", "email", "job"} <= set(exc.value.errors)
    with pytest.raises(PermissionDenied):
        seats.register(s, users["copil"], ids["session"], _data(1, ids["ml_a"]), today=TODAY)
    reg = seats.register(s, users["ml"], ids["session"], _data(1, None), today=TODAY)
    assert reg.mission_locale_id == ids["ml_a"]
    with pytest.raises(ValidationFailed, match="déjà inscrit"):
        seats.register(s, None, ids["session"], _data(1, ids["ml_b"]), today=TODAY)
    ts = s.get(TrainingSession, ids["session"])
    ts.status = SessionStatus.ANNULEE
    with pytest.raises(ValidationFailed, match="annulée"):
        seats.register(s, None, ids["session"], _data(2, ids["ml_a"]), today=TODAY)
    with pytest.raises(DomainError):
        seats.cancel(s, None, reg.id)
    assert s.scalar(select(func.count()).select_from(Registration)) == 1


def test_a_cancelled_person_may_register_again_at_the_end_of_the_queue(env):
    s, ids = env["s"], env["ids"]
    first = seats.register(s, None, ids["session"], _data(1, ids["ml_a"]), today=TODAY)
    seats.cancel(s, None, first.id)
    again = seats.register(s, None, ids["session"], _data(1, ids["ml_a"]), today=TODAY)
    assert again.id == first.id and R(again.status) is R.CONFIRMEE
