"""Figures of the training programme (``models.training.stats``), worked out by hand on a
small year, on both backends.

The year 2026 of ``stats_world``:

- A: the ``training_world`` session (10–11 Dec, 4 half-days of 3 h 30, 5 seats, no funder),
  held: Alice PPPP (14 h), Bruno PPPA (10,5 h), Chloé AAAA, David PEEE (3,5 h), Émilie
  unmarked; Farid waiting. Evaluations (5,4,5,4) and (3,4,4,2).
- B: "Conduire un entretien motivationnel" (funded by the Région), 12 Mar, 2 half-days of
  3 h, 10 seats, held: Alice again PP (6 h), Gaëlle (accueil, Pau) PA (3 h). Evaluation
  (4,5,3,5).
- C: the same training, June, cancelled, one registration and one evaluation: counted
  nowhere.
- E: the same training, 14 Apr, 6 seats, held but attendance never recorded: Hugo
  (Libournais), Inès (Pau).
- F: the first training, 17 Nov, 10 seats, open, nobody yet.
- D: the first training, January 2027: not in 2026.
"""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

import pytest
from sqlalchemy import event

from models.audit import set_actor
from models.training import attendance as att
from models.training import registrations as seats
from models.training.enums import HalfDay, Modality, Presence, SessionStatus
from models.training.orm import (
    Evaluation,
    SessionSlot,
    Training,
    TrainingSession,
)
from models.training.stats import NO_FUNDER, Period, bpf_table, training_stats
from webapp.extensions import db

D = Decimal
P, A, E = Presence.PRESENT, Presence.ABSENT, Presence.EXCUSE
FIRST = "Accueillir un public en situation de handicap"
SECOND = "Conduire un entretien motivationnel"
LIBOURNAIS, PAU = "Mission locale du Libournais", "Mission locale Pau Pyrénées"


def _session(training, day: date, capacity: int, halves=((time(9), time(12)),
                                                         (time(14), time(17)))):
    ts = TrainingSession(training=training, start_date=day, end_date=day, place="Bordeaux",
                         trainer="Paul Formateur", min_capacity=0, max_capacity=capacity,
                         registration_opens=date(2025, 11, 1),
                         registration_closes=date(2026, 12, 31))
    ts.slots = [SessionSlot(day=day, half=h, starts_at=start, ends_at=end)
                for h, (start, end) in zip((HalfDay.MATIN, HalfDay.APRES_MIDI), halves,
                                           strict=False)]
    return ts


def _register(s, session_id: int, people, on: date) -> dict[str, int]:
    out = {}
    for first, last, ml_id, job in people:
        reg = seats.register(s, None, session_id, seats.RegistrationData(
            last_name=last, first_name=first, email=f"{first.lower()}@ml.fr", job=job,
            mission_locale_id=ml_id), today=on)
        out[first] = reg.id
    return out


def build_stats_world(app, ids) -> dict:
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        first = s.get(Training, ids["training"])
        second = Training(title=SECOND, objectives="Motiver.", duration_days=D("1"),
                          duration_hours=D("6"), modality=Modality.PRESENTIEL,
                          funder_id=ids["funder"])
        b = _session(second, date(2026, 3, 12), 10)
        c = _session(second, date(2026, 6, 9), 10)
        e = _session(second, date(2026, 4, 14), 6)
        f = _session(first, date(2026, 11, 17), 10)
        d = _session(first, date(2027, 1, 19), 10)
        s.add_all([second, b, c, e, f, d])
        s.commit()
        ml_a, ml_b = ids["ml_a"], ids["ml_b"]
        regs = _register(s, ids["session"], [
            ("Alice", "Durand", ml_a, "conseiller"), ("Bruno", "Petit", ml_a, "conseiller"),
            ("Chloé", "Roux", ml_a, "conseiller"), ("David", "Moreau", ml_b, "conseiller"),
            ("Émilie", "Lefèvre", ml_b, "conseiller"), ("Farid", "Garnier", ml_b, "conseiller")],
            date(2026, 11, 23))
        regs_b = _register(s, b.id, [("Alice", "Durand", ml_a, "conseiller"),
                                     ("Gaëlle", "Blanc", ml_b, "accueil")], date(2026, 2, 1))
        _register(s, c.id, [("Chloé", "Roux", ml_a, "conseiller")], date(2026, 2, 1))
        _register(s, e.id, [("Hugo", "Faure", ml_a, "conseiller"),
                            ("Inès", "Girard", ml_b, "conseiller")], date(2026, 2, 1))
        _register(s, d.id, [("Alice", "Durand", ml_a, "conseiller")], date(2026, 2, 1))
        s.commit()
        a = s.get(TrainingSession, ids["session"])
        slots_a = ids["slots"]
        marks = {(regs[n], slot): m for n, row in {
            "Alice": [P, P, P, P], "Bruno": [P, P, P, A], "Chloé": [A, A, A, A],
            "David": [P, E, E, E]}.items() for slot, m in zip(slots_a, row, strict=True)}
        att.record_attendance(s, None, a, marks, today=date(2026, 12, 11))
        slots_b = [x.id for x in b.slots]
        att.record_attendance(s, None, b, {
            (regs_b["Alice"], slots_b[0]): P, (regs_b["Alice"], slots_b[1]): P,
            (regs_b["Gaëlle"], slots_b[0]): P, (regs_b["Gaëlle"], slots_b[1]): A},
            today=date(2026, 3, 12))
        for ts in (a, b, e):
            ts.status = SessionStatus.REALISEE
        c.status = SessionStatus.ANNULEE
        for ts_id, answers in ((a.id, [(5, 4, 5, 4), (3, 4, 4, 2)]), (b.id, [(4, 5, 3, 5)]),
                               (c.id, [(1, 1, 1, 1)])):
            for o, obj, tr, org in answers:
                s.add(Evaluation(session_id=ts_id, overall=o, objectives_met=obj, trainer=tr,
                                 organisation=org, submitted_on=date(2026, 12, 12)))
        s.commit()
        ids.update(second=second.id, session_b=b.id, session_c=c.id, session_e=e.id,
                   session_f=f.id, session_d=d.id)
    return ids


