"""Row counts and canonical digests per table, equal on SQLite and PostgreSQL.

A backup's manifest carries them; ``verify`` and ``restore`` recompute them. Rows are read
in primary-key order and every value is normalised by its column type (aware datetimes in
UTC, decimals at the column's scale, JSON with sorted keys, booleans as booleans — SQLite
returns 0/1), so the same data give the same digest whatever the backend.
"""

from __future__ import annotations

import gc
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal
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


def _datetime(value: Any) -> str:
    if isinstance(value, str):  # SQLite: the UTC wall time SQLAlchemy wrote, no zone
        if len(value) == 26 and value[10] == " ":
            return value[:10] + "T" + value[11:]
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _date(value: Any) -> str:
    return value if isinstance(value, str) else value.isoformat()


def _time(value: Any) -> str:
    if isinstance(value, str):
        value = time.fromisoformat(value)
    return value.strftime("%H:%M:%S.%f")


def _decimal(scale: int | None) -> Callable[[Any], str]:
    quantum = Decimal(1).scaleb(-scale) if scale is not None else None

    def convert(value: Any) -> str:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        if quantum is not None:
            number = number.quantize(quantum)
        return format(number, "f")

    return convert


def _json(value: Any) -> str | None:
    if isinstance(value, str | bytes):  # SQLite keeps the text, PostgreSQL parses it
        value = json.loads(value)
    if value is None:  # JSON null: SQLite says 'null', PostgreSQL None
        return None
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _binary(value: Any) -> str:
    return hashlib.sha256(bytes(value)).hexdigest()


def _converter(column_type: types.TypeEngine) -> Callable[[Any], Any] | None:
    """The normaliser of one column's raw driver value (None: already canonical)."""
    if isinstance(column_type, types.Boolean):
        return bool  # SQLite: 0/1
    if isinstance(column_type, types.DateTime):
        return _datetime
    if isinstance(column_type, types.Date):
        return _date
    if isinstance(column_type, types.Time):
        return _time
    if isinstance(column_type, types.Numeric) and not isinstance(column_type, types.Float):
        return _decimal(column_type.scale)
    if isinstance(column_type, types.JSON):
        return _json
    if isinstance(column_type, types.LargeBinary):
        return _binary
    return None  # integers, strings, enums stored as their values


def table_digest(conn: Connection, table: Table) -> TableDigest:
    """Count and digest one table from the driver's raw rows (no ORM, no type processing:
    the largest tables hold millions of rows), streamed in primary-key order.

    The digest is the SHA-256 of the whole table as one compact JSON array of rows
    (``[[v1,v2,…],[…],…]``), fed batch by batch: the C encoder turns each batch of rows
    into text in one call, and the result does not depend on the batch size."""
    converters = [(i, c) for i, column in enumerate(table.columns)
                  if (c := _converter(column.type)) is not None]
    order = list(table.primary_key.columns) or list(table.columns)
    sql = str(select(table).order_by(*order).compile(dialect=conn.dialect))
    raw = conn.connection.dbapi_connection
    cursor = (raw.cursor(name=f"digest_{table.name}") if conn.dialect.name == "postgresql"
              else raw.cursor())
    digest = hashlib.sha256(b"[")
    count = 0
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(FETCH):
            if converters:  # column-wise: transpose, convert the typed columns, back
                columns = list(zip(*rows, strict=True))
                for index, convert in converters:
                    columns[index] = [None if v is None else convert(v)
                                      for v in columns[index]]
                rows = list(zip(*columns, strict=True))
            if count:
                digest.update(b",")
            digest.update(dumps(rows)[1:-1].encode())
            count += len(rows)
    finally:
        cursor.close()
    digest.update(b"]")
    return TableDigest(rows=count, digest=digest.hexdigest())


def alembic_revision(conn: Connection) -> str | None:
    try:
        return conn.scalar(text("SELECT version_num FROM alembic_version"))
    except Exception:  # no schema at all
        return None


def database_digests(conn: Connection) -> dict[str, TableDigest]:
    """Every table of the model present in the database, by name (sorted).

    The cyclic garbage collector is paused meanwhile: millions of short-lived row tuples,
    none in a cycle, would otherwise trigger it thousands of times for nothing."""
    present = set(conn.dialect.get_table_names(conn))
    paused = gc.isenabled()
    gc.disable()
    try:
        return {table.name: table_digest(conn, table)
                for table in sorted(Base.metadata.sorted_tables, key=lambda t: t.name)
                if table.name in present}
    finally:
        if paused:
            gc.enable()


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
