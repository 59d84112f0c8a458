"""Fixtures of the API tests: clients per role, a DMS client with a token, a push helper."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from api.throttling import local_counts
from api.tokens import api_token_create


@pytest.fixture(autouse=True)
def _api_settings(settings):
    """Generous rates (throttling has its own tests), no settle delay, a clean throttle cache."""
    settings.API_SYNC_RATE = "10000/min"
    settings.API_READ_RATE = "10000/min"
    settings.API_FEED_SETTLE_SECONDS = 0
    cache.clear()
    local_counts.reset()
    yield
    cache.clear()
    local_counts.reset()


#: For tests that need several real connections (threads): PostgreSQL only.
needs_postgres = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="needs PostgreSQL (several connections writing at once)",
)


@pytest.fixture
def role_groups(transactional_db) -> None:
    """The role groups, which a transactional test before this one may have flushed."""
    from django.apps import apps

    from accounts.roles import roles_sync

    roles_sync(apps)


@pytest.fixture
def dms_key(dms_client) -> str:
    return api_token_create(user=dms_client, name="DMS test")[1]


@pytest.fixture
def dms_api(dms_key) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {dms_key}")
    return client


def client_for(user: Any) -> APIClient:
    """A browser-style client logged in as ``user`` (session authentication)."""
    client = APIClient()
    client.force_login(user)
    return client


def push(client: APIClient, resource: str, records: list[dict], expect: int = 200) -> dict:
    """POST a batch to /api/v1/sync/<resource>/ and return the JSON body."""
    response = client.post(f"/api/v1/sync/{resource}/", {"records": records}, format="json")
    assert response.status_code == expect, response.content[:2000]
    return response.json()


def statuses(body: dict) -> list[str]:
    return [r["status"] for r in body["results"]]