@pytest.fixture
def stats_world(app, training_world):
    build_stats_world(app, training_world["ids"])
    return training_world


def test_headline_figures(app, stats_world):
    with app.app_context():
        stats = training_stats(db.session, Period.year(2026))
        assert stats.sessions_held == 3            # A, B, E
        assert stats.sessions_planned == 1         # F (C cancelled, D in 2027)
        assert stats.trainees == 4                 # Alice (twice), Bruno, David, Gaëlle
        assert stats.present_halfdays == 11        # 8 in A, 3 in B
        assert stats.trainee_days == D("5.5")
        assert stats.trainee_hours == D("37.00")   # 28 in A, 9 in B
        assert (stats.confirmed, stats.capacity) == (9, 31)
        assert stats.fill_rate == D("0.2903")      # 9 / 31
        assert stats.held_without_attendance == 1  # E
        assert stats.no_show_rate == D("0.2857")   # Chloé and Émilie, of 7 (A and B)
        sat = stats.satisfaction
        assert sat.answers == 3                    # C's evaluation is not counted
        assert [sat.average(c) for c in ("overall", "objectives_met", "trainer",
                                         "organisation")] == [D("4.00"), D("4.33"), D("4.00"),
                                                              D("3.67")]


def test_session_facts(app, stats_world):
    ids = stats_world["ids"]
    with app.app_context():
        by_id = {s.id: s for s in training_stats(db.session, Period.year(2026)).sessions}
    assert set(by_id) == {ids["session"], ids["session_b"], ids["session_e"], ids["session_f"]}
    a = by_id[ids["session"]]
    assert (a.confirmed, a.attendees, a.no_shows, a.present_halfdays, a.hours, a.fill_rate) \
        == (5, 3, 2, 8, D("28.00"), D("1"))
    assert (by_id[ids["session_e"]].marks, by_id[ids["session_e"]].held) == (0, True)
    assert by_id[ids["session_f"]].fill_rate == D("0")


def test_participation_by_mission_locale_and_job(app, stats_world):
    with app.app_context():
        stats = training_stats(db.session, Period.year(2026))
        mls = [(p.label, p.registrations, p.trainees, p.days, p.hours)
               for p in stats.by_mission_locale()]
        jobs = {p.key: (p.registrations, p.trainees, p.hours) for p in stats.by_job()}
    assert mls == [(LIBOURNAIS, 5, 2, D("4.5"), D("30.50")),  # Alice ×2, Bruno, Chloé, Hugo
                   (PAU, 4, 2, D("1.0"), D("6.50"))]          # David, Émilie, Gaëlle, Inès
    assert jobs["conseiller"] == (8, 3, D("34.00"))
    assert jobs["accueil"] == (1, 1, D("3.00"))
    assert jobs["direction"] == (0, 0, D("0.00"))  # every job is listed


def test_by_month(app, stats_world):
    with app.app_context():
        months = {m.key: (m.sessions, m.trainees, m.hours)
                  for m in training_stats(db.session, Period.year(2026)).by_month()}
    assert list(months) == [f"2026-{n:02d}" for n in range(1, 13)]
    assert months["2026-03"] == (1, 2, D("9.00"))
    assert months["2026-04"] == (1, 0, D("0.00"))
    assert months["2026-06"] == (0, 0, D("0.00"))   # cancelled
    assert months["2026-11"] == (0, 0, D("0.00"))   # planned, not held
    assert months["2026-12"] == (1, 3, D("28.00"))


def test_bpf_by_funder(app, stats_world):
    with app.app_context():
        rows = [(p.label, p.sessions, p.trainees, p.days, p.hours)
                for p in bpf_table(db.session, 2026)]
        assert [p.label for p in bpf_table(db.session, 2027)] == [NO_FUNDER]
    assert rows == [("Conseil régional Nouvelle-Aquitaine", 2, 2, D("1.5"), D("9.00")),
                    (NO_FUNDER, 1, 3, D("4.0"), D("28.00"))]


def test_satisfaction_by_training_is_anonymous_averages(app, stats_world):
    with app.app_context():
        lines = training_stats(db.session, Period.year(2026)).satisfaction_by_training()
    assert [(s.label, s.answers, s.overall, s.average("organisation")) for s in lines] == [
        (FIRST, 2, D("4.00"), D("3.00")), (SECOND, 1, D("4.00"), D("5.00"))]


def test_another_year_and_an_empty_year(app, stats_world):
    with app.app_context():
        later = training_stats(db.session, Period.year(2027))
        empty = training_stats(db.session, Period.year(2024))
    assert (later.sessions_held, later.sessions_planned, later.confirmed) == (0, 1, 1)
    assert later.no_show_rate is None and later.trainees == 0
    assert empty.fill_rate is None and empty.satisfaction.overall is None
    assert empty.by_mission_locale() == [] and empty.bpf() == []


def test_a_constant_number_of_queries(app, stats_world):
    """Grouped SQL: adding sessions does not add queries."""
    def count_queries() -> int:
        seen = []
        engine = db.engine
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            training_stats(db.session, Period.year(2026))
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    with app.app_context():
        before = count_queries()
        s = db.session
        training = s.get(Training, stats_world["ids"]["training"])
        s.add_all([_session(training, date(2026, 5, d), 8) for d in range(4, 9)])
        s.commit()
        db.session.expire_all()
        assert count_queries() == before <= 6
