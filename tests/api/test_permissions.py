"""The role × endpoint matrix (R7.1): who may read and write, and advisors probing records of
customers that are not theirs (own / teammate's / unassigned)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.api.cases import READ_RESOURCES, RESOURCES
from tests.api.conftest import client_for
from tests.factories import (
    ComplaintFactory,
    ContactLogFactory,
    CustomerFactory,
    OdometerReadingFactory,
    PurchaseFactory,
    SatisfactionSurveyFactory,
    ServiceOrderFactory,
    TaskFactory,
    UserFactory,
    ValueEventFactory,
    VehicleFactory,
)

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "no_role", "advisor", "marketing", "manager", "dms_client", "superuser"]
SYNC_RESOURCES = RESOURCES


def _records_of(customer) -> dict[str, object]:
    vehicle = VehicleFactory(owner=customer)
    return {
        "customers": customer,
        "vehicles": vehicle,
        "purchases": PurchaseFactory(customer=customer, vehicle=vehicle),
        "odometer-readings": OdometerReadingFactory(vehicle=vehicle),
        "service-orders": ServiceOrderFactory(customer=customer, vehicle=vehicle),
        "surveys": SatisfactionSurveyFactory(customer=customer),
        "complaints": ComplaintFactory(customer=customer),
        "contact-logs": ContactLogFactory(customer=customer),
        "value-events": ValueEventFactory(customer=customer),
        "tasks": TaskFactory(customer=customer),
    }


@pytest.fixture
def book(advisor, other_advisor):
    """Records of the advisor's own customer, a teammate's and an unassigned one."""
    return {
        "own": _records_of(CustomerFactory(sales_advisor=advisor)),
        "teammate": _records_of(CustomerFactory(sales_advisor=other_advisor)),
        "unassigned": _records_of(CustomerFactory(sales_advisor=None)),
    }


@pytest.fixture
def client_as(request):
    def make(role: str) -> APIClient:
        if role == "anonymous":
            return APIClient()
        if role == "no_role":
            return client_for(UserFactory(username="nobody"))
        return client_for(request.getfixturevalue(role))

    return make


_LIST = {
    "anonymous": 401,
    "no_role": 403,
    "advisor": 200,
    "marketing": 200,
    "manager": 200,
    "dms_client": 200,
    "superuser": 200,
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("resource", READ_RESOURCES)
def test_who_may_list_each_resource(client_as, book, role, resource):
    response = client_as(role).get(f"/api/v1/{resource}/")
    assert response.status_code == _LIST[role], response.content


@pytest.mark.parametrize("role", ["marketing", "manager", "dms_client", "superuser"])
@pytest.mark.parametrize("resource", READ_RESOURCES)
def test_staff_roles_list_and_read_every_record(client_as, book, role, resource):
    client = client_as(role)
    ids = {r["id"] for r in client.get(f"/api/v1/{resource}/").json()["results"]}
    assert ids == {records[resource].pk for records in book.values()}
    for records in book.values():
        assert client.get(f"/api/v1/{resource}/{records[resource].pk}/").status_code == 200


@pytest.mark.parametrize("resource", READ_RESOURCES)
def test_an_advisor_lists_only_records_of_their_own_customers(client_as, book, resource):
    results = client_as("advisor").get(f"/api/v1/{resource}/").json()["results"]
    assert [r["id"] for r in results] == [book["own"][resource].pk]


@pytest.mark.parametrize("whose", ["teammate", "unassigned"])
@pytest.mark.parametrize("resource", READ_RESOURCES)
def test_an_advisor_probing_another_customers_record_gets_404(client_as, book, resource, whose):
    client = client_as("advisor")
    assert client.get(f"/api/v1/{resource}/{book['own'][resource].pk}/").status_code == 200
    response = client.get(f"/api/v1/{resource}/{book[whose][resource].pk}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("resource", READ_RESOURCES)
def test_an_advisor_cannot_reach_others_records_through_filters(client_as, book, resource):
    teammate = book["teammate"]["customers"]
    client = client_as("advisor")
    record = book["teammate"][resource]
    if hasattr(record, "external_id"):  # tasks are the CRM's own: no DMS id
        query = f"external_id={record.external_id}"
        assert client.get(f"/api/v1/{resource}/?{query}").json()["results"] == []
    if resource not in ("customers", "vehicles", "odometer-readings"):
        assert client.get(f"/api/v1/{resource}/?customer={teammate.pk}").json()["results"] == []


def test_an_advisor_does_not_see_a_nonexistent_id_differently(client_as, book):
    client = client_as("advisor")
    missing = client.get("/api/v1/customers/999999/")
    others = client.get(f"/api/v1/customers/{book['teammate']['customers'].pk}/")
    assert (missing.status_code, missing.json()) == (others.status_code, others.json())


_SYNC = {
    "anonymous": 401,
    "no_role": 403,
    "advisor": 403,
    "marketing": 403,
    "manager": 403,
    "dms_client": 200,
    "superuser": 200,
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("resource", SYNC_RESOURCES)
def test_only_the_dms_client_and_superusers_push_sync_batches(client_as, role, resource):
    response = client_as(role).post(f"/api/v1/sync/{resource}/", {"records": []}, format="json")
    assert response.status_code == _SYNC[role], response.content
    if response.status_code >= 400:
        assert response.json()["code"] in ("not_authenticated", "permission_denied")


@pytest.mark.parametrize(
    ("role", "expected"),
    [("advisor", 403), ("marketing", 200), ("manager", 200), ("dms_client", 200), ("no_role", 403)],
)
def test_who_may_see_the_scoring_runs(client_as, role, expected):
    assert client_as(role).get("/api/v1/scoring-runs/").status_code == expected


@pytest.mark.parametrize("role", ROLES)
def test_who_may_read_scores(client_as, role):
    expected = {**_LIST}
    assert client_as(role).get("/api/v1/scores/").status_code == expected[role]
