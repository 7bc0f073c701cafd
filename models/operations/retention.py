"""Retention of everything but the young people's Parcours rows (those are
``models.parcours.retention``, décret n° 2015-59): the journal, the e-mails of the outbox,
inactive accounts, trainees' registrations and the access log of youth-level data.

Each category has a duration read from the environment (:class:`RetentionSettings`);
:func:`apply_retention` applies them all on a given day. The scheduled job
"conservation" (``models.operations.schedule``) calls it every day; the command
``flask --app webapp retention appliquer`` runs it by hand (``--simulation`` counts only).

What happens past each duration:

============================  ==============================  =========================
category                      setting (default)               past it
============================  ==============================  =========================
journal (``audit_event``)     ``JOURNAL_RETENTION_DAYS`` 365  entry deleted
sent e-mails (outbox)         ``OUTBOX_RETENTION_MONTHS`` 6   message deleted
accounts without sign-in      ``ACCOUNT_INACTIVITY_DAYS`` 365 account anonymised
training registrations        ``REGISTRATION_RETENTION_YEARS``
                              3 (after the session's end)     registration anonymised
access log (``data_access``)  ``DATA_ACCESS_RETENTION_DAYS``
                              365                             row deleted
============================  ==============================  =========================

**Journal: deleted, not stripped.** The journal is a traceability log; the CNIL
recommends keeping such logs from 6 months to 1 year. Stripping old entries of their
``changes`` snapshots would still keep, forever, who acted (the actor's e-mail), on which
row, when, and for sign-ins the IP address: personal data with no end date, and a table
that grows without bound. The records themselves keep their current state (and their
version), the payments, conventions and attendance their own dates: nothing the product
computes reads the journal. So entries older than the duration are deleted whole, which is
also what removes the trainees' names that old registration entries carry. The duration
may not exceed a year (366 days), nor the access log's.

**Accounts.** An account whose last sign-in (or creation, if it never signed in) is older
than the duration is anonymised: name "Compte anonymisé", address
``anonyme-<id>@compte.invalid``, an unusable password, inactive, its sessions closed. Its
role and mission locale stay (the statistics by role and ML do not change). The last
active administrator is never anonymised. As the access log and the journal are kept no
longer than the inactivity delay, the person's own entries there are gone by then too.

**Registrations.** A registration is training evidence (attendance, hours, the mission
locale's seats) for ``REGISTRATION_RETENTION_YEARS`` after its session's last day, then
its trainee is anonymised the way ``models.mentoring.trainings.anonymise_registrations``
does it: name and e-mail replaced, the cancellation reason erased; seat, status, job and
attendance stay, so the training's figures are unchanged.

**Outbox.** A sent message is deleted ``OUTBOX_RETENTION_MONTHS`` after it was sent; a
message never sent (failed for good, or kept because no SMTP server was configured) the
same delay after it was queued.

The anonymisations are written with bulk UPDATE statements, which the audit listener
does not see: a row-level journal entry would copy the old name and e-mail into the
journal (``User.__audit_redact__`` covers the password alone, and a staff registration's
name is not redacted). Instead, one journal entry per run (entity ``conservation``) gives
the cut-offs and the counts per category, no names, no ids. A simulation writes nothing.
"""

from __future__ import annotations

import calendar
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import String, and_, cast, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from models import clock
from models.accounts.orm import SignOnToken, User, UserSession
from models.accounts.roles import Role
from models.audit.context import actor_of
from models.audit.orm import AuditEvent
from models.base import utcnow
from models.mail.orm import OutboxMessage
from models.operations.orm import DataAccess
from models.training.orm import Registration, TrainingSession

#: the keys of :func:`apply_retention`'s counts, in the order the CLI prints them
JOURNAL, OUTBOX, ACCOUNTS, REGISTRATIONS, ACCESSES = (
    "journal", "courriels", "comptes", "inscriptions", "accès")
CATEGORIES = (JOURNAL, OUTBOX, ACCOUNTS, REGISTRATIONS, ACCESSES)
#: French labels (the CLI, the README)
LABELS = {
    JOURNAL: "entrées du journal supprimées",
    OUTBOX: "courriels supprimés de la boîte d'envoi",
    ACCOUNTS: "comptes inactifs anonymisés",
    REGISTRATIONS: "inscriptions de stagiaires anonymisées",
    ACCESSES: "accès aux données des jeunes supprimés du journal des accès",
}

ANONYMOUS_USER_NAME = "Compte anonymisé"
ANONYMOUS_USER_DOMAIN = "compte.invalid"
UNUSABLE_PASSWORD = "!anonymise"  # noqa: S105 (not an Argon2 hash: no password ever matches it)
ANONYMOUS_TRAINEE = ("Anonymisé", "Stagiaire")  # last name, first name
#: the journal's entity for this module's summary entries
JOURNAL_ENTITY = "conservation"
#: at most a year: the CNIL's recommendation for logs (journal), the issue's for accesses
MAX_LOG_DAYS = 366
#: the environment variable of each setting
ENV_NAMES = {
    "journal_days": "JOURNAL_RETENTION_DAYS",
    "outbox_months": "OUTBOX_RETENTION_MONTHS",
    "account_inactivity_days": "ACCOUNT_INACTIVITY_DAYS",
    "registration_years": "REGISTRATION_RETENTION_YEARS",
    "data_access_days": "DATA_ACCESS_RETENTION_DAYS",
}


