"""Queue e-mails in the same transaction as the change that causes them.

Nothing is lost when no SMTP server is configured (development): messages stay in
the outbox, where admins read them. Delivery (``models.mail.delivery``) happens after
the commit, so a rolled-back change never sends anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from models.mail.orm import OutboxMessage


@dataclass
class Attachment:
    filename: str
    mimetype: str
    content: str  # text (ICS); binary attachments are not needed yet


def queue_mail(session: Session, recipients: list[str], subject: str, body: str, *,
               kind: str, about: object | None = None,
               attachments: list[Attachment] | None = None) -> OutboxMessage | None:
    """Add a message to the outbox (flushed with the caller's unit of work).

    ``about`` is the flushed ORM object the message concerns (a training session, a
    council meeting…); it is recorded by table name and id.
    """
    to = sorted({r.strip().lower() for r in recipients if r and r.strip()})
    if not to:
        return None
    # a typed name with a line break must not make the header unsendable
    subject = " ".join(subject.split())[:300]
    message = OutboxMessage(
        recipients=to, subject=subject, body=body, kind=kind,
        subject_type=getattr(about, "__tablename__", None) if about is not None else None,
        subject_id=getattr(about, "id", None) if about is not None else None,
        attachments=[vars(a) for a in attachments or []])
    session.add(message)
    return message
