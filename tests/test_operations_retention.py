"""Retention of the journal, the outbox, inactive accounts, trainees' registrations and
the access log (``models.operations.retention``; the youth data purge is tested in
tests/test_parcours_retention.py). Every category around its cut-off: the last moment
that goes, the first that stays; a simulation changes nothing; the last active admin is
never anonymised; the journal keeps no name or e-mail of what was anonymised."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from models import clock
from models.accounts.orm import User, UserSession
from models.accounts.roles import Role
from models.accounts.services import authenticate
from models.audit import set_actor
from models.audit.orm import AuditEvent
from models.mail.orm import OutboxMessage
from models.operations.orm import DataAccess
from models.operations.retention import (
    CATEGORIES,
    JOURNAL_ENTITY,
    Cutoffs,
    RetentionSettings,
    apply_retention,
    months_before,
    start_of,
)
from models.training.enums import (
    HalfDay,
    Modality,
    Presence,
    RegistrationStatus,
)
from models.training.orm import (
    Attendance,
    Registration,
    SessionSlot,
    Training,
    TrainingSession,
)
from tests.conftest import PASSWORD, fast_hash
from webapp.extensions import db

SETTINGS = RetentionSettings()
SECOND = timedelta(seconds=1)


def today() -> date:
    return clock.today()


def cutoffs() -> Cutoffs:
    return Cutoffs.on(today(), SETTINGS)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def run(*, simulation: bool = False, day: date | None = None) -> dict[str, int]:
    set_actor(db.session, None, via="job")
    counts = apply_retention(db.session, today=day or today(), simulation=simulation,
                             settings=SETTINGS)
    db.session.commit()
    return counts


def last_event_id() -> int:
    return db.session.scalar(select(func.max(AuditEvent.id))) or 0


def events_after(event_id: int) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.id > event_id)
                                   .order_by(AuditEvent.id)))


# ---------------------------------------------------------------- settings
def test_settings_defaults_and_environment():
    assert RetentionSettings.from_env({}) == RetentionSettings(
        journal_days=365, outbox_months=6, account_inactivity_days=365,
        registration_years=3, data_access_days=365)
    assert RetentionSettings.from_env({
        "JOURNAL_RETENTION_DAYS": "180", "OUTBOX_RETENTION_MONTHS": " 2 ",
        "ACCOUNT_INACTIVITY_DAYS": "730", "REGISTRATION_RETENTION_YEARS": "5",
        "DATA_ACCESS_RETENTION_DAYS": "90"}) == RetentionSettings(180, 2, 730, 5, 90)
    for name, raw in (("JOURNAL_RETENTION_DAYS", "0"), ("OUTBOX_RETENTION_MONTHS", "six"),
                      ("REGISTRATION_RETENTION_YEARS", "-1"),
                      ("ACCOUNT_INACTIVITY_DAYS", "1.5")):
        with pytest.raises(RuntimeError, match=f"{name}.*nombre entier"):
            RetentionSettings.from_env({name: raw})
    for name in ("JOURNAL_RETENTION_DAYS", "DATA_ACCESS_RETENTION_DAYS"):
        with pytest.raises(RuntimeError, match="au plus un an"):
            RetentionSettings.from_env({name: "400"})


def test_calendar_arithmetic():
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2028, 3, 31), 1) == date(2028, 2, 29)
    assert months_before(date(2026, 1, 15), 6) == date(2025, 7, 15)
    assert months_before(date(2028, 2, 29), 36) == date(2025, 2, 28)
    # the first instant of a French day, in UTC: 23:00 the evening before in winter
    moment = start_of(date(2026, 1, 10))
    assert moment.astimezone(clock.LOCAL).replace(tzinfo=None) == datetime(2026, 1, 10)
    assert moment.utcoffset() == timedelta(0)


# ---------------------------------------------------------------- journal
def test_journal_entries_around_the_cut_off(app, world):
    edge = start_of(cutoffs().journal)
    with app.app_context():
        s = db.session
        s.add_all([AuditEvent(occurred_at=edge - SECOND, via="web", entity="registration",
                              entity_id="1", action="insert", actor_email="anim@test.fr",
                              changes={"last_name": "Ancienne", "email": "old@ml.fr"}),
                   AuditEvent(occurred_at=edge - timedelta(days=200), via="web",
                              entity="action", entity_id="2", action="update", changes={}),
                   AuditEvent(occurred_at=edge, via="web", entity="registration",
                              entity_id="3", action="insert", changes={"last_name": "Gardée"})])
        s.commit()
        before = count(AuditEvent)
        assert run(simulation=True)["journal"] == 2
        assert count(AuditEvent) == before, "a simulation changed the journal"
        mark = last_event_id()
        assert run()["journal"] == 2
        assert count(AuditEvent, AuditEvent.occurred_at < edge) == 0
        assert count(AuditEvent, AuditEvent.entity == "registration",
                     AuditEvent.entity_id == "3") == 1  # the day of: kept
        summary = events_after(mark)
        assert [(e.entity, e.action, e.via) for e in summary] == [
            (JOURNAL_ENTITY, "delete", "job")]
        assert summary[0].changes["nombres"]["journal"] == 2
        assert summary[0].changes["avant_le"]["journal"] == cutoffs().journal.isoformat()
        assert "@" not in json.dumps(summary[0].changes)
        # a second run finds nothing and writes no entry
        mark = last_event_id()
        assert run() == dict.fromkeys(CATEGORIES, 0)
        assert events_after(mark) == []


# ---------------------------------------------------------------- outbox
def test_outbox_messages_around_the_cut_off(app, world):
    edge = start_of(cutoffs().outbox)
    assert cutoffs().outbox == months_before(today(), 6)

    def message(subject: str, *, sent_at=None, created_at=None) -> OutboxMessage:
        return OutboxMessage(recipients=["someone@ml.fr"], subject=subject, body="…",
                             kind="confirmation", sent_at=sent_at,
                             created_at=created_at or (sent_at or clock.now()))

    with app.app_context():
        db.session.add_all([
            message("sent before", sent_at=edge - SECOND),
            message("sent on the day", sent_at=edge),
            # queued long ago but sent recently: counted from its sending
            message("sent late", sent_at=edge + timedelta(days=3),
                    created_at=edge - timedelta(days=30)),
            message("never sent, old", created_at=edge - SECOND),
            message("never sent, recent", created_at=edge + SECOND),
        ])
        db.session.commit()
        assert run(simulation=True)["courriels"] == 2
        assert count(OutboxMessage) == 5
        assert run()["courriels"] == 2
        assert sorted(db.session.scalars(select(OutboxMessage.subject))) == [
            "never sent, recent", "sent late", "sent on the day"]


# ---------------------------------------------------------------- accounts
def _seen(user_id: int, *, last_login_at=None, created_at=None) -> None:
    user = db.session.get(User, user_id)
    user.last_login_at = last_login_at
    if created_at is not None:
        user.created_at = created_at


def test_inactive_accounts_anonymised_around_the_cut_off(app, world):
    ids = world["ids"]
    edge = start_of(cutoffs().accounts)
    with app.app_context():
        s = db.session
        _seen(ids["ml"], last_login_at=edge - SECOND)  # a year and a second: anonymised
        _seen(ids["copil"], last_login_at=edge)  # exactly the delay: kept
        _seen(ids["financeur"], created_at=edge - timedelta(days=3))  # never signed in
        _seen(ids["animateur"], created_at=edge + SECOND)  # never signed in, recent
        _seen(ids["admin"], last_login_at=clock.now())
        _seen(ids["target"], last_login_at=clock.now())
        s.add(UserSession(token_hash="a" * 64, user_id=ids["ml"], via="web",
                          created_at=clock.now(), last_seen_at=clock.now()))
        s.commit()
        version, epoch = s.get(User, ids["ml"]).version_id, s.get(User, ids["ml"]).session_epoch

        assert run(simulation=True)["comptes"] == 2
        assert s.get(User, ids["ml"]).email == "ml@test.fr", "a simulation anonymised"
        mark = last_event_id()
        assert run()["comptes"] == 2

        ml = s.get(User, ids["ml"])
        assert (ml.full_name, ml.email, ml.active) == (
            "Compte anonymisé", f"anonyme-{ids['ml']}@compte.invalid", False)
        assert (ml.version_id, ml.session_epoch) == (version + 1, epoch + 1)
        assert ml.role == Role.ML and ml.mission_locale_id == ids["ml_a"]  # statistics kept
        assert count(UserSession, UserSession.user_id == ids["ml"]) == 0
        assert authenticate(s, "ml@test.fr", PASSWORD) is None
        assert authenticate(s, ml.email, PASSWORD) is None
        assert s.get(User, ids["financeur"]).email.startswith("anonyme-")
        for kept in ("copil", "animateur", "admin", "target"):
            assert s.get(User, ids[kept]).email == world["emails"][kept]
        # the journal of the run names nobody
        written = json.dumps([[e.entity, e.entity_id, e.actor_email, e.changes]
                              for e in events_after(mark)])
        for secret in ("ml@test.fr", "Marc Libourne", "fin@test.fr", "Fanny Fin"):
            assert secret not in written
        assert [e.entity for e in events_after(mark)] == [JOURNAL_ENTITY]
        # done once: a second run leaves the anonymised accounts alone
        assert run()["comptes"] == 0


def test_the_last_active_admin_is_never_anonymised(app, world):
    ids = world["ids"]
    old = start_of(cutoffs().accounts) - timedelta(days=30)
    with app.app_context():
        s = db.session
        _seen(ids["admin"], last_login_at=old)
        for role in ("animateur", "copil", "ml", "financeur", "target"):
            _seen(ids[role], last_login_at=clock.now())
        s.commit()
        assert run()["comptes"] == 0
        assert s.get(User, ids["admin"]).active
        assert s.get(User, ids["admin"]).email == "admin@test.fr"

        # two old admins, none recent: the one seen last stays, the other goes
        second = User(email="admin2@test.fr", full_name="Bea Admin", role=Role.ADMIN,
                      password_hash=fast_hash(), last_login_at=old - timedelta(days=1))
        s.add(second)
        s.commit()
        assert run()["comptes"] == 1
        assert s.get(User, second.id).email.startswith("anonyme-")
        assert s.get(User, ids["admin"]).email == "admin@test.fr"

        # a recent admin appears: the old one is no longer the last
        s.add(User(email="admin3@test.fr", full_name="Cléo Admin", role=Role.ADMIN,
                   password_hash=fast_hash(), last_login_at=clock.now()))
        s.commit()
        assert run()["comptes"] == 1
        assert s.get(User, ids["admin"]).email.startswith("anonyme-")


# ---------------------------------------------------------------- registrations
def _training_session(end: date) -> TrainingSession:
    training = Training(title="Accueil", duration_days=Decimal("1"),
                        duration_hours=Decimal("7"), modality=Modality.PRESENTIEL,
                        audience=["conseiller"])
    ts = TrainingSession(training=training, start_date=end, end_date=end, max_capacity=10,
                         registration_opens=end - timedelta(days=60),
                         registration_closes=end - timedelta(days=1))
    ts.slots = [SessionSlot(day=end, half=HalfDay.MATIN, starts_at=time(9), ends_at=time(12))]
    db.session.add(training)
    db.session.flush()
    return ts


def _registration(ts: TrainingSession, ml_id: int, name: str, **extra) -> Registration:
    reg = Registration(session_id=ts.id, mission_locale_id=ml_id, last_name=name,
                       first_name="Camille", email=f"{name.lower()}@ml.fr", job="conseiller",
                       status=RegistrationStatus.CONFIRMEE, **extra)
    db.session.add(reg)
    db.session.flush()
    return reg


def test_registrations_anonymised_after_the_evidence_period(app, world):
    ids = world["ids"]
    cut = cutoffs().registrations
    assert cut == date(today().year - 3, today().month, today().day)
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        ended_before = _training_session(cut - timedelta(days=1))
        ended_on = _training_session(cut)
        old = _registration(ended_before, ids["ml_a"], "Ancienne",
                            cancel_reason="Malade, voir avec Mme Ancienne")
        old.attendances = [Attendance(slot_id=ended_before.slots[0].id,
                                      presence=Presence.PRESENT)]
        done = _registration(ended_before, ids["ml_b"], "Deja")
        done.email = f"anonyme-{done.id}@invalid"  # a mentor's, anonymised already
        kept = _registration(ended_on, ids["ml_a"], "Recente")
        s.commit()
        old_id, kept_id = old.id, kept.id

        assert run(simulation=True)["inscriptions"] == 1
        assert s.get(Registration, old_id).last_name == "Ancienne"
        mark = last_event_id()
        assert run()["inscriptions"] == 1
        old = s.get(Registration, old_id)
        assert (old.last_name, old.first_name, old.email, old.cancel_reason) == (
            "Anonymisé", "Stagiaire", f"anonyme-{old_id}@invalid", "")
        # the evidence stays: seat, mission locale, job, attendance
        assert (old.status, old.mission_locale_id, old.job) == (
            RegistrationStatus.CONFIRMEE, ids["ml_a"], "conseiller")
        assert [a.presence for a in old.attendances] == [Presence.PRESENT]
        assert s.get(Registration, kept_id).last_name == "Recente"
        written = json.dumps([e.changes for e in events_after(mark)])
        assert "Ancienne" not in written and "ancienne@ml.fr" not in written
        assert run()["inscriptions"] == 0


# ---------------------------------------------------------------- access log
def test_access_log_rows_around_the_cut_off(app, world):
    edge = start_of(cutoffs().accesses)

    def access(moment) -> DataAccess:
        return DataAccess(occurred_at=moment, user_id=world["ids"]["ml"],
                          user_email="ml@test.fr", role="ml",
                          mission_locale_id=world["ids"]["ml_a"], kind="consultation",
                          what="anomalies")

    with app.app_context():
        db.session.add_all([access(edge - SECOND), access(edge - timedelta(days=90)),
                            access(edge), access(clock.now())])
        db.session.commit()
        assert run(simulation=True)["accès"] == 2
        assert count(DataAccess) == 4
        assert run()["accès"] == 2
        assert count(DataAccess) == 2
        assert count(DataAccess, DataAccess.occurred_at < edge) == 0


# ---------------------------------------------------------------- the whole run
def test_simulation_changes_nothing_and_counts_what_the_run_does(app, world):
    ids = world["ids"]
    long_ago = start_of(today() - timedelta(days=4 * 366))
    with app.app_context():
        s = db.session
        set_actor(s, None, via="cli")
        _seen(ids["ml"], last_login_at=long_ago)
        s.add_all([AuditEvent(occurred_at=long_ago, via="web", entity="x", entity_id="1",
                              action="insert", changes={}),
                   OutboxMessage(recipients=["a@b.fr"], subject="s", body="b", kind="offre",
                                 created_at=long_ago, sent_at=long_ago),
                   DataAccess(occurred_at=long_ago, user_email="ml@test.fr", role="ml",
                              kind="export", what="export CSV des anomalies")])
        _registration(_training_session(long_ago.date()), ids["ml_a"], "Vieille")
        s.commit()

        def state():
            return (count(AuditEvent), count(OutboxMessage), count(DataAccess),
                    sorted(s.scalars(select(User.email))),
                    sorted(s.scalars(select(Registration.email))))

        before = state()
        simulated = run(simulation=True)
        assert state() == before
        assert simulated == {"journal": 1, "courriels": 1, "comptes": 1, "inscriptions": 1,
                             "accès": 1}
        assert run() == simulated
        assert run() == dict.fromkeys(CATEGORIES, 0)


def test_cli_reports_counts_and_refuses_a_bad_date(app, world):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["retention", "appliquer", "--aujourdhui", "31/02/2026"])
    assert result.exit_code == 1
    assert "n'est pas une date JJ/MM/AAAA" in result.output

    with app.app_context():
        _seen(world["ids"]["ml"], last_login_at=start_of(date(2025, 1, 10)))
        db.session.commit()
    result = runner.invoke(args=["retention", "appliquer", "--simulation",
                                 "--aujourdhui", "20/01/2026"])
    assert result.exit_code == 0, result.output
    assert "Simulation (rien n'est modifié), jour de référence : 20 janvier 2026" in result.output
    assert ("comptes inactifs à anonymiser : 1 (dernière connexion avant le 20 janvier "
            "2025)") \
        in result.output
    with app.app_context():
        assert db.session.get(User, world["ids"]["ml"]).email == "ml@test.fr"

    result = runner.invoke(args=["retention", "appliquer", "--aujourdhui", "20/01/2026"])
    assert result.exit_code == 0, result.output
    assert "comptes inactifs anonymisés : 1" in result.output
    assert "entrées du journal supprimées : 0" in result.output
    with app.app_context():
        assert db.session.get(User, world["ids"]["ml"]).email.startswith("anonyme-")


def test_the_daily_scheduled_job_applies_the_durations(app, world):
    """The worker's job "conservation" (models.operations.schedule) runs this module, as
    the scheduled job, and says what it did in French on the "Tâches planifiées" page."""
    from models.operations import schedule

    with app.app_context():
        _seen(world["ids"]["ml"], last_login_at=start_of(today() - timedelta(days=400)))
        db.session.commit()
        run = schedule.run_job(db.engine, "conservation")
        assert (run.status, run.message) == (
            "reussie", "Durées de conservation appliquées : comptes : 1.")
        db.session.expire_all()
        assert db.session.get(User, world["ids"]["ml"]).email.startswith("anonyme-")
        entry = db.session.scalars(select(AuditEvent).where(
            AuditEvent.entity == JOURNAL_ENTITY)).one()
        assert entry.via == "job" and entry.changes["nombres"]["comptes"] == 1
        assert schedule.run_job(db.engine, "conservation").message == (
            "Rien n'avait dépassé sa durée de conservation.")
