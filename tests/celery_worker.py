"""A real Celery worker process on the test database, for tests that need one."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]

needs_real_worker = pytest.mark.skipif(
    not settings.REDIS_URL or connection.vendor != "postgresql",
    reason="needs REDIS_URL and PostgreSQL: a real worker shares the test database",
)


def _test_database_url() -> str:
    db = settings.DATABASES["default"]
    user, host, port = db.get("USER", ""), db.get("HOST", "") or "127.0.0.1", db.get("PORT") or 5432
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


@contextmanager
def celery_worker(also: tuple[str, ...] = ()) -> Iterator[str]:
    """Start ``celery worker`` on a queue of its own (and the ``also`` queues, e.g. the default
    queue that follow-up tasks go to); yields the queue name."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "dealercrm",
            "worker",
            "--pool",
            "solo",
            "--queues",
            ",".join((queue, *also)),
            "--loglevel",
            "WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": _test_database_url()},
    )
    try:
        _wait_until_ready(worker)
        yield queue
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def _wait_until_ready(worker: subprocess.Popen, seconds: float = 90.0) -> None:
    """Wait for the worker to answer a ping, so a test's first task meets a running worker."""
    from celery import current_app as app

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError(f"celery worker exited with {worker.returncode}")
        if app.control.ping(timeout=1.0):
            return
    raise RuntimeError("celery worker did not answer a ping in time")
