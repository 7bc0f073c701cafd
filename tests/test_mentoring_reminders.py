"""Reminders of the six-month follow-ups: one e-mail per due, unrecorded follow-up to the
mission locale's active référents, naming the mentee by code only; never twice the same
day, again after 14 days; the CLI, the daily job, and a real SMTP server."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from models.accounts.orm import User
from models.accounts.roles import Role
from models.mail.delivery import deliver_pending
from models.mail.orm import OutboxMessage
from models.mentoring import mentees, mentors, pairings
from models.mentoring.orm import FollowUp
from models.mentoring.reminders import KIND, send_follow_up_reminders
from tests.test_training_mail import smtp  # noqa: F401 - the real SMTP server fixture

TODAY = date(2026, 11, 23)


def _mentor(s, n: int, ml_id: int):
    return mentors.create_mentor(s, None, mentors.MentorData(
        last_name=f"Etcheverry{n}", first_name=f"Maite{n}", email=f"m{n}@exemple.fr", sex="f",
        status="en_activite", consent_on=date(2025, 1, 6), charter_signed_on=date(2025, 1, 6),
        trained_on=date(2025, 2, 1), mission_locale_id=ml_id), today=TODAY)


def _closed(s, ml_id: int, mentor, start: date, ended: date):
    mentee = mentees.create_mentee(s, None, mentees.MenteeData(
        sex="m", birth_year="2003", birth_month="7", qualification="3", qpv="oui",
        situation="demandeur_emploi", prescriber="france_travail", project_validated=True,
        mission_locale_id=ml_id), today=TODAY)
    p = pairings.propose(s, None, mentee.id, mentor.id, start, start + timedelta(days=182),
                         confirm=True, today=TODAY).pairing
    pairings.activate(s, None, p.id, confirm=True, today=TODAY)
    pairings.close(s, None, p.id, ended, "objectif_atteint", "alternance", today=TODAY)
    return p


@pytest.fixture
def env(session, world):
    s, ids = session, world["ids"]
    ml_a, ml_b = ids["ml_a"], ids["ml_b"]
    s.add(User(email="ancien-referent@test.fr", full_name="Ancien Référent", role=Role.ML,
               mission_locale_id=ml_a, active=False, password_hash="x"))
    a, b = _mentor(s, 1, ml_a), _mentor(s, 2, ml_b)
    due_a = _closed(s, ml_a, a, date(2025, 10, 6), date(2026, 4, 10))  # due 10/10/2026
    later = _closed(s, ml_a, a, date(2026, 2, 2), date(2026, 8, 3))  # due 3/2/2027
    due_b = _closed(s, ml_b, b, date(2025, 9, 1), date(2026, 3, 2))  # due 2/9/2026
    done = _closed(s, ml_b, b, date(2025, 3, 3), date(2025, 9, 5))  # due 5/3/2026, recorded
    pairings.record_follow_up(s, None, done.follow_up.id, "emploi_durable", today=TODAY)
    s.commit()
    return {"s": s, "ids": ids, "due_a": due_a, "due_b": due_b, "later": later}


def _outbox(s) -> list[OutboxMessage]:
    return list(s.scalars(select(OutboxMessage).where(OutboxMessage.kind == KIND)
                          .order_by(OutboxMessage.id)))


def test_one_reminder_per_due_follow_up_to_the_active_referents(env):
    s, due_a = env["s"], env["due_a"]
    assert send_follow_up_reminders(s, today=TODAY, base_url="https://app.test/") == 2
    s.commit()
    messages = _outbox(s)
    assert len(messages) == 2
    by_to = {tuple(m.recipients): m for m in messages}
    assert set(by_to) == {("ml@test.fr",), ("target@test.fr",)}  # not the inactive account
    mail = by_to[("ml@test.fr",)]
    code = due_a.mentee.code
    assert code in mail.subject and code in mail.body
    assert "10 octobre 2026" in mail.body
    assert "https://app.test/parrainage/suivis" in mail.body
    assert (mail.subject_type, mail.subject_id) == ("pairing_follow_up", due_a.follow_up.id)
    # the code only: nothing else about the young person, nor the mentor's name
    for other in ("2003", "juillet", "Etcheverry", "Maite", "alternance", "Alternance",
                  "France Travail", "QPV"):
        assert other not in mail.body and other not in mail.subject
    assert s.get(FollowUp, due_a.follow_up.id).reminded_on == TODAY


def test_never_twice_the_same_day_again_after_fourteen_days(env):
    s = env["s"]
    assert send_follow_up_reminders(s, today=TODAY) == 2
    s.commit()
    assert send_follow_up_reminders(s, today=TODAY) == 0
    assert send_follow_up_reminders(s, today=TODAY + timedelta(days=13)) == 0
    # ml_b's référent records the outcome; ml_a's is reminded again after 14 days
    pairings.record_follow_up(s, None, env["due_b"].follow_up.id, "inconnu", today=TODAY)
    s.commit()
    assert send_follow_up_reminders(s, today=TODAY + timedelta(days=14)) == 1
    s.commit()
    messages = _outbox(s)
    assert len(messages) == 3
    assert messages[-1].recipients == ["ml@test.fr"] and "Rappel" in messages[-1].body
    # February 2027: the later follow-up comes due, ml_a's first one is still missing
    assert send_follow_up_reminders(s, today=date(2027, 2, 3)) == 2
    s.commit()
    assert {m.subject_id for m in _outbox(s)[-2:]} == {env["later"].follow_up.id,
                                                       env["due_a"].follow_up.id}


def test_a_mission_locale_without_active_account_gets_none_and_is_tried_again(env):
    s = env["s"]
    target = s.scalars(select(User).where(User.email == "target@test.fr")).one()
    target.active = False
    s.commit()
    assert send_follow_up_reminders(s, today=TODAY) == 1
    s.commit()
    assert s.get(FollowUp, env["due_b"].follow_up.id).reminded_on is None
    target.active = True
    s.commit()
    assert send_follow_up_reminders(s, today=TODAY) == 1


def test_the_cli_prints_the_count_in_french(app, env):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["parrainage", "relances", "--aujourdhui", "23/11/2026"])
    assert result.exit_code == 0, result.output
    assert "2 rappel(s) de suivi à 6 mois" in result.output
    result = runner.invoke(args=["parrainage", "relances", "--aujourdhui", "23/11/2026"])
    assert "Aucun rappel à envoyer" in result.output
    result = runner.invoke(args=["parrainage", "relances", "--aujourdhui", "31/02/2026"])
    assert result.exit_code == 1
    assert "n'est pas une date JJ/MM/AAAA" in result.output


def test_the_daily_job_queues_and_commits(app, env, monkeypatch):
    from models.parcours import jobs
    from webapp.extensions import db

    monkeypatch.setattr(jobs, "_engine", lambda: db.engine)
    assert jobs.mentoring_follow_up_reminders.call_local() == 2
    env["s"].expire_all()
    assert len(_outbox(env["s"])) == 2
    assert jobs.mentoring_follow_up_reminders.call_local() == 0


def test_the_reminder_reaches_a_real_smtp_server(env, smtp):  # noqa: F811
    s = env["s"]
    send_follow_up_reminders(s, today=TODAY)
    s.commit()
    report = deliver_pending(s, smtp.settings)
    s.commit()
    assert report.sent >= 2 and report.failed == 0
    received = smtp.to("ml@test.fr")
    assert len(received) == 1
    code = env["due_a"].mentee.code
    assert received[0]["Subject"] == f"Parrainage : situation à 6 mois à saisir ({code})"
    body = received[0].get_body(preferencelist=("plain",)).get_content()
    assert code in body and "/parrainage/suivis" in body
