"""The outbox: every e-mail the product sends (training convocations, council
invitations, report notices…)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class OutboxMessage(Base):
    """Every e-mail the product sends, written in the same transaction as the change
    that causes it, then delivered by SMTP (or kept here when none is configured).

    ``subject_type``/``subject_id`` name what the message concerns (a training session,
    a council meeting…) without a foreign key per kind of thing: the message outlives
    its subject.
    """

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipients: Mapped[list[str]] = mapped_column(JSON)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    # [{"filename": ..., "mimetype": ..., "content": <text>}]
    attachments: Mapped[list[dict]] = mapped_column(JSON, default=list)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    subject_type: Mapped[str | None] = mapped_column(String(40))
    subject_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    # after a failure, the scheduled retries wait until then (back-off: 1, 2, 4… minutes)
    next_attempt_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_outbox_message_subject", "subject_type", "subject_id"),)


#: subject types (the table name of what a message concerns)
TRAINING_SESSION = "training_session"
COUNCIL_MEETING = "council_meeting"
