"""Set-based writes for the sync API: one statement per table and batch, on both backends.

- :func:`insert_returning`: ``INSERT … VALUES … ON CONFLICT (source, external_id) WHERE
  external_id IS NOT NULL DO NOTHING RETURNING id, source, external_id``. A row that another
  client inserted first is simply not returned, so the caller can retry the batch and treat it
  as an update; the partial unique index needs its WHERE clause in the conflict target, which
  Django's ``bulk_create(update_conflicts=…)`` cannot express.
- :func:`update_rows`: ``WITH v(id, …) AS (VALUES …) UPDATE t SET … FROM v WHERE t.id = v.id``.
- :func:`insert_rows`: a plain multi-row ``INSERT`` (child rows).

On PostgreSQL the VALUES list is rendered client-side with ``mogrify`` and sent as one
statement (through Django's cursor, so query logging and counting still see it); on SQLite it
is sent with parameters, in chunks that respect SQLite's variable limit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from django.db import connection, models

_CONFLICT_TARGET = '("source", "external_id") WHERE "external_id" IS NOT NULL'


def _qn(name: str) -> str:
    return connection.ops.quote_name(name)


def _fields(model: type[models.Model], columns: Sequence[str]) -> list[models.Field]:
    by_column = {f.column: f for f in model._meta.concrete_fields}
    return [by_column[c] for c in columns]


def _prepare(fields: list[models.Field], rows: list[tuple]) -> list[tuple]:
    """Database values of the rows. On PostgreSQL psycopg2 adapts dates, decimals and aware
    datetimes itself, so only JSON columns go through Django (fast path for large batches)."""
    if connection.vendor == "postgresql":
        json_columns = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
        if not json_columns:
            return rows
        prepared = []
        for row in rows:
            row = list(row)
            for i in json_columns:
                row[i] = fields[i].get_db_prep_save(row[i], connection)
            prepared.append(tuple(row))
        return prepared
    return [
        tuple(f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True))
        for row in rows
    ]


def _sqlite_chunk_rows(columns: int) -> int:
    raw = connection.connection
    limit = 999
    if raw is not None and hasattr(raw, "getlimit"):
        limit = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return max(1, limit // max(columns, 1))


def _statements(
    fields: list[models.Field], rows: list[tuple], make_sql: Any, casts: bool = False
) -> list[tuple[str, list | None]]:
    """(sql, params) statements covering all rows; ``make_sql(values_sql)`` builds each."""
    rows = _prepare(fields, rows)
    if connection.vendor == "postgresql":
        if casts:
            template = "(" + ", ".join(f"%s::{f.cast_db_type(connection)}" for f in fields) + ")"
        else:
            template = "(" + ", ".join(["%s"] * len(fields)) + ")"
        with connection.cursor() as cursor:
            raw = cursor.cursor
            values = b",".join(raw.mogrify(template, row) for row in rows).decode()
        return [(make_sql(values), None)]
    statements = []
    per_chunk = _sqlite_chunk_rows(len(fields))
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    for start in range(0, len(rows), per_chunk):
        chunk = rows[start : start + per_chunk]
        params = [value for row in chunk for value in row]
        statements.append((make_sql(", ".join([row_sql] * len(chunk))), params))
    return statements


def insert_returning(
    model: type[models.Model], columns: Sequence[str], rows: list[tuple]
) -> list[tuple[int, str, str]]:
    """Insert synced rows, skipping keys that exist; (id, source, external_id) of those inserted."""
    if not rows:
        return []
    table = _qn(model._meta.db_table)
    names = ", ".join(_qn(c) for c in columns)
    pk = _qn(model._meta.pk.column)

    def make_sql(values: str) -> str:
        return (
            f"INSERT INTO {table} ({names}) VALUES {values} ON CONFLICT {_CONFLICT_TARGET} "
            f'DO NOTHING RETURNING {pk}, "source", "external_id"'
        )

    inserted: list[tuple[int, str, str]] = []
    with connection.cursor() as cursor:
        for sql, params in _statements(_fields(model, columns), rows, make_sql):
            cursor.execute(sql, params)
            inserted.extend(cursor.fetchall())
    return inserted


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: list[tuple]) -> None:
    """Insert rows without any conflict handling (children of rows this batch owns)."""
    if not rows:
        return
    table = _qn(model._meta.db_table)
    names = ", ".join(_qn(c) for c in columns)
    with connection.cursor() as cursor:
        for sql, params in _statements(
            _fields(model, columns),
            rows,
            lambda values: f"INSERT INTO {table} ({names}) VALUES {values}",
        ):
            cursor.execute(sql, params)


def update_rows(model: type[models.Model], columns: Sequence[str], rows: list[tuple]) -> None:
    """Update rows by primary key; each row is (pk, *values in ``columns`` order)."""
    if not rows:
        return
    table = _qn(model._meta.db_table)
    pk = model._meta.pk.column
    all_columns = [pk, *columns]
    names = ", ".join(_qn(c) for c in all_columns)
    assignments = ", ".join(f"{_qn(c)} = v.{_qn(c)}" for c in columns)

    def make_sql(values: str) -> str:
        return (
            f"WITH v ({names}) AS (VALUES {values}) "
            f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{_qn(pk)} = v.{_qn(pk)}"
        )

    with connection.cursor() as cursor:
        for sql, params in _statements(_fields(model, all_columns), rows, make_sql, casts=True):
            cursor.execute(sql, params)


def _converted(fields: list[models.Field], rows: list[tuple]) -> list[tuple]:
    """Apply the fields' ``from_db_value`` (JSON is decoded by Django, not by psycopg2)."""
    converters = [(i, f.from_db_value) for i, f in enumerate(fields) if hasattr(f, "from_db_value")]
    if not converters:
        return rows
    result = []
    for row in rows:
        row = list(row)
        for i, convert in converters:
            row[i] = convert(row[i], None, connection)
        result.append(tuple(row))
    return result


