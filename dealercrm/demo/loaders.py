"""Write generated DataFrames to the database, set-based: ``COPY`` on PostgreSQL, one
``executemany`` per table elsewhere. No ORM object is built per row.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
from django.apps import apps
from django.db import connection, models

#: Tables in the order they must be written (foreign keys point to earlier ones).
TABLE_ORDER = (
    "vehicles_brand",
    "vehicles_vehiclemodel",
    "customers_customer",
    "vehicles_vehicle",
    "vehicles_purchase",
    "vehicles_serviceorder",
    "vehicles_serviceorderline",
    "vehicles_odometerreading",
    "contacts_satisfactionsurvey",
    "contacts_complaint",
    "contacts_complaintstatuschange",
    "contacts_contactlog",
    "customers_valueevent",
    "customers_contactpreference",
    "customers_channeloptout",
    "customers_profileobservation",
)


def model_for_table(table: str) -> type[models.Model]:
    for model in apps.get_models():
        if model._meta.db_table == table:
            return model
    raise LookupError(table)


def _columns(model: type[models.Model]) -> list[str]:
    return [f.column for f in model._meta.concrete_fields]


def _frame_for(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame's columns in the table's order; a missing column is a generator bug."""
    columns = _columns(model_for_table(table))
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{table}: generator produced no {missing}")
    return frame[columns]


def write_frames(frames: dict[str, pd.DataFrame]) -> dict[str, int]:
    """Write every frame (in foreign-key order); returns rows written per table."""
    written = {}
    for table in TABLE_ORDER:
        frame = frames.get(table)
        if frame is None or frame.empty:
            continue
        frame = _frame_for(table, frame)
        if connection.vendor == "postgresql":
            _copy(table, frame)
        else:
            _executemany(table, frame)
        written[table] = len(frame)
    return written


def _copy(table: str, frame: pd.DataFrame) -> None:
    """Stream the frame through ``COPY ... FROM STDIN`` in PostgreSQL's text format."""
    cells = np.column_stack([_text_column(frame[c]).to_numpy(dtype=object) for c in frame.columns])
    buffer = io.StringIO("\n".join("\t".join(row) for row in cells.tolist()) + "\n")
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f'COPY "{table}" ({columns}) FROM STDIN', buffer)


_NULL = "\\N"


def _text_column(series: pd.Series) -> pd.Series:
    """One column as COPY text: NULL as \\N; backslash, tab and newline escaped. Vectorised."""
    index = pd.RangeIndex(len(series))
    if pd.api.types.is_bool_dtype(series):
        return pd.Series(np.where(series.to_numpy(), "t", "f"), index=index)
    if pd.api.types.is_integer_dtype(series):
        return pd.Series(series.to_numpy().astype(str), index=index)
    if pd.api.types.is_float_dtype(series):
        values = series.to_numpy()
        return pd.Series(np.where(np.isnan(values), _NULL, values.astype(str)), index=index)
    if pd.api.types.is_datetime64_any_dtype(series):
        if getattr(series.dt, "tz", None) is not None:
            values = series.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[s]")
            text = np.datetime_as_string(values, unit="s")
        else:
            text = np.datetime_as_string(series.to_numpy("datetime64[D]"), unit="D")
        return pd.Series(np.where(text == "NaT", _NULL, text), index=index)
    values = series.to_numpy(dtype=object)
    text = pd.Series(values, index=index).astype(str)
    if text.str.contains(r"[\\\t\n]", regex=True).any():
        text = (
            text.str.replace("\\", "\\\\", regex=False)
            .str.replace("\t", "\\t", regex=False)
            .str.replace("\n", "\\n", regex=False)
        )
    return text.where(~pd.isna(values), _NULL)


def _datetime_text(series: pd.Series) -> pd.Series:
    """Dates as YYYY-MM-DD; aware datetimes as naive UTC, the form Django stores and compares."""
    if getattr(series.dt, "tz", None) is not None:
        return series.dt.tz_convert("UTC").dt.strftime("%Y-%m-%d %H:%M:%S")
    return series.dt.strftime("%Y-%m-%d")


def _python_value(value: object) -> object:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        return value.tz_convert("UTC").strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else str(value.astype("datetime64[D]"))
    return value


def _rows(frame: pd.DataFrame) -> Iterable[tuple]:
    converted = []
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_datetime64_any_dtype(series):
            text = _datetime_text(series)
            values = [None if pd.isna(v) else v for v in text]
        else:
            values = [_python_value(v) for v in series.to_numpy(dtype=object)]
        converted.append(values)
    return zip(*converted, strict=True)


def _executemany(table: str, frame: pd.DataFrame) -> None:
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    placeholders = ", ".join(["%s"] * len(frame.columns))
    with connection.cursor() as cursor:
        cursor.executemany(
            f'INSERT INTO "{table}" ({columns}) VALUES ({placeholders})', list(_rows(frame))
        )


def reset_sequences(tables: Iterable[str]) -> None:
    """After explicit ids, point PostgreSQL's id sequences past the largest id."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                f'COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1, false)'
            )


def next_ids() -> dict[str, int]:
    """The first free id of each generated table (so a run can resume after existing rows)."""
    result = {}
    with connection.cursor() as cursor:
        for table in TABLE_ORDER:
            cursor.execute(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{table}"')
            result[table] = cursor.fetchone()[0]
    return result


def delete_all() -> None:
    """Remove every generated row (children first): TRUNCATE on PostgreSQL."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            tables = ", ".join(f'"{t}"' for t in TABLE_ORDER)
            # Deferred foreign-key checks still pending in this transaction block a TRUNCATE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        else:
            for table in reversed(TABLE_ORDER):
                cursor.execute(f'DELETE FROM "{table}"')


@contextmanager
def postgres_bulk_load() -> Iterator[None]:
    """Drop foreign keys and secondary indexes of the generated tables, restore them after.

    Per-row foreign-key triggers and index updates dominate a large ``COPY``; re-adding the
    constraints afterwards checks every row once, set-based. The definitions are read from the
    catalogue first and restored even when the load fails, so the schema is never left short.
    """
    tables = list(TABLE_ORDER)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
            FROM pg_constraint
            WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)
            """,
            [[f'"{t}"' for t in tables] + tables],
        )
        foreign_keys = cursor.fetchall()
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            WHERE i.indrelid::regclass::text = ANY(%s)
              AND NOT i.indisprimary AND NOT i.indisunique
            """,
            [[f'"{t}"' for t in tables] + tables],
        )
        indexes = cursor.fetchall()
        # Foreign-key checks still deferred in this transaction would block the ALTER TABLE.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, name, _definition in foreign_keys:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for _name, definition in indexes:
                cursor.execute(definition)
            for table, name, definition in foreign_keys:
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
