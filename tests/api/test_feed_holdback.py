"""The change feed is held back only by transactions that may still commit rows it has not
served (issue 10, item 5): an idle read-only transaction elsewhere does not freeze it, an open
writing one does, and the response says how far it is held back."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from tests.api.conftest import needs_postgres, push

pytestmark = [pytest.mark.faults, pytest.mark.postgres, needs_postgres, pytest.mark.django_db]


@pytest.fixture
def other_session():
    """A second, independent database session (as a psql prompt would be)."""
    import psycopg2

    params = connection.settings_dict
    conn = psycopg2.connect(
        dbname=params["NAME"],
        user=params["USER"],
        password=params["PASSWORD"] or None,
        host=params["HOST"] or None,
        port=params["PORT"] or None,
    )
    yield conn
    conn.rollback()
    conn.close()


def _feed(client):
    response = client.get("/api/v1/customers/")
    assert response.status_code == 200, response.content
    return response


def _records(*ids: str) -> list[dict]:
    return [{"external_id": i, "name": "赵敏", "mobile": "13912345678"} for i in ids]


def test_an_idle_read_only_transaction_does_not_hold_the_feed(dms_api, other_session):
    with other_session.cursor() as cursor:
        cursor.execute("SELECT 1")  # BEGIN; SELECT 1; … left open, like an idle psql session
    push(dms_api, "customers", _records("C-R1", "C-R2"))
    response = _feed(dms_api)
    assert {r["external_id"] for r in response.json()["results"]} == {"C-R1", "C-R2"}
    assert "X-Feed-Held-Back-Until" not in response
    assert response["X-Feed-Watermark"].endswith("Z")


def test_an_open_writing_transaction_holds_the_feed_and_says_so(dms_api, other_session):
    with other_session.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE feed_probe (x int); INSERT INTO feed_probe VALUES (1)")
        cursor.execute("SELECT xact_start FROM pg_stat_activity WHERE pid = pg_backend_pid()")
        writer_started = cursor.fetchone()[0]
    push(dms_api, "customers", _records("C-W1"))
    held = _feed(dms_api)
    assert held.json()["results"] == []  # C-W1 is newer than the open writer's start
    until = dt.datetime.fromisoformat(held["X-Feed-Held-Back-Until"])
    assert until == writer_started  # settle time is 0 in the API tests
    assert held["X-Feed-Watermark"] == held["X-Feed-Held-Back-Until"]

    other_session.rollback()  # the writer finishes: the feed moves on at once
    released = _feed(dms_api)
    assert [r["external_id"] for r in released.json()["results"]] == ["C-W1"]
    assert "X-Feed-Held-Back-Until" not in released
