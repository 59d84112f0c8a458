"""Celery is wired: eager in-process without a broker, a real worker through Redis with one."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from dealercrm.celery import app
from dealercrm.tasks import ping

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
@pytest.mark.skipif(bool(settings.REDIS_URL), reason="eager mode is the no-broker setting")
def test_without_a_broker_tasks_run_in_process():
    assert app.conf.task_always_eager is True
    result = ping.delay()
    assert result.get(timeout=5) == {"status": "ok", "database": connection.vendor}


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not settings.REDIS_URL or connection.vendor != "postgresql",
    reason="needs REDIS_URL and PostgreSQL: a real worker shares the test database",
)
def test_a_real_worker_consumes_tasks_through_redis():
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
            queue,
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
        result = ping.apply_async(queue=queue)
        assert result.get(timeout=60) == {"status": "ok", "database": "postgresql"}
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def _test_database_url() -> str:
    """The URL of the test database the suite runs on, for the worker process."""
    db = settings.DATABASES["default"]
    user, host, port = db.get("USER", ""), db.get("HOST", "") or "127.0.0.1", db.get("PORT") or 5432
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"
