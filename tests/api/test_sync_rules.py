"""The rules a sync batch enforces beyond one field: the models' own checks, derived values,
batch-wide uniqueness, and the contract of the request itself (400/413, never a 500)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from contacts.models import Complaint
from customers.models import Customer
from tests.api.conftest import push, statuses
from tests.factories import (
    CustomerFactory,
    OdometerReadingFactory,
    ServiceOrderFactory,
    VehicleFactory,
    VehicleModelFactory,
)
from vehicles.models import Purchase, ServiceOrder, ServiceOrderLine, Vehicle

pytestmark = pytest.mark.django_db


def _order(**overrides):
    record = {
        "external_id": "RO-1",
        "customer": "CT1",
        "vehicle": "VT1",
        "opened_on": "2024-05-01",
        "lines": [{"line_no": 1, "category": "maintenance", "amount": "680.00"}],
    }
    return {**record, **overrides}


@pytest.fixture
def car():
    return VehicleFactory(external_id="VT1", owner=CustomerFactory(external_id="CT1"))


# --- values at the boundary ----------------------------------------------------------------


def test_a_mobile_number_with_country_code_and_spaces_is_stored_normalised(dms_api):
    push(
        dms_api, "customers", [{"external_id": "C1", "name": "王芳", "mobile": "+86 138 0013 8000"}]
    )
    assert Customer.objects.get(external_id="C1").mobile == "13800138000"
    # The same number written differently is the same value: nothing changes.
    body = push(
        dms_api, "customers", [{"external_id": "C1", "name": "王芳", "mobile": "138-0013-8000"}]
    )
    assert statuses(body) == ["unchanged"]


def test_an_invalid_mobile_number_is_a_field_error(dms_api):
    body = push(dms_api, "customers", [{"external_id": "C1", "name": "王芳", "mobile": "12345"}])
    assert "mobile" in body["results"][0]["errors"]


def test_liked_brands_are_trimmed_and_deduplicated_as_the_model_does(dms_api):
    push(
        dms_api,
        "customers",
        [{"external_id": "C1", "name": "李", "liked_brands": [" 宝马", "宝马 "]}],
    )
    assert Customer.objects.get(external_id="C1").liked_brands == ["宝马"]


def test_a_date_in_the_future_is_refused(dms_api, car):
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    body = push(dms_api, "service-orders", [_order(opened_on=tomorrow)])
    assert "opened_on" in body["results"][0]["errors"]


def test_text_with_a_nul_character_is_a_field_error_not_a_crash(dms_api):
    body = push(dms_api, "customers", [{"external_id": "C1", "name": "a\x00b"}])
    assert "name" in body["results"][0]["errors"]


def test_a_vin_is_stored_upper_case_and_a_vehicle_can_be_named_by_it(dms_api, car):
    model = VehicleModelFactory()
    body = push(
        dms_api,
        "vehicles",
        [
            {
                "external_id": "V9",
                "vin": " lsvzzzabc12345678 ",
                "brand": model.brand.name,
                "model": model.name,
            }
        ],
    )
    assert statuses(body) == ["created"]
    assert Vehicle.objects.get(external_id="V9").vin == "LSVZZZABC12345678"
    both = push(dms_api, "service-orders", [{**_order(), "vehicle_vin": "LSVZZZABC12345678"}])
    assert "vehicle" in both["results"][0]["errors"]  # one name only, not two
    record = _order()
    del record["vehicle"]
    body = push(dms_api, "service-orders", [{**record, "vehicle_vin": "lsvzzzabc12345678"}])
    assert statuses(body) == ["created"]
    assert ServiceOrder.objects.get(external_id="RO-1").vehicle.external_id == "V9"


def test_a_vehicle_model_missing_from_the_catalogue_is_an_error(dms_api):
    body = push(
        dms_api,
        "vehicles",
        [{"external_id": "V9", "vin": "LSVZZZABC12345678", "brand": "无", "model": "无"}],
    )
    assert "model" in body["results"][0]["errors"]


def test_two_vehicles_cannot_share_a_vin(dms_api, car):
    model = VehicleModelFactory()
    same = {"vin": car.vin, "brand": model.brand.name, "model": model.name}
    body = push(dms_api, "vehicles", [{"external_id": "V-OTHER", **same}])
    assert body["results"][0]["errors"]["vin"]
    twice = {"vin": "LSVZZZABC12345678", "brand": model.brand.name, "model": model.name}
    body = push(dms_api, "vehicles", [{"external_id": "A", **twice}, {"external_id": "B", **twice}])
    assert statuses(body) == ["error", "error"]


# --- the models' clean() and save() ---------------------------------------------------------


def test_purchase_financing_rules_of_the_model_apply(dms_api, car):
    base = {
        "external_id": "P1",
        "customer": "CT1",
        "vehicle": "VT1",
        "purchased_on": "2020-01-01",
        "price_paid": 100000,
    }
    body = push(dms_api, "purchases", [{**base, "funding_source": "loan_needed"}])
    assert "funding_source" in body["results"][0]["errors"]
    body = push(
        dms_api, "purchases", [{**base, "payment_method": "loan", "finance_term_months": 36}]
    )
    assert statuses(body) == ["created"]
    # save() would fill the end date from the term; the bulk path must too.
    assert Purchase.objects.get(external_id="P1").finance_end_date == dt.date(2023, 1, 1)


def test_a_line_without_necessity_takes_its_categorys_usual_one(dms_api, car):
    lines = [
        {"line_no": 1, "category": "maintenance", "amount": 500},
        {"line_no": 2, "category": "detailing", "amount": 200},
        {"line_no": 3, "category": "detailing", "amount": 200, "necessity": "necessary"},
    ]
    push(dms_api, "service-orders", [_order(lines=lines)])
    stored = ServiceOrderLine.objects.filter(order__external_id="RO-1").order_by("line_no")
    assert [line.necessity for line in stored] == ["necessary", "discretionary", "necessary"]
    assert statuses(push(dms_api, "service-orders", [_order(lines=lines)])) == ["unchanged"]


def test_sending_lines_replaces_them_and_leaving_them_out_keeps_them(dms_api, car):
    push(
        dms_api,
        "service-orders",
        [
            _order(
                lines=[
                    {"line_no": 1, "category": "repair", "amount": 1},
                    {"line_no": 2, "category": "tyres", "amount": 2},
                ]
            )
        ],
    )
    body = push(
        dms_api,
        "service-orders",
        [_order(lines=[{"line_no": 1, "category": "repair", "amount": "9.50"}])],
    )
    assert statuses(body) == ["updated"]
    order = ServiceOrder.objects.get(external_id="RO-1")
    assert [(line.line_no, line.amount) for line in order.lines.all()] == [(1, Decimal("9.50"))]
    record = _order()
    del record["lines"]
    assert statuses(push(dms_api, "service-orders", [record])) == ["unchanged"]
    assert order.lines.count() == 1


def test_a_line_number_used_twice_in_one_order_is_an_error(dms_api, car):
    lines = [
        {"line_no": 1, "category": "repair", "amount": 1},
        {"line_no": 1, "category": "tyres", "amount": 2},
    ]
    body = push(dms_api, "service-orders", [_order(lines=lines)])
    assert "lines[1].line_no" in body["results"][0]["errors"]


def test_a_complaint_gets_its_promised_response_time_as_save_would(dms_api, car):
    record = {
        "external_id": "K1",
        "customer": "CT1",
        "opened_at": "2024-03-01T10:00:00+08:00",
        "category": "speed",
        "description": "等太久",
    }
    push(dms_api, "complaints", [record])
    complaint = Complaint.objects.get(external_id="K1")
    assert complaint.promised_response_by == complaint.opened_at + dt.timedelta(hours=24)
    assert statuses(push(dms_api, "complaints", [record])) == ["unchanged"]


def test_odometer_readings_only_go_up_unless_the_meter_was_replaced(dms_api, car):
    OdometerReadingFactory(vehicle=car, read_on=dt.date(2024, 1, 1), km=50_000)
    lower = {"external_id": "OR1", "vehicle": "VT1", "read_on": "2024-06-01", "km": 40_000}
    body = push(dms_api, "odometer-readings", [lower])
    assert "km" in body["results"][0]["errors"]
    body = push(dms_api, "odometer-readings", [{**lower, "is_meter_replacement": True}])
    assert statuses(body) == ["created"]


def test_odometer_readings_in_one_batch_are_checked_against_each_other(dms_api, car):
    body = push(
        dms_api,
        "odometer-readings",
        [
            {"external_id": "A", "vehicle": "VT1", "read_on": "2024-01-01", "km": 60_000},
            {"external_id": "B", "vehicle": "VT1", "read_on": "2024-06-01", "km": 50_000},
        ],
    )
    assert statuses(body) == ["error", "error"]


def test_the_same_id_twice_in_one_batch_is_an_error_for_the_repeat(dms_api):
    record = {"external_id": "C1", "name": "甲"}
    body = push(dms_api, "customers", [record, {**record, "name": "乙"}])
    assert statuses(body) == ["created", "error"]
    assert Customer.objects.get(external_id="C1").name == "甲"


def test_the_same_external_id_in_two_sources_is_two_records(dms_api):
    body = push(
        dms_api,
        "customers",
        [
            {"external_id": "C1", "name": "甲"},
            {"source": "dms2", "external_id": "C1", "name": "乙"},
        ],
    )
    assert statuses(body) == ["created", "created"]


def test_fields_the_record_leaves_out_keep_their_stored_values(dms_api):
    push(dms_api, "customers", [{"external_id": "C1", "name": "甲", "region": "北京市"}])
    body = push(dms_api, "customers", [{"external_id": "C1", "name": "甲"}])
    assert statuses(body) == ["unchanged"]
    assert Customer.objects.get(external_id="C1").region == "北京市"


def test_crm_owned_fields_are_never_written_by_the_dms(dms_api, advisor):
    customer = CustomerFactory(external_id="C1", sales_advisor=advisor, notes="VIP")
    push(dms_api, "customers", [{"external_id": "C1", "name": "新名字"}])
    customer.refresh_from_db()
    assert (customer.name, customer.sales_advisor, customer.notes) == ("新名字", advisor, "VIP")


# --- the request's contract ------------------------------------------------------------------


def _post(client, body, content_type="application/json", resource="customers"):
    return client.generic("POST", f"/api/v1/sync/{resource}/", body, content_type=content_type)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "parse_error"),
        (b'{"records": [{"external_id": "C1", "name": NaN}]}', "parse_error"),
        (b"[" * 100_000 + b"]" * 100_000, "parse_error"),
        (b'"just a string"', "invalid"),
        (b'{"records": {"external_id": "C1"}}', "invalid"),
        (b'{"records": [], "extra": 1}', "invalid"),
        (b'{"records": ["not an object"]}', "invalid_records"),
        (b'{"records": [{"external_id": "C1", "name": 5}]}', "invalid_records"),
        (b'{"records": [{"external_id": "C1", "name": "x", "shoe_size": 44}]}', "invalid_records"),
        (b'{"records": [{"name": "x"}]}', "invalid_records"),
        (b'{"records": [{"external_id": "C1", "name": null}]}', "invalid_records"),
        (
            b'{"records": [{"external_id": "C1", "name": "x", "birth_year": "1980"}]}',
            "invalid_records",
        ),
        (b"\xff\xfe\x00garbage", "parse_error"),
    ],
    ids=[
        "malformed",
        "nan",
        "deep",
        "not-an-object",
        "records-not-a-list",
        "unknown-top-level-key",
        "record-not-an-object",
        "wrong-type",
        "unknown-field",
        "missing-key",
        "null-required",
        "string-for-integer",
        "not-utf8",
    ],
)
def test_a_request_that_breaks_the_schema_is_a_400_and_writes_nothing(dms_api, body, code):
    response = _post(dms_api, body)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code
    assert response.json()["detail"]
    assert not Customer.objects.exists()


def test_schema_problems_name_the_record_and_the_field(dms_api):
    body = json.dumps(
        {"records": [{"external_id": "A", "name": "ok"}, {"external_id": "B", "name": 1, "x": 2}]}
    )
    problems = _post(dms_api, body).json()["records"]
    assert problems == [
        {
            "index": 1,
            "external_id": "B",
            "fields": {"name": ["Expected a string."], "x": ["Unknown field."]},
        }
    ]


def test_more_than_5000_records_is_a_400(dms_api):
    records = [{"external_id": f"C{i}", "name": "x"} for i in range(5001)]
    response = _post(dms_api, json.dumps({"records": records}))
    assert response.status_code == 400
    assert response.json()["code"] == "batch_too_large"


def test_a_body_over_the_size_limit_is_a_413(dms_api, settings):
    settings.API_MAX_BODY_BYTES = 1000
    response = _post(dms_api, json.dumps({"records": [{"external_id": "C1", "name": "x" * 2000}]}))
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_a_body_that_is_not_json_is_a_415(dms_api):
    response = _post(dms_api, "records=1", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_get_on_a_sync_endpoint_is_a_405(dms_api):
    response = dms_api.get("/api/v1/sync/customers/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_an_unknown_api_path_is_a_json_404(dms_api):
    response = dms_api.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_an_empty_batch_is_fine(dms_api):
    assert push(dms_api, "customers", [])["counts"] == {
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "error": 0,
    }


def test_an_error_record_still_reports_every_problem_at_once(dms_api, car):
    body = push(
        dms_api,
        "service-orders",
        [
            _order(
                customer="NOPE",
                opened_on="2024-13-01",
                lines=[{"line_no": 1, "category": "repair", "amount": "-1"}],
            )
        ],
    )
    errors = body["results"][0]["errors"]
    assert {"customer", "opened_on", "lines[0].amount"} <= set(errors)


def test_unknown_service_order_reference_on_a_survey_is_reported(dms_api, car):
    ServiceOrderFactory(external_id="RO-X", customer=car.owner, vehicle=car)
    body = push(
        dms_api,
        "surveys",
        [
            {
                "external_id": "S1",
                "customer": "CT1",
                "service_order": "RO-X",
                "surveyed_on": "2024-01-01",
                "overall": 9,
            }
        ],
    )
    assert statuses(body) == ["created"]
