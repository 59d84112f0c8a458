"""The API under the personal data policy (R7.2): contact data masked for every user but the
DMS client, people's pages bounded, and their bulk reads of customers logged."""

from __future__ import annotations

import pytest

from customers.models import DataAccessAction, DataAccessLog
from tests.api.conftest import client_for
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

FULL = {
    "mobile": "13912345678",
    "phone_alt": "075512345678",
    "wechat_id": "wx_wangli88",
    "email": "wang.li@example.com",
    "address": "广东省深圳市南山区科技园路1号",
}
MASKED = {
    "mobile": "139****5678",
    "phone_alt": "075****5678",
    "wechat_id": "wx****",
    "email": "w****@example.com",
    "address": "广东省深圳市****",
}


def _contact(row: dict) -> dict:
    return {field: row[field] for field in FULL}


@pytest.mark.parametrize("role", ["advisor", "marketing", "manager", "superuser"])
def test_people_read_contact_data_masked_in_lists_and_single_records(request, role, advisor):
    customer = CustomerFactory(**FULL, sales_advisor=advisor)
    client = client_for(request.getfixturevalue(role))
    listed = client.get("/api/v1/customers/").json()["results"]
    assert [_contact(row) for row in listed] == [MASKED]
    one = client.get(f"/api/v1/customers/{customer.pk}/").json()
    assert _contact(one) == MASKED


def test_the_dms_client_keeps_full_data(dms_api, advisor):
    customer = CustomerFactory(**FULL, sales_advisor=advisor)
    assert [_contact(r) for r in dms_api.get("/api/v1/customers/").json()["results"]] == [FULL]
    assert _contact(dms_api.get(f"/api/v1/customers/{customer.pk}/").json()) == FULL
    assert not DataAccessLog.objects.exists()


def test_people_page_at_most_200_rows_the_dms_client_1000(manager, dms_api):
    person = client_for(manager)
    refused = person.get("/api/v1/customers/?limit=1000")
    assert refused.status_code == 400
    assert "200" in refused.json()["detail"] or "200" in str(refused.json())
    assert person.get("/api/v1/customers/?limit=200").status_code == 200
    assert dms_api.get("/api/v1/customers/?limit=1000").status_code == 200


def test_the_people_bound_is_a_setting(manager, settings):
    settings.API_PEOPLE_MAX_LIMIT = 2
    CustomerFactory.create_batch(3)
    client = client_for(manager)
    assert client.get("/api/v1/customers/?limit=3").status_code == 400
    assert len(client.get("/api/v1/customers/").json()["results"]) == 2


def test_a_persons_bulk_read_of_customers_is_logged_with_rows_and_filter(marketing):
    CustomerFactory.create_batch(3, region="广东省深圳市")
    response = client_for(marketing).get("/api/v1/customers/?limit=2&region=广东省深圳市")
    assert response.status_code == 200
    entry = DataAccessLog.objects.get()
    assert (entry.user, entry.action, entry.rows) == (marketing, DataAccessAction.BULK_READ, 2)
    assert entry.filters == {"limit": "2", "region": "广东省深圳市"}


def test_an_empty_page_and_other_resources_are_not_logged(marketing):
    client = client_for(marketing)
    assert client.get("/api/v1/customers/").status_code == 200
    assert client.get("/api/v1/vehicles/").status_code == 200
    assert not DataAccessLog.objects.exists()
