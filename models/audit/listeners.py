"""Writes an AuditEvent for every audited insert/update/delete, whatever the entry point.

Registered on the Session class, so Flask-SQLAlchemy's sessions, the
dashboard's plain sessions and the CLI's are all covered. Rows are written
with Core inserts on the flush's own connection: the audit row commits or
rolls back with the change it describes. Bulk ``update()``/``delete()``
statements bypass the ORM and therefore this log; the domain core does not
use them on audited tables.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import NO_VALUE

from models.audit.context import actor_of
from models.audit.orm import AuditEvent
from models.base import Audited, Base, utcnow

REDACTED = "***"
_IGNORED = {"created_at", "updated_at", "version_id"}


def _jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if value is NO_VALUE:
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _columns(obj: Audited):
    for attr in inspect(obj).mapper.column_attrs:
        if attr.key not in _IGNORED:
            yield attr.key


def _value(obj: Audited, key: str) -> Any:
    return REDACTED if key in obj.__audit_redact__ else _jsonable(getattr(obj, key))


def _snapshot(obj: Audited) -> dict[str, Any]:
    return {key: _value(obj, key) for key in _columns(obj)}


def _diff(obj: Audited) -> dict[str, list[Any]]:
    state = inspect(obj)
    changes: dict[str, list[Any]] = {}
    for key in _columns(obj):
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if _jsonable(old) == _jsonable(new):
            continue
        if key in obj.__audit_redact__:
            changes[key] = [REDACTED, REDACTED]
        else:
            changes[key] = [_jsonable(old), _jsonable(new)]
    return changes


def _identity(obj: Audited) -> str:
    return "-".join(str(v) for v in inspect(obj).mapper.primary_key_from_instance(obj))


def _noop_set(target, value, oldvalue, initiator):
    return value


@event.listens_for(Base, "mapper_configured", propagate=True)
def _load_old_values(mapper, class_) -> None:
    """Make setting an expired attribute load its old value first, so the diff has it."""
    if not issubclass(class_, Audited):
        return
    for attr in mapper.column_attrs:
        event.listen(getattr(class_, attr.key), "set", _noop_set, active_history=True,
                     retval=True)


@event.listens_for(Session, "after_flush")
def _write_audit(session: Session, _flush_context) -> None:
    rows: list[dict[str, Any]] = []
    for action, objects in (
        ("insert", session.new),
        ("update", session.dirty),
        ("delete", session.deleted),
    ):
        for obj in objects:
            if not isinstance(obj, Audited):
                continue
            if action == "update":
                if not session.is_modified(obj, include_collections=False):
                    continue
                changes: dict[str, Any] = _diff(obj)
                if not changes:
                    continue
            else:
                changes = _snapshot(obj)
            rows.append({"entity": obj.__tablename__, "entity_id": _identity(obj),
                         "action": action, "changes": changes})
    if not rows:
        return
    actor_id, actor_email, via = actor_of(session)
    now = utcnow()
    session.connection().execute(
        insert(AuditEvent.__table__),
        [{**row, "actor_id": actor_id, "actor_email": actor_email, "via": via,
          "occurred_at": now} for row in rows],
    )
