"""API tokens: created by a command and in the admin, shown once, revocable, last use recorded;
browser users authenticate with their session."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import ApiToken, hash_key
from api.tokens import api_token_create, api_token_revoke
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db


def _client(key: str, keyword: str = "Token") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {key}")
    return client


def test_a_token_authenticates_its_user(dms_key):
    assert _client(dms_key).get("/api/v1/customers/").status_code == 200


def test_the_bearer_keyword_works_too(dms_key):
    assert _client(dms_key, "Bearer").get("/api/v1/customers/").status_code == 200


def test_only_a_digest_of_the_key_is_stored(dms_client):
    token, key = api_token_create(user=dms_client, name="x")
    assert key.startswith("dcrm_") and len(key) > 40
    assert token.key_hash == hash_key(key) and key not in token.key_hash
    assert token.key_start == key[:12]


@pytest.mark.parametrize("header", ["Token wrong-key", "Token", "Token a b", "Bearer \u00e9"])
def test_a_wrong_or_malformed_key_is_a_401(db, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/customers/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_no_credentials_is_a_401_with_a_challenge(db):
    response = APIClient().get("/api/v1/customers/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Token")


def test_a_revoked_token_stops_working(dms_client):
    token, key = api_token_create(user=dms_client, name="x")
    api_token_revoke(token=token)
    assert _client(key).get("/api/v1/customers/").status_code == 401


def test_the_token_of_a_deactivated_user_stops_working(dms_client, dms_key):
    dms_client.is_active = False
    dms_client.save()
    assert _client(dms_key).get("/api/v1/customers/").status_code == 401


def test_last_use_is_recorded_at_most_once_a_minute(dms_client):
    token, key = api_token_create(user=dms_client, name="x")
    client = _client(key)
    client.get("/api/v1/customers/")
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get("/api/v1/customers/")
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - dt.timedelta(minutes=2))
    client.get("/api/v1/customers/")
    token.refresh_from_db()
    assert token.last_used_at > first - dt.timedelta(seconds=1)


def test_a_browser_user_reads_with_the_session(manager):
    assert client_for(manager).get("/api/v1/customers/").status_code == 200


def test_the_command_creates_lists_and_revokes_tokens(dms_client):
    out = StringIO()
    call_command(
        "api_token", "create", dms_client.username, "--name", "DMS prod", "--quiet", stdout=out
    )
    key = out.getvalue().strip()
    assert _client(key).get("/api/v1/customers/").status_code == 200
    token = ApiToken.objects.get(name="DMS prod")
    listing = StringIO()
    call_command("api_token", "list", stdout=listing)
    assert "DMS prod" in listing.getvalue() and key not in listing.getvalue()
    call_command("api_token", "revoke", str(token.pk), stdout=StringIO())
    assert _client(key).get("/api/v1/customers/").status_code == 401


def test_the_admin_creates_a_token_shows_the_key_once_and_revokes(superuser, dms_client):
    client = client_for(superuser)
    response = client.post(
        reverse("admin:api_apitoken_add"),
        {"user": dms_client.pk, "name": "from admin"},
        follow=True,
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(name="from admin")
    shown = [str(m) for m in response.context["messages"]]
    key = next(word for m in shown for word in m.split() if word.startswith("dcrm_"))
    assert token.key_hash == hash_key(key)
    assert _client(key).get("/api/v1/customers/").status_code == 200
    page = client.get(reverse("admin:api_apitoken_change", args=[token.pk])).content.decode()
    assert key not in page
    client.post(
        reverse("admin:api_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
        follow=True,
    )
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_at <= timezone.now()
    assert _client(key).get("/api/v1/customers/").status_code == 401
