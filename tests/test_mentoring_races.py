"""Two browsers at once on the same young person (or the same mentor): the pairing
invariants hold because the domain decides under a lock — SQLite takes the write lock
first (``BEGIN IMMEDIATE``), PostgreSQL locks the mentee and mentor rows (``FOR UPDATE``).

Every test runs on SQLite and on PostgreSQL, with real threads, each with its own
connection, as two web workers would."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.accounts.orm import User
from models.errors import ConcurrentEdit, DomainError, ValidationFailed
from models.mentoring import mentees, mentors, pairings
from models.mentoring.enums import PairingStatus
from models.mentoring.orm import FollowUp, Mentee, Mentor, Pairing, PairingStatusChange
from webapp.extensions import db

TODAY = date(2026, 11, 23)
P = PairingStatus


def _mentor(n: int, ml_id: int, capacity: int = 3) -> mentors.MentorData:
    return mentors.MentorData(
        last_name=f"Martin{n}", first_name="Lou", email=f"m{n}@exemple.fr", sex="m",
        status="retraite", consent_on=date(2026, 1, 5), charter_signed_on=date(2026, 1, 5),
        trained_on=date(2026, 2, 1), capacity=capacity, mission_locale_id=ml_id)


def _mentee(ml_id: int) -> mentees.MenteeData:
    return mentees.MenteeData(sex="f", birth_year="2003", birth_month="9", qualification="4",
                              situation="sans_activite", prescriber="france_travail",
                              project_validated=True, mission_locale_id=ml_id)


def _setup(app, world, *, same_mentee: bool, capacity: int = 3) -> tuple[int, int]:
    """Two proposals that cannot both become active."""
    ids = world["ids"]
    with app.app_context():
        s = db.session
        first = mentees.create_mentee(s, None, _mentee(ids["ml_a"]), today=TODAY)
        second = first if same_mentee else mentees.create_mentee(s, None, _mentee(ids["ml_a"]),
                                                                today=TODAY)
        if same_mentee:
            a_mentor = mentors.create_mentor(s, None, _mentor(1, ids["ml_a"]), today=TODAY)
            b_mentor = mentors.create_mentor(s, None, _mentor(2, ids["ml_a"]), today=TODAY)
        else:
            a_mentor = b_mentor = mentors.create_mentor(s, None, _mentor(1, ids["ml_a"],
                                                                         capacity), today=TODAY)
        a = pairings.propose(s, None, first.id, a_mentor.id, date(2026, 11, 30),
                             date(2027, 5, 30), today=TODAY).pairing
        b = pairings.propose(s, None, second.id, b_mentor.id, date(2026, 12, 7),
                             date(2027, 6, 7), today=TODAY).pairing
        s.commit()
        return a.id, b.id


def _ml_user(s: Session, world) -> User:
    return s.get(User, world["ids"]["ml"])


def _second_waits_then_is_refused(app, world, a_id: int, b_id: int) -> DomainError:
    with app.app_context():
        engine = db.engine
    first, second = Session(engine), Session(engine)
    outcome: list[object] = []
    try:
        pairings.activate(first, _ml_user(first, world), a_id, today=TODAY)  # holds the lock

        def other() -> None:
            try:
                pairings.activate(second, _ml_user(second, world), b_id, today=TODAY)
                second.commit()
                outcome.append("activated")
            except DomainError as exc:
                second.rollback()
                outcome.append(exc)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(1.0)
        assert thread.is_alive(), "the second activation did not wait for the first"
        first.commit()
        thread.join(30)
        [result] = outcome
    finally:
        first.close()
        second.close()
    assert isinstance(result, ValidationFailed), result
    return result


def _statuses(app, a_id: int, b_id: int) -> tuple[P, P]:
    with app.app_context():
        s = db.session
        return (P(s.get(Pairing, a_id).status), P(s.get(Pairing, b_id).status))


def test_two_browsers_activate_overlapping_pairings_of_one_mentee(app, world):
    a_id, b_id = _setup(app, world, same_mentee=True)
    refusal = _second_waits_then_is_refused(app, world, a_id, b_id)
    assert "a déjà un binôme (actif)" in str(refusal)
    assert "les périodes se chevauchent" in str(refusal)
    assert _statuses(app, a_id, b_id) == (P.ACTIF, P.PROPOSE)
    with app.app_context():
        steps = db.session.scalars(select(PairingStatusChange.to_status).where(
            PairingStatusChange.pairing_id == b_id)).all()
        assert steps == [P.PROPOSE]  # the refused activation left no trace


def test_two_browsers_fill_the_last_seat_of_a_mentor(app, world):
    a_id, b_id = _setup(app, world, same_mentee=False, capacity=1)
    refusal = _second_waits_then_is_refused(app, world, a_id, b_id)
    assert "sa capacité est de 1" in str(refusal)
    assert _statuses(app, a_id, b_id) == (P.ACTIF, P.PROPOSE)


def test_simultaneous_activations_one_wins(app, world):
    """Both threads released at the same moment: exactly one activation, one refusal."""
    a_id, b_id = _setup(app, world, same_mentee=True)
    with app.app_context():
        factory = db.session.session_factory
    barrier = threading.Barrier(2)
    results: dict[int, object] = {}

    def worker(pairing_id: int) -> None:
        with app.app_context():
            s = factory()
            try:
                barrier.wait(10)
                pairings.activate(s, _ml_user(s, world), pairing_id, today=TODAY)
                s.commit()
                results[pairing_id] = "activated"
            except DomainError as exc:
                s.rollback()
                results[pairing_id] = exc
            finally:
                s.close()

    threads = [threading.Thread(target=worker, args=(pid,)) for pid in (a_id, b_id)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    outcomes = sorted(results.values(), key=lambda r: isinstance(r, DomainError))
    assert len(outcomes) == 2
    assert outcomes[0] == "activated"
    assert isinstance(outcomes[1], ValidationFailed)
    assert "chevauchent" in str(outcomes[1])
    assert sorted(_statuses(app, a_id, b_id)) == sorted([P.ACTIF, P.PROPOSE])


# ---------------------------------------------------------------- a stale copy in the session
def _stale_world(app, world) -> dict[str, int]:
    """A mentee, a free mentor, a proposal, and a follow-up due (ml_a)."""
    ids = world["ids"]
    with app.app_context():
        s = db.session
        mentee = mentees.create_mentee(s, None, _mentee(ids["ml_a"]), today=TODAY)
        free = mentors.create_mentor(s, None, _mentor(1, ids["ml_a"]), today=TODAY)
        busy = mentors.create_mentor(s, None, _mentor(2, ids["ml_a"]), today=TODAY)
        done = pairings.propose(s, None, mentee.id, busy.id, date(2026, 1, 5),
                                date(2026, 5, 5), today=TODAY).pairing
        pairings.activate(s, None, done.id, today=TODAY)
        pairings.close(s, None, done.id, date(2026, 5, 5), "duree_echue", "recherche",
                       today=TODAY)
        proposal = pairings.propose(s, None, mentee.id, busy.id, date(2026, 12, 1),
                                    date(2027, 6, 1), today=TODAY).pairing
        s.commit()
        return {"mentee": mentee.id, "mentor": free.id, "proposal": proposal.id,
                "follow_up": done.follow_up.id}


_STALE = {
    "update_mentee": (Mentee, "mentee", lambda s, i, v: mentees.update_mentee(
        s, None, i, _mentee(None), v, today=TODAY)),
    "update_mentor": (Mentor, "mentor", lambda s, i, v: mentors.update_mentor(
        s, None, i, _mentor(1, None, capacity=2), v, today=TODAY)),
    "set_active": (Mentor, "mentor", lambda s, i, v: mentors.set_active(s, None, i, False, v)),
    "anonymise_mentor": (Mentor, "mentor", lambda s, i, v: mentors.anonymise_mentor(
        s, None, i, v, today=TODAY)),
    "record_follow_up": (FollowUp, "follow_up", lambda s, i, v: pairings.record_follow_up(
        s, None, i, "alternance", v, today=TODAY)),
    "cancel_proposal": (Pairing, "proposal", lambda s, i, v: pairings.cancel_proposal(
        s, None, i, v)),
}


@pytest.mark.parametrize("operation", sorted(_STALE))
def test_a_stale_copy_in_the_session_is_a_concurrent_edit_not_a_500(app, world, operation):
    """A worker's session still holds the row as it read it; another worker saves it in
    between. The write must answer « modifiée par quelqu'un d'autre » (``ConcurrentEdit``),
    never ``StaleDataError`` (a 500), and change nothing."""
    cls, key, call = _STALE[operation]
    record_id = _stale_world(app, world)[key]
    with app.app_context():
        mine = db.session
        held = mine.get(cls, record_id)  # kept: the identity map holds its rows weakly
        seen = held.version_id  # the copy the form was built from
        with Session(db.engine) as theirs:
            row = theirs.get(cls, record_id)
            row.version_id += 1
            theirs.commit()
        with pytest.raises(ConcurrentEdit):
            call(mine, record_id, seen)
        mine.rollback()
        mine.expire_all()
        assert mine.get(cls, record_id).version_id == seen + 1
        del held
