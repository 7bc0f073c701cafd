"""The demo training programme: believable, consistent with the seat rules, idempotent."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select

from models.funding.orm import Funder
from models.mail.orm import OutboxMessage
from models.network.orm import MissionLocale
from models.programme.orm import Action
from models.training import registrations as seats
from models.training.enums import Job, Modality, Presence, RegistrationStatus, SessionStatus
from models.training.orm import (
    Attendance,
    Evaluation,
    Registration,
    SessionSlot,
    Training,
    TrainingSession,
)
from seeds.demo import DEMO_ML_CODE, build_demo
from seeds.funding_data import FUNDERS
from webapp.extensions import db

TODAY = date(2026, 11, 23)
R, S = RegistrationStatus, SessionStatus
TABLES = (Training, TrainingSession, SessionSlot, Registration, Attendance, Evaluation,
          OutboxMessage)


@pytest.fixture
def session(demo_app):
    """Overrides conftest's: the demo is built once per module and backend (``demo_app``)."""
    with demo_app.app_context():
        yield db.session
        db.session.rollback()


@pytest.fixture
def demo(session):
    """The demo is already built (``demo_app``); tests only read it."""
    return session


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _sessions(session) -> list[TrainingSession]:
    return list(session.scalars(select(TrainingSession).order_by(TrainingSession.start_date)))


def _regs(session, ts, *statuses) -> list[Registration]:
    return list(session.scalars(select(Registration).where(
        Registration.session_id == ts.id, Registration.status.in_(statuses))))


def check_catalogue(session):
    trainings = session.scalars(select(Training)).all()
    assert 12 <= len(trainings) <= 20
    opco = session.scalar(select(Funder.id).where(Funder.name == FUNDERS["opco"][0]))
    assert opco is not None
    assert {Modality(t.modality) for t in trainings} == set(Modality)
    titles = " ".join(t.title for t in trainings)
    for word in ("Contrat d'engagement jeune", "PACEA", "i-milo", "Entretien motivationnel",
                 "Santé mentale", "RGPD", "QVCT"):
        assert word in titles
    for t in trainings:
        assert t.objectives and t.content and t.provider and t.trainer
        if t.audience == ["benevole"]:
            continue  # the mentors' training (seeds.mentoring_demo): the parrainage action
        assert t.audience and set(t.audience) <= set(Job._value2member_map_)
        assert t.duration_hours == t.duration_days * 7
        assert t.cost_per_trainee is not None and t.cost_per_trainee >= 0
        assert t.funder_id == opco
        action = session.get(Action, t.action_id)
        assert action.programme.year == 2026 and action.objective.code.startswith("2.")
    directors = [t for t in trainings if t.audience == ["direction", "encadrement"]]
    assert directors and "Manager" in directors[0].title


def check_sessions(session):
    sessions = _sessions(session)
    assert 25 <= len(sessions) <= 40
    assert {ts.start_date.year for ts in sessions} == {2026}
    assert len({ts.start_date.month for ts in sessions}) >= 9
    cities = " ".join(ts.place for ts in sessions)
    for city in ("Bordeaux", "Pau", "Limoges", "Poitiers", "La Rochelle", "Périgueux"):
        assert city in cities
    for ts in sessions:
        modality = Modality(ts.training.modality)
        assert bool(ts.place) is (modality is not Modality.DISTANCIEL)
        assert ts.video_link.startswith("https://") is (modality is not Modality.PRESENTIEL)
        assert 8 <= ts.max_capacity <= 16 and ts.min_capacity <= ts.max_capacity
        assert ts.registration_opens <= ts.registration_closes <= ts.start_date
        assert ts.slots and ts.slots[0].day == ts.start_date and ts.slots[-1].day == ts.end_date
        # the half-days add up to the catalogue's duration
        assert len(ts.slots) == ts.training.duration_days * 2
        assert all(s.ends_at > s.starts_at for s in ts.slots)
    assert sum(ts.ml_quota is not None for ts in sessions) >= 3


