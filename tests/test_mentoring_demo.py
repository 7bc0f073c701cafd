"""The demo parrainage: three years of pairings in a dozen missions locales, consistent
with the domain's invariants (its history is written as rows), and the programme's two
mentoring indicators computed from it."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal

from sqlalchemy import func, select

from models import clock
from models.mentoring.enums import MeetingMode, PairingStatus
from models.mentoring.orm import FollowUp, Mentee, Mentor, Pairing, PairingMeeting
from models.mentoring.reminders import due_for_reminder
from models.network.orm import MissionLocale
from models.programme.computed import mentees_paired, mentors_trained
from models.programme.orm import Indicator
from models.training.orm import Registration, Training
from seeds.demo import DEMO_ML_CODE
from seeds.mentoring_demo import MENTOR_TRAINING
from webapp.extensions import db

P = PairingStatus


def _count(s, model) -> int:
    return s.scalar(select(func.count()).select_from(model))


def test_counts_and_shares(demo_app):
    with demo_app.app_context():
        s = db.session
        assert 130 <= _count(s, Mentor) <= 170
        assert 300 <= _count(s, Mentee) <= 600
        pairings = list(s.scalars(select(Pairing)))
        status = Counter(P(p.status) for p in pairings)
        assert status[P.TERMINE] > 200 and status[P.ACTIF] > 30
        assert 3 <= status[P.PROPOSE] <= 15
        assert status[P.ROMPU] >= 40
        assert sum(1 for p in pairings if p.status is P.ROMPU
                   and (p.ended_on - p.start_date).days < 42) >= 10
        mls = {p.mission_locale_id for p in pairings}
        assert 10 <= len(mls) <= 14
        demo_ml = s.scalar(select(MissionLocale.id).where(MissionLocale.code == DEMO_ML_CODE))
        per_ml = Counter(p.mission_locale_id for p in pairings)
        assert per_ml.most_common(1)[0][0] == demo_ml
        today = clock.today()
        assert min(p.start_date for p in pairings).year <= today.year - 2
        # mentors' e-mails @exemple.fr, unique; mentees: codes only
        emails = list(s.scalars(select(Mentor.email)))
        assert all(e.endswith("@exemple.fr") for e in emails) and len(set(emails)) == len(emails)
        # meetings: most pairings that lasted have two face-to-face ones or more
        face = Counter(s.scalars(select(PairingMeeting.pairing_id).where(
            PairingMeeting.mode == MeetingMode.PRESENTIEL)))
        lasted = [p for p in pairings if p.status is P.TERMINE]
        assert sum(face[p.id] >= 2 for p in lasted) >= 0.85 * len(lasted)
        # follow-ups: one per closed pairing, most recorded, some due now
        closed = [p for p in pairings if p.status in (P.TERMINE, P.ROMPU)]
        assert _count(s, FollowUp) == len(closed)
        recorded = s.scalar(select(func.count()).select_from(FollowUp).where(
            FollowUp.outcome.is_not(None)))
        assert recorded >= 0.6 * len(closed)
        due = due_for_reminder(s, today)
        assert len(due) >= 5 and any(f.pairing.mission_locale_id == demo_ml for f in due)
        assert all(f.recorded_on is None or f.recorded_on <= today for f in
                   s.scalars(select(FollowUp)))


def test_invariants_of_the_history(demo_app):
    with demo_app.app_context():
        s = db.session
        today = clock.today()
        by_mentee, by_mentor = defaultdict(list), defaultdict(list)
        for p in s.scalars(select(Pairing)):
            assert p.mission_locale_id == p.mentee.mission_locale_id == \
                p.mentor.mission_locale_id
            assert p.start_date <= p.planned_end
            assert p.mentor.charter_signed_on is not None
            assert p.mentor.charter_signed_on <= p.start_date
            if p.status is P.PROPOSE:
                continue
            end = p.ended_on or p.planned_end
            assert (p.ended_on is None) is (p.status is P.ACTIF)
            if p.ended_on is not None:
                assert p.start_date <= p.ended_on <= today
                assert p.close_reason is not None and p.outcome is not None
                assert p.follow_up is not None
                if (p.ended_on - p.start_date).days < 42:
                    assert p.status is P.ROMPU
            for meeting in p.meetings:
                assert p.start_date <= meeting.held_on <= min(end, today)
            by_mentee[p.mentee_id].append((p.start_date, end))
            by_mentor[p.mentor_id].append((p.start_date, end, p.mentor.capacity))
            age = p.start_date.year - p.mentee.birth_year - (
                1 if p.start_date.month < p.mentee.birth_month else 0)
            assert 16 <= age <= 29  # 26–29: the domain warns (a mentee paired again)
            if age < 18:
                assert p.mentee.minor_consent_on is not None
        # a mentee's pairings never overlap
        for periods in by_mentee.values():
            periods.sort()
            for (_, end), (start, _) in zip(periods, periods[1:], strict=False):
                assert start > end
        # a mentor never holds more pairings at once than their capacity
        for periods in by_mentor.values():
            for day, _, capacity in periods:
                assert sum(1 for a, b, _ in periods if a <= day <= b) <= capacity
        assert any(len(v) > 1 for v in by_mentee.values())  # some mentees paired again


def test_indicators_and_mentor_training(demo_app):
    with demo_app.app_context():
        s = db.session
        paired = s.scalars(select(Indicator).where(
            Indicator.source == "parrainage.jeunes_parraines")).one()
        formed = s.scalars(select(Indicator).where(
            Indicator.source == "parrainage.parrains_formes")).one()
        year = paired.action.programme.year
        assert year == 2026 and formed.action.programme.year == 2026
        assert paired.achieved == Decimal(mentees_paired(s, year)) > 100
        assert formed.achieved == Decimal(mentors_trained(s, year)) > 10
        # the closed 2025 programme keeps its typed figures
        typed = s.scalars(select(Indicator).where(Indicator.name == "Jeunes parrainés",
                                                  Indicator.source.is_(None))).all()
        assert typed and all(i.action.programme.year == 2025 for i in typed)
        training = s.scalars(select(Training).where(Training.title == MENTOR_TRAINING)).one()
        assert training.audience == ["benevole"] and len(training.sessions) == 2
        past, coming = training.sessions
        linked = s.scalars(select(Registration).where(Registration.session_id == past.id,
                                                      Registration.mentor_id.is_not(None)))
        trained = [s.get(Mentor, r.mentor_id).trained_on for r in linked
                   if any(a.presence == "present" for a in r.attendances)]
        assert trained and all(day == past.start_date for day in trained)
        assert s.scalar(select(func.count()).select_from(Registration).where(
            Registration.session_id == coming.id, Registration.mentor_id.is_not(None))) >= 3