def fetch_by_keys(
    model: type[models.Model], keys: set[tuple[str, str]], columns: Sequence[str]
) -> list[tuple] | None:
    """PostgreSQL: the rows whose (source, external_id) is one of ``keys``, one unique-index
    probe per key. ``None`` on other databases (the caller uses the ORM).

    Why not ``source = %s AND external_id IN (…)``: with statistics that lag behind a fast
    load (a million rows pushed in minutes, before ANALYZE) the planner reads every row of the
    source through the index and filters them. The ``LATERAL … LIMIT 1`` cannot be flattened
    into a hash join, so the plan stays a probe per key whatever the statistics say.
    """
    if connection.vendor != "postgresql":
        return None
    if not keys:
        return []
    fields = _fields(model, columns)
    table = _qn(model._meta.db_table)
    names = ", ".join(f"t.{_qn(c)}" for c in columns)
    sources, ids = zip(*sorted(keys), strict=True)
    sql = (
        f"SELECT {names} FROM unnest(%s::varchar[], %s::varchar[]) AS k(s, e) "
        f'CROSS JOIN LATERAL (SELECT * FROM {table} WHERE {table}."source" = k.s '
        f'AND {table}."external_id" = k.e LIMIT 1) AS t'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(sources), list(ids)])
        return _converted(fields, cursor.fetchall())


def fetch_where_in(
    model: type[models.Model], column: str, values: Sequence[Any], columns: Sequence[str]
) -> list[tuple] | None:
    """PostgreSQL: rows whose ``column`` is one of ``values`` (``= ANY(array)``: one parameter,
    not thousands to compile). ``None`` on other databases."""
    if connection.vendor != "postgresql":
        return None
    if not values:
        return []
    fields = _fields(model, columns)
    table = _qn(model._meta.db_table)
    names = ", ".join(_qn(c) for c in columns)
    sql = f"SELECT {names} FROM {table} WHERE {_qn(column)} = ANY(%s)"
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(values)])
        return _converted(fields, cursor.fetchall())
