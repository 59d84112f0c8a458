"""Shared fixtures: users in each role, and a query-count assertion helper."""

from __future__ import annotations

import pytest
from django.utils import translation

from accounts.roles import Role
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real hashing costs ~0.15 s a user; tests check roles, not password strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english(settings):
    """Tests read messages in English; tests/test_translations.py checks the Chinese."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def advisor(db):
    return UserFactory(username="advisor_a", role=Role.SALES_ADVISOR)


@pytest.fixture
def other_advisor(db):
    return UserFactory(username="advisor_b", role=Role.SALES_ADVISOR)


@pytest.fixture
def marketing(db):
    return UserFactory(username="marketing_staff", role=Role.SERVICE_MARKETING)


@pytest.fixture
def manager(db):
    return UserFactory(username="manager_user", role=Role.MANAGER)


@pytest.fixture
def dms_client(db):
    return UserFactory(username="dms_client", role=Role.DMS_CLIENT, is_staff=False)


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True)


@pytest.fixture
def eager_tasks():
    """Celery tasks run in-process, as without a broker, also on the Redis pass (for pages
    whose request enqueues work that the test then reads)."""
    from celery import current_app as celery_app

    was = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = was
