"""Incremental read-back: ?updated_since= and a keyset cursor over (updated_at, id). A client
paging while others write never misses a row and never sees the same version twice."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection
from django.utils import timezone

from api.resources import build_resources
from api.sync import sync_batch_upsert
from customers.models import Customer
from tests.api.conftest import needs_postgres
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content
    return response.json()


def _drain(client, url, between=None):
    """Follow `next` links to the end; returns every row seen and the final cursor."""
    seen, body = [], _page(client, url)
    while True:
        seen.extend(body["results"])
        if body["next"] is None:
            return seen, body["cursor"]
        if between:
            between(len(seen))
        body = _page(client, body["next"])


def test_pages_follow_updated_at_then_id(dms_api):
    CustomerFactory.create_batch(5)
    seen, _ = _drain(dms_api, "/api/v1/customers/?limit=2")
    keys = [(r["updated_at"], r["id"]) for r in seen]
    assert len(seen) == 5 and keys == sorted(keys)


def test_updated_since_returns_only_rows_changed_since(dms_api):
    old = CustomerFactory.create_batch(3)
    Customer.objects.filter(pk__in=[c.pk for c in old]).update(
        updated_at=timezone.now() - dt.timedelta(days=2)
    )
    fresh = CustomerFactory()
    since = (timezone.now() - dt.timedelta(days=1)).isoformat()
    body = _page(dms_api, "/api/v1/customers/?" + f"updated_since={since.replace('+', '%2B')}")
    assert [r["id"] for r in body["results"]] == [fresh.pk]


def test_a_saved_cursor_resumes_with_only_what_changed(dms_api):
    first = CustomerFactory.create_batch(3)
    _, cursor = _drain(dms_api, "/api/v1/customers/")
    assert _page(dms_api, f"/api/v1/customers/?cursor={cursor}")["results"] == []
    first[1].name = "改名"
    first[1].save()
    new = CustomerFactory()
    body = _page(dms_api, f"/api/v1/customers/?cursor={cursor}")
    assert [r["id"] for r in body["results"]] == [first[1].pk, new.pk]
    assert body["next"] is None and body["cursor"] != cursor


def test_paging_while_rows_are_written_misses_nothing_and_repeats_nothing(dms_api):
    """Between pages, rows not yet read and rows already read are updated and new rows are
    created; every row is seen, every version at most once, and the last version seen of each
    row is its final one."""
    CustomerFactory.create_batch(30)
    spec = build_resources()["customers"]
    counter = iter(range(1000))

    def write(_seen_so_far: int) -> None:
        ids = list(Customer.objects.order_by("?").values_list("id", flat=True)[:3])
        for pk in ids:
            Customer.objects.filter(pk=pk).update(
                name=f"改{next(counter)}", updated_at=timezone.now()
            )
        sync_batch_upsert(
            spec=spec,
            records=[{"external_id": f"NEW{next(counter)}", "name": "新"} for _ in range(2)],
            user=None,
        )

    seen, _ = _drain(dms_api, "/api/v1/customers/?limit=7", between=write)
    versions = [(r["id"], r["updated_at"]) for r in seen]
    assert len(versions) == len(set(versions)), "a version was served twice"
    final = {c.pk: c.updated_at for c in Customer.objects.all()}
    assert {r["id"] for r in seen} == set(final), "a row was missed"
    last_seen = {}
    for r in seen:
        last_seen[r["id"]] = dt.datetime.fromisoformat(r["updated_at"])
    assert last_seen == final


@pytest.mark.parametrize(
    "query",
    [
        "cursor=garbage",
        "cursor=eyJpIjogLTF9",
        "limit=0",
        "limit=1001",
        "limit=x",
        "updated_since=yesterday",
        "updated_since=0001-01-01T00:00:00%2B08:00",
        "customer=abc",
        "customer=99999999999999999999",
        "a=%00",
    ],
)
def test_bad_paging_and_filter_parameters_are_a_400(dms_api, query):
    resource = "service-orders"
    response = dms_api.get(f"/api/v1/{resource}/?{query}")
    assert response.status_code == 400, response.content
    assert response.json()["code"] in ("invalid", "invalid_cursor")


def test_rows_of_a_transaction_still_open_are_held_back(dms_api, settings):
    settings.API_FEED_SETTLE_SECONDS = 5
    CustomerFactory()
    assert _page(dms_api, "/api/v1/customers/")["results"] == []
    settings.API_FEED_SETTLE_SECONDS = 0
    assert len(_page(dms_api, "/api/v1/customers/")["results"]) == 1


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_paging_during_concurrent_sync_batches_on_postgresql(role_groups, dms_api, dms_client):
    """A slow writer thread pushes batches whose transactions stay open a while after their rows
    were stamped, while fast writes commit newer rows and a reader pages. Without the
    watermark of open transactions the reader would page past the slow rows before they
    commit and miss them; with it every row is seen, each version once."""
    from django.db import transaction

    spec = build_resources()["customers"]
    CustomerFactory.create_batch(5)
    done = threading.Event()

    def slow_writer() -> None:
        try:
            for n in range(8):
                with transaction.atomic():
                    sync_batch_upsert(
                        spec=spec,
                        records=[{"external_id": f"SLOW{n}-{i}", "name": "慢"} for i in range(3)],
                        user=dms_client,
                    )
                    time.sleep(0.15)  # commit well after the rows were stamped
        finally:
            connection.close()
            done.set()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    seen, cursor, n = [], None, 0
    while not done.is_set():
        CustomerFactory(external_id=f"FAST{n}")  # newer rows, committed at once
        n += 1
        url = "/api/v1/customers/?limit=5" + (f"&cursor={cursor}" if cursor else "")
        body = _page(dms_api, url)
        seen.extend(body["results"])
        cursor = body["cursor"] or cursor
        time.sleep(0.01)
    thread.join()
    more, _ = _drain(
        dms_api, "/api/v1/customers/?limit=50" + (f"&cursor={cursor}" if cursor else "")
    )
    seen.extend(more)
    versions = [(r["id"], r["updated_at"]) for r in seen]
    assert len(versions) == len(set(versions))
    assert {r["id"] for r in seen} == set(Customer.objects.values_list("id", flat=True))
