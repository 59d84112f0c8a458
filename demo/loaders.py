"""Write generated DataFrames to the database, set-based: ``COPY`` on PostgreSQL, one
``executemany`` per table elsewhere. No ORM object is built per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import pandas as pd
from django.apps import apps
from django.db import connection, models

from customers.bulk import write_frame

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
        write_frame(table, frame)
        written[table] = len(frame)
    return written


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


#: Work planned for the generated customers, whose references to them are not foreign keys
#: (so a TRUNCATE … CASCADE of the customers would not reach them), children first.
PLANNED_WORK_TABLES = ("winback_task", "winback_target", "winback_round")


def delete_all() -> None:
    """Remove every generated row and the work planned for it (children first): TRUNCATE on
    PostgreSQL."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            tables = ", ".join(f'"{t}"' for t in (*PLANNED_WORK_TABLES, *TABLE_ORDER))
            # Deferred foreign-key checks still pending in this transaction block a TRUNCATE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        else:
            for table in (*PLANNED_WORK_TABLES, *reversed(TABLE_ORDER)):
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