def check_seats(session):
    """Never over capacity nor over a quota; waitlists in order without gaps."""
    full = 0
    for ts in _sessions(session):
        held = _regs(session, ts, R.CONFIRMEE, R.OFFRE)
        assert len(held) == seats.seats_held(session, ts) <= ts.max_capacity
        if ts.ml_quota is not None:
            assert max(Counter(r.mission_locale_id for r in held).values()) <= ts.ml_quota
        waiting = seats.waitlist(session, ts)
        assert [seats.position(session, r) for r in waiting] == \
            list(range(1, len(waiting) + 1))
        if waiting and S(ts.status) is not S.REALISEE:
            full += 1
            assert S(ts.status) is S.COMPLETE and len(held) == ts.max_capacity
        emails = [r.email for r in _regs(session, ts, *R)]
        assert len(emails) == len(set(emails))
    assert full >= 2  # upcoming full sessions with a waitlist
    assert _count(session, Registration) >= 250
    mls = session.scalar(select(func.count(func.distinct(Registration.mission_locale_id))))
    active = session.scalar(select(func.count()).select_from(MissionLocale)
                            .where(MissionLocale.active.is_(True)))
    assert mls >= 0.75 * active
    demo_ml = session.scalar(select(MissionLocale.id).where(MissionLocale.code == DEMO_ML_CODE))
    own = session.scalars(select(Registration).where(
        Registration.mission_locale_id == demo_ml)).all()
    assert {R(r.status) for r in own} >= {R.CONFIRMEE, R.ATTENTE}
    # staff of the missions locales (the volunteer mentors have their own addresses)
    for reg in session.scalars(select(Registration).where(Registration.mentor_id.is_(None))):
        local, _, domain = reg.email.partition("@")
        assert local.count(".") == 1 and domain.startswith("ml-") and domain.endswith(".fr")


def check_cancellations_and_outbox(session):
    cancelled = session.scalars(select(Registration).where(
        Registration.status == R.ANNULEE)).all()
    assert len(cancelled) >= 4 and all(r.cancelled_at and r.cancel_reason for r in cancelled)
    kinds = Counter(session.scalars(select(OutboxMessage.kind)))
    assert kinds["confirmation"] >= 250 and kinds["liste_attente"] >= 5
    assert kinds["promotion"] >= 2 and kinds["offre"] == 1 and kinds["annulation"] >= 1
    offer = session.scalars(select(Registration).where(Registration.status == R.OFFRE)).one()
    assert offer.offer_expires_at.date() > TODAY
    off = [ts for ts in _sessions(session) if S(ts.status) is S.ANNULEE]
    assert len(off) == 1 and "insuffisant" in off[0].cancel_reason
    assert _count(session, Attendance) and not session.scalar(
        select(func.count()).select_from(Evaluation).where(Evaluation.session_id == off[0].id))


def check_past_sessions(session):
    past = [ts for ts in _sessions(session)
            if ts.end_date < TODAY and S(ts.status) is not S.ANNULEE]
    assert len(past) >= 20
    presence = Counter()
    for ts in past:
        assert S(ts.status) is S.REALISEE
        confirmed = _regs(session, ts, R.CONFIRMEE)
        marks = session.scalars(select(Attendance).join(Registration).where(
            Registration.session_id == ts.id)).all()
        # one mark per confirmed trainee and half-day, none for anybody else
        assert len(marks) == len(confirmed) * len(ts.slots)
        assert {m.registration_id for m in marks} == {r.id for r in confirmed}
        presence.update(Presence(m.presence) for m in marks)
        answers = session.scalars(select(Evaluation).where(
            Evaluation.session_id == ts.id)).all()
        done = [r for r in confirmed if r.evaluation_done_at is not None]
        assert answers and len(answers) == len(done) <= len(confirmed)
        assert all(r.evaluation_sent_at is not None for r in done)
        assert all(ts.end_date < a.submitted_on <= TODAY for a in answers)
    assert presence[Presence.PRESENT] > 0.85 * sum(presence.values())
    assert presence[Presence.ABSENT] and presence[Presence.EXCUSE]
    answered = session.scalar(select(func.count()).select_from(Registration)
                              .where(Registration.evaluation_done_at.is_not(None)))
    trainees = sum(len(_regs(session, ts, R.CONFIRMEE)) for ts in past)
    assert answered >= 0.6 * trainees
    assert 3.8 <= session.scalar(select(func.avg(Evaluation.overall))) <= 4.8
    upcoming = [ts for ts in _sessions(session) if ts.start_date > TODAY]
    assert upcoming and all(S(ts.status) in (S.OUVERTE, S.COMPLETE, S.CLOSE)
                            for ts in upcoming)
    assert not session.scalar(select(func.count()).select_from(Attendance).join(SessionSlot)
                              .where(SessionSlot.day > TODAY))


def test_catalogue_sessions_and_seats(session, demo):
    check_catalogue(session)
    check_sessions(session)
    check_seats(session)
    check_cancellations_and_outbox(session)


def test_past_sessions_and_second_build_adds_nothing(session, demo):
    check_past_sessions(session)
    before = {model.__name__: _count(session, model) for model in TABLES}
    build_demo(session)
    session.commit()
    assert {model.__name__: _count(session, model) for model in TABLES} == before
