"""Set-based: list pages and sync batches cost a fixed number of queries, whatever their size."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.cases import READ_RESOURCES
from tests.api.conftest import push
from tests.factories import (
    ComplaintFactory,
    ContactLogFactory,
    ContactPreferenceFactory,
    CustomerFactory,
    OdometerReadingFactory,
    ProfileObservationFactory,
    PurchaseFactory,
    SatisfactionSurveyFactory,
    ServiceOrderFactory,
    ServiceOrderLineFactory,
    TaskFactory,
    ValueEventFactory,
    VehicleFactory,
)

pytestmark = pytest.mark.django_db


def _make_one(resource: str) -> None:
    customer = CustomerFactory()
    vehicle = VehicleFactory(owner=customer)
    if resource == "customers":
        ContactPreferenceFactory(customer=customer)
        ProfileObservationFactory.create_batch(2, customer=customer)
    elif resource == "purchases":
        PurchaseFactory(customer=customer, vehicle=vehicle)
    elif resource == "odometer-readings":
        OdometerReadingFactory(vehicle=vehicle)
    elif resource == "service-orders":
        order = ServiceOrderFactory(customer=customer, vehicle=vehicle)
        ServiceOrderLineFactory.create_batch(2, order=order)
    elif resource == "surveys":
        SatisfactionSurveyFactory(customer=customer)
    elif resource == "complaints":
        ComplaintFactory(customer=customer)
    elif resource == "contact-logs":
        ContactLogFactory(customer=customer)
    elif resource == "value-events":
        ValueEventFactory(customer=customer)
    elif resource == "tasks":
        TaskFactory(customer=customer)


def _make(resource: str, n: int) -> None:
    for _ in range(n):
        _make_one(resource)


def _count(fn) -> int:
    with CaptureQueriesContext(connection) as queries:
        fn()
    return len(queries)


@pytest.mark.parametrize("resource", READ_RESOURCES)
def test_a_list_page_costs_the_same_queries_for_2_or_25_rows(
    dms_api, resource, django_assert_max_num_queries
):
    url = f"/api/v1/{resource}/?limit=100"
    dms_api.get(url)  # warm the token's last-used stamp and the role cache
    _make(resource, 2)
    small = _count(lambda: dms_api.get(url))
    _make(resource, 23)
    with django_assert_max_num_queries(small):
        body = dms_api.get(url).json()
    assert len(body["results"]) >= 25
    assert small <= 8


def test_an_advisors_list_page_is_bounded_too(advisor, django_assert_max_num_queries):
    from tests.api.conftest import client_for

    client = client_for(advisor)
    for _ in range(10):
        ServiceOrderLineFactory(
            order=ServiceOrderFactory(customer=CustomerFactory(sales_advisor=advisor))
        )
    with django_assert_max_num_queries(9):
        assert len(client.get("/api/v1/service-orders/").json()["results"]) == 10


def _orders(n: int, prefix: str) -> list[dict]:
    return [
        {
            "external_id": f"{prefix}{i}",
            "customer": f"C{i % 5}",
            "vehicle": f"V{i % 5}",
            "opened_on": "2024-05-01",
            "lines": [
                {"line_no": 1, "category": "maintenance", "amount": 500},
                {"line_no": 2, "category": "detailing", "amount": 80},
            ],
        }
        for i in range(n)
    ]


@pytest.fixture
def five_cars():
    for i in range(5):
        VehicleFactory(external_id=f"V{i}", owner=CustomerFactory(external_id=f"C{i}"))


def test_a_sync_batch_costs_the_same_queries_for_10_or_300_records(dms_api, five_cars):
    push(dms_api, "service-orders", [])  # warm-up
    create_small = _count(lambda: push(dms_api, "service-orders", _orders(10, "A")))
    create_large = _count(lambda: push(dms_api, "service-orders", _orders(300, "B")))
    assert create_large == create_small
    replay_small = _count(lambda: push(dms_api, "service-orders", _orders(10, "A")))
    replay_large = _count(lambda: push(dms_api, "service-orders", _orders(300, "B")))
    assert replay_large == replay_small < create_small
    changed = [{**r, "note": "改"} for r in _orders(300, "B")]
    changed_small = [{**r, "note": "改"} for r in _orders(10, "A")]
    update_small = _count(lambda: push(dms_api, "service-orders", changed_small))
    update_large = _count(lambda: push(dms_api, "service-orders", changed))
    assert update_large == update_small
    assert max(create_small, update_small) <= 14


@pytest.mark.parametrize(
    "resource",
    [
        "customers",
        "vehicles",
        "purchases",
        "odometer-readings",
        "surveys",
        "complaints",
        "contact-logs",
        "value-events",
    ],
)
def test_every_resources_sync_is_bounded(dms_api, five_cars, resource):
    from tests.api.cases import build_cases
    from tests.factories import VehicleModelFactory

    vehicle = VehicleFactory(external_id="VT1")
    world = {
        "customer": vehicle.owner,
        "vehicle": vehicle,
        "order": ServiceOrderFactory(customer=vehicle.owner, vehicle=vehicle, external_id="ROT1"),
        "vehicle_model": VehicleModelFactory(),
    }
    case = build_cases(world)[resource]

    def batch(n: int, prefix: str) -> list[dict]:
        records = []
        for i in range(n):
            record = {**case.record, "external_id": f"{prefix}{i}"}
            if resource == "vehicles":
                record["vin"] = f"LSVBATCH{prefix}{i:08d}"[:17].ljust(17, "0")
            if resource == "odometer-readings":
                record["km"] = 30000  # the same km on the same day is allowed
            records.append(record)
        return records

    push(dms_api, resource, [])
    small = _count(lambda: push(dms_api, resource, batch(3, "A")))
    large = _count(lambda: push(dms_api, resource, batch(60, "B")))
    assert large == small <= 12
