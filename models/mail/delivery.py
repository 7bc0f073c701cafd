"""Deliver the outbox by SMTP, after the change that queued the messages is committed.

``deliver_pending`` never raises: a refused recipient or an unreachable server is
recorded on the message (``attempts``, ``last_error``) and the message stays in the
outbox for the next run (``flask --app webapp mail send``, or the scheduled job
"courriels" every minute). After a failure the scheduled job waits before trying the
message again (back-off: 1, 2, 4… minutes, at most an hour: ``next_attempt_at``), so a
server down for an hour is not hammered; ``mail send`` by hand tries at once.

The web sends, right after its commit, only the messages its own transaction queued
(tracked per session), so two workers never send the same message twice.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy import event, or_, select
from sqlalchemy.orm import Session

from models import clock
from models.base import utcnow
from models.mail.orm import OutboxMessage
from models.mail.settings import MailSettings

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
#: back-off after a failed attempt: 1, 2, 4, 8… minutes, never more than this
MAX_RETRY_DELAY = timedelta(hours=1)
QUEUED_KEY = "outbox_queued_ids"


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- which messages are new
@event.listens_for(Session, "after_flush")
def _track_queued(session: Session, _context) -> None:
    ids = [obj.id for obj in session.new if isinstance(obj, OutboxMessage)]
    if ids:
        session.info.setdefault(QUEUED_KEY, set()).update(ids)


@event.listens_for(Session, "after_soft_rollback")
def _forget_queued(session: Session, _previous_transaction) -> None:
    # rolled-back ids may be reused (SQLite): never send someone else's message
    session.info.pop(QUEUED_KEY, None)


def take_queued_ids(session: Session) -> list[int]:
    """Ids of the messages flushed in this session since the last call (or rollback)."""
    return sorted(session.info.pop(QUEUED_KEY, set()))


# ---------------------------------------------------------------- building and sending
def _ics_method(content: str) -> str:
    """The iTIP method the calendar itself declares (a council invitation is a REQUEST,
    its cancellation a CANCEL), so mail clients treat it as such; PUBLISH otherwise."""
    for line in content.splitlines():
        if line.upper().startswith("METHOD:"):
            return line.split(":", 1)[1].strip().upper() or "PUBLISH"
    return "PUBLISH"


def build_message(message: OutboxMessage, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = ", ".join(message.recipients)
    email["Subject"] = message.subject
    email["Date"] = format_datetime(clock.local_now())
    email["Message-ID"] = make_msgid(idstring=f"outbox{message.id}")
    email.set_content(message.body)
    for attachment in message.attachments or []:
        maintype, _, subtype = attachment["mimetype"].partition("/")
        content = attachment["content"]
        if maintype == "text":
            params = {"method": _ics_method(content)} if subtype == "calendar" else None
            email.add_attachment(content, subtype=subtype or "plain",
                                 filename=attachment["filename"], params=params)
        else:
            data = content.encode() if isinstance(content, str) else content
            email.add_attachment(data, maintype=maintype or "application",
                                 subtype=subtype or "octet-stream",
                                 filename=attachment["filename"])
    return email


def _connect(settings: MailSettings) -> smtplib.SMTP:
    smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        if settings.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.user:
            smtp.login(settings.user, settings.password)
    except BaseException:
        smtp.close()
        raise
    return smtp


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__} : {exc}"[:1000]


def retry_delay(attempts: int) -> timedelta:
    """How long the scheduled job waits after the ``attempts``-th failed attempt."""
    if attempts < 1:
        return timedelta(0)
    return min(timedelta(minutes=2 ** min(attempts - 1, 20)), MAX_RETRY_DELAY)


def _failed(message: OutboxMessage, error: str, now: datetime) -> None:
    message.last_error = error
    message.next_attempt_at = now + retry_delay(message.attempts)


def deliver_pending(session: Session, settings: MailSettings, *, ids: list[int] | None = None,
                    limit: int = 200, max_attempts: int = MAX_ATTEMPTS,
                    now: datetime | None = None, due_only: bool = False) -> DeliveryReport:
    """Send unsent messages (those in ``ids``, or all with attempts left); flush, no commit.

    ``due_only`` (the scheduled job): skip the messages still waiting out their back-off
    after a failure. Without a configured server it does nothing: the messages wait in
    the outbox.
    """
    report = DeliveryReport()
    if not settings.configured:
        return report
    current = now or utcnow()
    stmt = (select(OutboxMessage).where(OutboxMessage.sent_at.is_(None),
                                        OutboxMessage.attempts < max_attempts)
            .order_by(OutboxMessage.created_at, OutboxMessage.id).limit(limit))
    if due_only:
        stmt = stmt.where(or_(OutboxMessage.next_attempt_at.is_(None),
                              OutboxMessage.next_attempt_at <= current))
    if ids is not None:
        if not ids:
            return report
        stmt = stmt.where(OutboxMessage.id.in_(ids))
    messages = list(session.scalars(stmt))
    if not messages:
        return report
    try:
        smtp = _connect(settings)
    except OSError as exc:  # includes every SMTPException (refused login, TLS …)
        text = "Serveur d'envoi injoignable — " + _error_text(exc)
        for message in messages:
            message.attempts += 1
            _failed(message, text, current)
        report.failed = len(messages)
        report.errors.append(text)
        log.warning("SMTP unreachable (%s): %d message(s) kept in the outbox", exc,
                    len(messages))
        session.flush()
        return report
    try:
        for message in messages:
            message.attempts += 1
            try:
                refused = smtp.send_message(build_message(message, settings.sender),
                                            from_addr=settings.sender,
                                            to_addrs=message.recipients)
            except (OSError, ValueError) as exc:  # SMTPException is an OSError
                _failed(message, _error_text(exc), current)
                report.failed += 1
                report.errors.append(f"#{message.id} : {message.last_error}")
                lost = isinstance(exc, smtplib.SMTPServerDisconnected) or not isinstance(
                    exc, smtplib.SMTPException | ValueError)
                if lost:
                    smtp = _reconnect(smtp, settings)
                    if smtp is None:
                        break
                continue
            message.sent_at = current
            message.next_attempt_at = None
            # some recipients refused, the others got it: sent, with the refusals noted
            message.last_error = (f"Destinataires refusés : {', '.join(sorted(refused))}"
                                  if refused else "")
            report.sent += 1
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except OSError:
                smtp.close()
    session.flush()
    return report


def _reconnect(smtp: smtplib.SMTP, settings: MailSettings) -> smtplib.SMTP | None:
    smtp.close()
    try:
        return _connect(settings)
    except OSError:
        return None


def deliver_after_commit(session: Session, settings: MailSettings | None = None) -> DeliveryReport:
    """The web's post-commit step: send what the committed transaction queued, then commit
    the delivery marks. Never raises (the user's change is already saved)."""
    ids = take_queued_ids(session)
    report = DeliveryReport()
    if not ids:
        return report
    try:
        settings = settings or MailSettings.from_env()
        if not settings.configured:
            return report
        report = deliver_pending(session, settings, ids=ids)
        session.commit()
    except Exception:  # noqa: BLE001 - the change is committed; the outbox keeps the message
        log.exception("E-mail delivery after commit failed; messages stay in the outbox")
        session.rollback()
    return report
