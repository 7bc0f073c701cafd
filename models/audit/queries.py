"""Reading the audit log."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.audit.orm import AuditEvent


def history_of(session: Session, entity: str, entity_id: int | str) -> list[AuditEvent]:
    """Every event of one row, newest first."""
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.entity == entity, AuditEvent.entity_id == str(entity_id))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    )
    return list(session.scalars(stmt))
