"""Celery is wired: eager in-process without a broker, a real worker through Redis with one."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection

from core.tasks import ping
from dealercrm.celery import app
from tests.celery_worker import celery_worker, needs_real_worker


@pytest.mark.django_db
@pytest.mark.skipif(bool(settings.REDIS_URL), reason="eager mode is the no-broker setting")
def test_without_a_broker_tasks_run_in_process():
    assert app.conf.task_always_eager is True
    result = ping.delay()
    assert result.get(timeout=5) == {"status": "ok", "database": connection.vendor}


@pytest.mark.django_db(transaction=True)
@needs_real_worker
def test_a_real_worker_consumes_tasks_through_redis():
    with celery_worker() as queue:
        result = ping.apply_async(queue=queue)
        assert result.get(timeout=60) == {"status": "ok", "database": "postgresql"}
