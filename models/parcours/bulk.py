"""Fast bulk writes of DataFrames: COPY on PostgreSQL, executemany on SQLite.

The import writes about two million rows for a large region: this is where most of
its time goes, so it bypasses the ORM and hands the driver plain values.
"""

from __future__ import annotations

import io

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from sqlalchemy.engine import Connection

from models.parcours import normalise as nz

SQLITE_CACHE_KIB = 131072  # 128 MiB page cache while loading: index pages stay in memory


def bulk_insert(conn: Connection, table, frame: pd.DataFrame) -> None:
    """Insert a DataFrame fast: COPY on PostgreSQL, executemany on SQLite.

    Columns must already be plain values: str/None, ISO date strings, bool/None, ints.
    """
    if frame.empty:
        return
    columns = list(frame.columns)
    if conn.dialect.name == "postgresql":
        # pyarrow writes CSV in C++ (pandas' to_csv is several times slower); an unquoted
        # empty field is NULL for COPY, strings are quoted.
        buffer = io.BytesIO()
        pa_csv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), buffer,
                         pa_csv.WriteOptions(include_header=False))
        cursor = conn.connection.dbapi_connection.cursor()
        cols = ", ".join(f'"{c}"' for c in columns)
        with cursor.copy(f"COPY {table.__tablename__} ({cols}) FROM STDIN WITH (FORMAT csv)") \
                as copy:
            copy.write(buffer.getvalue())
        return
    conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    placeholders = ", ".join("?" for _ in columns)
    data = [frame[c].tolist() for c in columns]
    conn.exec_driver_sql(
        f"INSERT INTO {table.__tablename__} ({', '.join(columns)}) "  # noqa: S608 (ORM names)
        f"VALUES ({placeholders})",
        list(zip(*data, strict=True)))


def none_if_empty(series: pd.Series) -> pd.Series:
    return series.where(series != "", None)


def nullable(series: pd.Series) -> pd.Series:
    """Object Series with None for NA (ints stay ints)."""
    return series.astype(object).where(series.notna(), None)


def iso_date_series(series: pd.Series) -> pd.Series:
    return pd.Series(nz.iso_dates(series), index=series.index, dtype=object)
