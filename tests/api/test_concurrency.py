"""Two DMS clients upserting the same external ids at the same moment leave one row each
(PostgreSQL: two threads, two connections, INSERT … ON CONFLICT and a retry)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection
from rest_framework.test import APIClient

from api.tokens import api_token_create
from tests.api.conftest import needs_postgres
from tests.factories import CustomerFactory, VehicleFactory
from vehicles.models import ServiceOrder, ServiceOrderLine

pytestmark = [pytest.mark.postgres, needs_postgres, pytest.mark.django_db(transaction=True)]


def _orders(round_no: int) -> list[dict]:
    return [
        {
            "external_id": f"R{round_no}-{i}",
            "customer": "C1",
            "vehicle": "V1",
            "opened_on": "2024-05-01",
            "lines": [
                {"line_no": 1, "category": "maintenance", "amount": 500},
                {"line_no": 2, "category": "tyres", "amount": 900},
            ],
        }
        for i in range(40)
    ]


def test_concurrent_upserts_of_the_same_ids_leave_one_row_each(role_groups, dms_client):
    VehicleFactory(external_id="V1", owner=CustomerFactory(external_id="C1"))
    keys = [api_token_create(user=dms_client, name=f"DMS {n}")[1] for n in range(2)]
    for round_no in range(5):
        barrier = threading.Barrier(2)
        bodies: list[dict] = []
        errors: list[BaseException] = []

        def client_pushes(
            key: str, round_no=round_no, barrier=barrier, bodies=bodies, errors=errors
        ) -> None:
            try:
                client = APIClient()
                client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
                barrier.wait()
                response = client.post(
                    "/api/v1/sync/service-orders/", {"records": _orders(round_no)}, format="json"
                )
                assert response.status_code == 200, response.content
                bodies.append(response.json())
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=client_pushes, args=(key,)) for key in keys]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, errors
        per_record = Counter()
        for body in bodies:
            for result in body["results"]:
                per_record[(result["external_id"], result["status"])] += 1
        for record in _orders(round_no):
            # One client created it; the other found it (unchanged), never two rows.
            assert per_record[(record["external_id"], "created")] == 1
            assert per_record[(record["external_id"], "unchanged")] == 1
    assert ServiceOrder.objects.count() == 5 * 40
    assert ServiceOrderLine.objects.count() == 5 * 40 * 2
