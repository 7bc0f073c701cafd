"""Row counts and canonical digests per table, equal on SQLite and PostgreSQL.

A backup's manifest carries them; ``verify`` and ``restore`` recompute them. Rows are read
in primary-key order and every value is normalised by its column type (aware datetimes in
UTC, decimals at the column's scale, JSON with sorted keys, booleans as booleans — SQLite
returns 0/1), so the same data give the same digest whatever the backend.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import Connection, Table, select, text, types

from models.base import Base

ALEMBIC_TABLE = "alembic_version"
FETCH = 5000


@dataclass(frozen=True)
class TableDigest:
    rows: int
    digest: str

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "digest": self.digest}


def _datetime(value: Any) -> Any:
    if isinstance(value, str):  # a raw SQLite value that bypassed the type
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:  # SQLite keeps the UTC wall time without its zone
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _decimal(scale: int | None) -> Callable[[Any], str]:
    quantum = Decimal(1).scaleb(-scale) if scale is not None else None

    def convert(value: Any) -> str:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        if quantum is not None:
            number = number.quantize(quantum)
        return format(number, "f")

    return convert


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _enum(value: Any) -> str:
    return str(value.value) if isinstance(value, Enum) else str(value)


def _converter(column_type: types.TypeEngine) -> Callable[[Any], Any] | None:
    """The normaliser of one column (None: the value is already canonical)."""
    if isinstance(column_type, types.Enum):
        return _enum
    if isinstance(column_type, types.Boolean):
        return bool
    if isinstance(column_type, types.DateTime):
        return _datetime
    if isinstance(column_type, types.Date):
        return lambda v: v.isoformat() if isinstance(v, date) else str(v)
    if isinstance(column_type, types.Time):
        return lambda v: v.isoformat() if isinstance(v, time) else str(v)
    if isinstance(column_type, types.Numeric) and not isinstance(column_type, types.Float):
        return _decimal(column_type.scale)
    if isinstance(column_type, types.JSON):
        return _json
    if isinstance(column_type, types.LargeBinary):
        return lambda v: bytes(v).hex()
    return None


def table_digest(conn: Connection, table: Table) -> TableDigest:
    """Count and digest one table, streaming (the largest tables hold millions of rows)."""
    converters = [(i, c) for i, column in enumerate(table.columns)
                  if (c := _converter(column.type)) is not None]
    order = list(table.primary_key.columns) or list(table.columns)
    result = conn.execution_options(stream_results=True, yield_per=FETCH).execute(
        select(table).order_by(*order))
    digest = hashlib.sha256()
    count = 0
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for partition in result.partitions(FETCH):
        lines = []
        for row in partition:
            values = list(row)
            for index, convert in converters:
                if values[index] is not None:
                    values[index] = convert(values[index])
            lines.append(dumps(values))
        count += len(lines)
        if lines:
            digest.update(("\n".join(lines) + "\n").encode())
    return TableDigest(rows=count, digest=digest.hexdigest())


def alembic_revision(conn: Connection) -> str | None:
    try:
        return conn.scalar(text("SELECT version_num FROM alembic_version"))
    except Exception:  # no schema at all
        return None


def database_digests(conn: Connection) -> dict[str, TableDigest]:
    """Every table of the model present in the database, by name (sorted)."""
    present = set(conn.dialect.get_table_names(conn))
    return {table.name: table_digest(conn, table)
            for table in sorted(Base.metadata.sorted_tables, key=lambda t: t.name)
            if table.name in present}


def compare(expected: dict[str, dict[str, Any]], actual: dict[str, TableDigest]) -> list[str]:
    """French lines naming each table whose rows differ from the manifest."""
    problems = []
    for name in sorted(set(expected) | set(actual)):
        want, got = expected.get(name), actual.get(name)
        if want is None:
            problems.append(f"table {name} absente du manifeste")
        elif got is None:
            problems.append(f"table {name} absente de la base")
        elif want["rows"] != got.rows:
            problems.append(f"table {name} : {got.rows} ligne(s) au lieu de {want['rows']}")
        elif want["digest"] != got.digest:
            problems.append(f"table {name} : contenu différent du manifeste")
    return problems
