"""Per-client throttling: 429 with Retry-After, counted per token."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from api.tokens import api_token_create

pytestmark = pytest.mark.django_db


def test_too_many_sync_requests_get_429_with_retry_after(dms_api, settings):
    settings.API_SYNC_RATE = "2/min"
    for _ in range(2):
        assert (
            dms_api.post("/api/v1/sync/customers/", {"records": []}, format="json").status_code
            == 200
        )
    response = dms_api.post("/api/v1/sync/customers/", {"records": []}, format="json")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["code"] == "throttled"
    assert response.json()["retry_after"] == int(response["Retry-After"])


def test_each_token_has_its_own_allowance(dms_client, settings):
    settings.API_READ_RATE = "1/min"
    clients = []
    for name in ("DMS A", "DMS B"):
        client = APIClient()
        client.credentials(
            HTTP_AUTHORIZATION=f"Token {api_token_create(user=dms_client, name=name)[1]}"
        )
        clients.append(client)
    assert [c.get("/api/v1/customers/").status_code for c in clients] == [200, 200]
    assert clients[0].get("/api/v1/customers/").status_code == 429