@dataclass(frozen=True)
class RetentionSettings:
    """How long each category is kept (see the module's docstring)."""

    journal_days: int = 365
    outbox_months: int = 6
    account_inactivity_days: int = 365
    registration_years: int = 3
    data_access_days: int = 365

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RetentionSettings:
        """The durations from the environment, defaults for the unset ones. A value that
        is not a whole number ≥ 1, or a log kept more than a year, is a configuration
        error said in French (``RuntimeError``)."""
        env = os.environ if environ is None else environ
        values: dict[str, int] = {}
        for field, name in ENV_NAMES.items():
            raw = env.get(name, "").strip()
            if not raw:
                continue
            try:
                value = int(raw)
            except ValueError:
                value = 0
            if value < 1:
                raise RuntimeError(f"{name}={raw!r} : un nombre entier supérieur ou égal à 1 "
                                   "est attendu.")
            if field in ("journal_days", "data_access_days") and value > MAX_LOG_DAYS:
                raise RuntimeError(f"{name}={raw!r} : un journal se conserve au plus un an "
                                   f"({MAX_LOG_DAYS - 1} jours).")
            values[field] = value
        return cls(**values)


# ---------------------------------------------------------------- cut-offs
def months_before(day: date, months: int) -> date:
    """``day`` moved back ``months`` calendar months (31 → the month's last day)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def years_before(day: date, years: int) -> date:
    return months_before(day, 12 * years)


def start_of(day: date) -> datetime:
    """The first instant of ``day`` in France, as aware UTC (what the columns store)."""
    return datetime.combine(day, time(0), tzinfo=clock.LOCAL).astimezone(UTC)


@dataclass(frozen=True)
class Cutoffs:
    """The first day still kept, per category: anything dated before it goes."""

    journal: date
    outbox: date
    accounts: date
    registrations: date  # a session that ended before this day
    accesses: date

    @classmethod
    def on(cls, today: date, settings: RetentionSettings) -> Cutoffs:
        return cls(journal=today - timedelta(days=settings.journal_days),
                   outbox=months_before(today, settings.outbox_months),
                   accounts=today - timedelta(days=settings.account_inactivity_days),
                   registrations=years_before(today, settings.registration_years),
                   accesses=today - timedelta(days=settings.data_access_days))


# ---------------------------------------------------------------- per category
def _count(session: Session, stmt) -> int:
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def _journal(session: Session, cutoff: date, simulation: bool) -> int:
    where = AuditEvent.occurred_at < start_of(cutoff)
    if simulation:
        return _count(session, select(AuditEvent.id).where(where))
    return session.execute(delete(AuditEvent).where(where)
                           .execution_options(synchronize_session=False)).rowcount or 0


def _outbox(session: Session, cutoff: date, simulation: bool) -> int:
    moment = start_of(cutoff)
    where = or_(OutboxMessage.sent_at < moment,
                and_(OutboxMessage.sent_at.is_(None), OutboxMessage.created_at < moment))
    if simulation:
        return _count(session, select(OutboxMessage.id).where(where))
    return session.execute(delete(OutboxMessage).where(where)
                           .execution_options(synchronize_session=False)).rowcount or 0


def _is_anonymised_user():
    return User.email.like(f"anonyme-%@{ANONYMOUS_USER_DOMAIN}")


def inactive_accounts(session: Session, cutoff: date) -> list[int]:
    """Ids of the accounts to anonymise: last sign-in (or creation, never signed in)
    before ``cutoff``, not anonymised yet; the last active administrator spared."""
    moment = start_of(cutoff)
    last_seen = func.coalesce(User.last_login_at, User.created_at)
    rows = session.execute(select(User.id, User.role, User.active, last_seen).where(
        last_seen < moment, ~_is_anonymised_user()).order_by(User.id)).all()
    ids = [row[0] for row in rows]
    admins = [row for row in rows if Role(row[1]) is Role.ADMIN and row[2]]
    if admins:
        remaining = session.scalar(select(func.count()).select_from(User).where(
            User.role == Role.ADMIN, User.active.is_(True), User.id.not_in(ids))) or 0
        if not remaining:  # keep the one seen last: the installation stays administrable
            spared = max(admins, key=lambda row: (row[3], row[0]))
            ids.remove(spared[0])
    return ids


def _accounts(session: Session, cutoff: date, simulation: bool) -> int:
    ids = inactive_accounts(session, cutoff)
    if simulation or not ids:
        return len(ids)
    table = User.__table__
    session.execute(update(table).where(table.c.id.in_(ids)).values(
        full_name=ANONYMOUS_USER_NAME,
        email="anonyme-" + cast(table.c.id, String) + f"@{ANONYMOUS_USER_DOMAIN}",
        password_hash=UNUSABLE_PASSWORD, active=False,
        session_epoch=table.c.session_epoch + 1,  # any remaining cookie is refused
        version_id=table.c.version_id + 1,  # a form opened before reads ConcurrentEdit
        updated_at=utcnow()))
    sessions = list(session.scalars(select(UserSession.id).where(or_(
        UserSession.user_id.in_(ids),
        UserSession.parent_id.in_(select(UserSession.id).where(UserSession.user_id.in_(ids)))))))
    for chunk in _chunks(sessions):
        session.execute(delete(SignOnToken).where(SignOnToken.session_id.in_(chunk))
                        .execution_options(synchronize_session=False))
        session.execute(delete(UserSession).where(UserSession.id.in_(chunk))
                        .execution_options(synchronize_session=False))
    _forget(session, User, ids)
    closed = set(sessions)
    for obj in list(session.identity_map.values()):  # the deleted rows' loaded copies
        if (isinstance(obj, UserSession) and obj.id in closed) or (
                isinstance(obj, SignOnToken) and obj.session_id in closed):
            session.expunge(obj)
    return len(ids)


def _is_anonymised_registration():
    return Registration.email.like("anonyme-%@invalid")


def expired_registrations(session: Session, cutoff: date) -> list[int]:
    """Ids of the registrations whose session ended before ``cutoff``, not anonymised."""
    return list(session.scalars(
        select(Registration.id).join(TrainingSession,
                                     TrainingSession.id == Registration.session_id)
        .where(TrainingSession.end_date < cutoff, ~_is_anonymised_registration())
        .order_by(Registration.id)))


def _registrations(session: Session, cutoff: date, simulation: bool) -> int:
    ids = expired_registrations(session, cutoff)
    if simulation or not ids:
        return len(ids)
    table = Registration.__table__
    last_name, first_name = ANONYMOUS_TRAINEE
    for chunk in _chunks(ids):
        session.execute(update(table).where(table.c.id.in_(chunk)).values(
            last_name=last_name, first_name=first_name,
            # the pattern of models.mentoring.trainings.anonymise_registrations: unique per
            # session (the table's (session_id, email) key) and recognised as done
            email="anonyme-" + cast(table.c.id, String) + "@invalid",
            cancel_reason="", updated_at=utcnow()))
    _forget(session, Registration, ids)
    return len(ids)


def _accesses(session: Session, cutoff: date, simulation: bool) -> int:
    where = DataAccess.occurred_at < start_of(cutoff)
    if simulation:
        return _count(session, select(DataAccess.id).where(where))
    return session.execute(delete(DataAccess).where(where)
                           .execution_options(synchronize_session=False)).rowcount or 0


def _chunks(ids: list[int], size: int = 500):
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _forget(session: Session, model, ids: list[int]) -> None:
    """Expire the loaded copies the bulk statements changed."""
    wanted = set(ids)
    for obj in list(session.identity_map.values()):
        if isinstance(obj, model) and obj.id in wanted:
            session.expire(obj)


# ---------------------------------------------------------------- the run
def apply_retention(session: Session, *, today: date, simulation: bool = False,
                    settings: RetentionSettings | None = None) -> dict[str, int]:
    """Apply every duration on ``today``; the count per category (keys: ``CATEGORIES``).

    Flushes, never commits: the caller (the scheduled job, the CLI) owns the transaction.
    One journal entry sums the run up (cut-offs and counts, no personal data) when it
    changed something; ``simulation`` counts what would go and changes nothing.
    """
    settings = settings or RetentionSettings.from_env()
    cutoffs = Cutoffs.on(today, settings)
    session.flush()  # the caller's pending changes first: the bulk statements follow
    counts = {
        JOURNAL: _journal(session, cutoffs.journal, simulation),
        OUTBOX: _outbox(session, cutoffs.outbox, simulation),
        ACCOUNTS: _accounts(session, cutoffs.accounts, simulation),
        REGISTRATIONS: _registrations(session, cutoffs.registrations, simulation),
        ACCESSES: _accesses(session, cutoffs.accesses, simulation),
    }
    if not simulation and any(counts.values()):
        actor_id, actor_email, via = actor_of(session)
        session.execute(insert(AuditEvent.__table__).values(
            occurred_at=utcnow(), actor_id=actor_id, actor_email=actor_email, via=via,
            entity=JOURNAL_ENTITY, entity_id=today.isoformat(), action="delete",
            changes={"aujourdhui": today.isoformat(),
                     "durees": asdict(settings),
                     "avant_le": {key: value.isoformat()
                                  for key, value in asdict(cutoffs).items()},
                     "nombres": counts}))
    session.flush()
    return counts
