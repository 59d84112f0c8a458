"""The beat task that keeps the dashboard's work figures counted ahead of page views."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from reports.tasks import dashboard_refresh_task
from tests.factories import TaskFactory


def test_beat_refreshes_the_dashboard_more_often_than_its_figures_expire():
    entry = settings.CELERY_BEAT_SCHEDULE["dashboard-refresh"]
    assert entry["task"] == dashboard_refresh_task.name
    assert entry["schedule"].minute == {0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56}


@pytest.mark.django_db
def test_the_task_puts_everyones_work_in_the_cache():
    cache.clear()
    TaskFactory()
    key = f"dashboard:work:all:{timezone.localdate():%Y%m%d}"
    assert cache.get(key) is None
    dashboard_refresh_task.apply()
    assert cache.get(key) is not None
