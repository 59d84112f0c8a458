"""Every sync resource: create, update, unchanged on replay, mixed batches, unknown references."""

from __future__ import annotations

import pytest

from tests.api.cases import RESOURCES, build_cases
from tests.api.conftest import push, statuses
from tests.factories import ServiceOrderFactory, VehicleFactory, VehicleModelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    vehicle = VehicleFactory(external_id="VT1")
    order = ServiceOrderFactory(customer=vehicle.owner, vehicle=vehicle, external_id="ROT1")
    return {
        "customer": vehicle.owner,
        "vehicle": vehicle,
        "order": order,
        "vehicle_model": VehicleModelFactory(),
    }


@pytest.fixture(params=RESOURCES)
def case(request, world):
    return build_cases(world)[request.param]


def _row(case):
    return case.model.objects.get(source="dms", external_id=case.record["external_id"])


def test_a_new_record_is_created_and_can_be_read_back(dms_api, case):
    body = push(dms_api, case.resource, [case.record])
    assert statuses(body) == ["created"]
    row = _row(case)
    assert body["results"][0]["id"] == row.pk
    response = dms_api.get(f"/api/v1/{case.resource}/{row.pk}/")
    if case.resource in ("contact-preferences", "profile-observations"):
        # Read back inside the customer (R1.4, R1.2), not as a resource of their own.
        response = dms_api.get(f"/api/v1/customers/{row.customer_id}/")
    assert response.status_code == 200
    assert case.record["external_id"] in response.content.decode()


def test_replaying_a_batch_reports_unchanged_and_writes_nothing(dms_api, case):
    push(dms_api, case.resource, [case.record])
    before = _row(case)
    body = push(dms_api, case.resource, [case.record])
    assert statuses(body) == ["unchanged"]
    assert body["counts"] == {"created": 0, "updated": 0, "unchanged": 1, "error": 0}
    after = _row(case)
    assert after.updated_at == before.updated_at
    assert case.model.objects.count() == case.model.objects.filter(pk__lte=after.pk).count()


def test_a_changed_record_is_updated_in_place(dms_api, case):
    push(dms_api, case.resource, [case.record])
    before = _row(case)
    body = push(dms_api, case.resource, [{**case.record, **case.change}])
    assert statuses(body) == ["updated"]
    after = _row(case)
    assert after.pk == before.pk
    assert after.updated_at > before.updated_at
    assert after.created_at == before.created_at
    for name, value in case.change.items():
        stored = getattr(after, name)
        assert str(stored) == str(value) or float(stored) == float(value)


def test_a_mixed_batch_writes_the_good_records_and_reports_the_bad(dms_api, case):
    bad = {**case.record, **case.invalid, "external_id": "BAD1"}
    body = push(dms_api, case.resource, [bad, case.record])
    assert statuses(body) == ["error", "created"]
    assert case.invalid_field in body["results"][0]["errors"], body["results"][0]
    assert body["results"][0]["index"] == 0 and body["results"][0]["external_id"] == "BAD1"
    assert not case.model.objects.filter(external_id="BAD1").exists()
    assert _row(case).pk == body["results"][1]["id"]


def test_a_record_naming_an_unknown_record_is_an_error_for_that_record(dms_api, case):
    if case.unknown_ref is None:
        pytest.skip("customers reference nothing")
    (name,) = case.unknown_ref
    body = push(dms_api, case.resource, [{**case.record, **case.unknown_ref}])
    assert statuses(body) == ["error"]
    assert "NO-SUCH" in body["results"][0]["errors"][name][0]
    assert not case.model.objects.filter(external_id=case.record["external_id"]).exists()
