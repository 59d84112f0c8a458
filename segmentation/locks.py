"""Liveness of scoring runs: who may run a month now, and recording a failure after the run's
database session died.

On PostgreSQL a running run holds a session-level advisory lock keyed by its month and kind on
the connection that runs it. The lock lives exactly as long as that session: a process killed
with SIGKILL, a worker lost, a session ended by ``pg_terminate_backend`` all release it at once,
so the next run takes it and knows that a row still saying ``running`` belongs to a dead run.
SQLite has no such lock; there a run row left ``running`` blocks the month until it is released
(``score_month --release`` or the admin action) or ages past ``services.STALE_AFTER``.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import Error as DbError
from django.db import connection, connections

from segmentation.models import RunKind

logger = logging.getLogger(__name__)

#: First key of every scoring lock (two-int4 advisory locks: namespace, month and kind).
LOCK_NAMESPACE = 4_710_401


def advisory_locks() -> bool:
    """True when the database offers session advisory locks (PostgreSQL)."""
    return connection.vendor == "postgresql"


def lock_key(month: dt.date, kind: str) -> int:
    """The second key of a month's lock: ``YYYYMM`` and a digit for the kind."""
    return (month.year * 100 + month.month) * 10 + (1 if kind == RunKind.WARNING else 0)


def run_lock_try(month: dt.date, kind: str) -> bool:
    """Take the month's lock on this process's connection without waiting; False when another
    live session holds it. Always True without advisory locks."""
    if not advisory_locks():
        return True
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, lock_key(month, kind)]
        )
        return bool(cursor.fetchone()[0])


def run_lock_release(month: dt.date, kind: str) -> None:
    """Give the lock back. A dead session has lost it already, so errors are only logged."""
    if not advisory_locks():
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, lock_key(month, kind)]
            )
    except DbError:
        logger.warning("scoring lock %s/%s not released: its session is gone", month, kind)


def run_lock_holder(month: dt.date, kind: str) -> int | None:
    """The process id of the live database session holding the month's lock, if any."""
    if not advisory_locks():
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND classid = %s AND objid = %s AND objsubid = 2",
            [LOCK_NAMESPACE, lock_key(month, kind)],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def connection_revive() -> bool:
    """Make the default connection usable after its session died, so the next query opens a
    fresh session. False when it cannot be replaced (it died inside an open transaction, whose
    writes are gone anyway)."""
    if connection.connection is None:
        return True
    try:
        if connection.is_usable():
            return True
    except DbError:
        pass
    if connection.in_atomic_block:
        return False
    connection.close()
    return True


def fresh_execute(sql: str, params: list) -> None:
    """Run one statement on a new session of the default database, committed at once."""
    fresh = connections.create_connection("default")
    try:
        with fresh.cursor() as cursor:
            cursor.execute(sql, params)
    finally:
        fresh.close()
