"""The customer admin under the personal data policy (R7.2): contact data masked for staff and
revealed one field at a time (logged), never written back masked; assignment left to managers."""

from __future__ import annotations

import pytest
from django.test import Client

from customers.models import Customer, DataAccessAction, DataAccessLog
from tests.admin_forms import admin_form_values
from tests.admin_pages import admin_url
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

FULL = {
    "mobile": "13912345678",
    "phone_alt": "075512345678",
    "wechat_id": "wx_wangli88",
    "email": "wang.li@example.com",
    "address": "广东省深圳市南山区科技园路1号",
}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _customer(**fields) -> Customer:
    return CustomerFactory(**FULL, **fields)


def _change(customer: Customer) -> str:
    return admin_url("customers.customer", "change", customer.pk)


def _reveal(customer: Customer, field: str) -> str:
    return admin_url("customers.customer", "reveal", customer.pk, field)


@pytest.mark.parametrize("role", ["advisor", "marketing", "manager", "superuser"])
def test_the_change_list_shows_contact_data_masked_to_staff(request, role, advisor):
    user = request.getfixturevalue(role)
    _customer(sales_advisor=advisor)
    page = _client(user).get(admin_url("customers.customer", "changelist")).content.decode()
    assert "139****5678" in page
    assert "13912345678" not in page


@pytest.mark.parametrize("role", ["advisor", "manager"])
def test_the_change_form_shows_every_contact_field_masked_with_a_reveal_link(
    request, role, advisor
):
    user = request.getfixturevalue(role)
    customer = _customer(sales_advisor=advisor)
    page = _client(user).get(_change(customer)).content.decode()
    for value in FULL.values():
        assert value not in page
    assert "139****5678" in page and "w****@example.com" in page
    assert _reveal(customer, "mobile") in page
    assert not DataAccessLog.objects.exists()


def test_saving_the_form_keeps_the_stored_contact_data_not_the_masked_text(manager, advisor):
    customer = _customer(sales_advisor=advisor)
    client = _client(manager)
    data = admin_form_values(client, _change(customer))
    assert "mobile" not in data  # read-only: not a form field
    data.update({"mobile": "139****5678", "email": "x****@example.com", "notes": "called"})
    response = client.post(_change(customer), data)
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.notes == "called"
    assert (customer.mobile, customer.email) == (FULL["mobile"], FULL["email"])


def test_a_new_customer_is_entered_with_its_contact_data(manager):
    page = _client(manager).get(admin_url("customers.customer", "add")).content.decode()
    assert 'name="mobile"' in page


def test_the_reveal_asks_first_then_shows_the_field_and_logs_it(advisor):
    customer = _customer(sales_advisor=advisor)
    client = _client(advisor)
    asked = client.get(_reveal(customer, "mobile")).content.decode()
    assert "139****5678" in asked and FULL["mobile"] not in asked
    assert not DataAccessLog.objects.exists()
    shown = client.post(_reveal(customer, "mobile")).content.decode()
    assert FULL["mobile"] in shown
    entry = DataAccessLog.objects.get()
    assert (entry.user, entry.customer, entry.action, entry.rows) == (
        advisor,
        customer,
        DataAccessAction.REVEAL,
        1,
    )


def test_an_advisor_cannot_reveal_another_advisors_customer(advisor, other_advisor):
    customer = _customer(sales_advisor=other_advisor)
    response = _client(advisor).post(_reveal(customer, "mobile"))
    assert response.status_code in (302, 404)
    assert FULL["mobile"] not in response.content.decode()
    assert not DataAccessLog.objects.exists()


def test_the_reveal_of_a_field_the_policy_does_not_cover_is_404(advisor):
    customer = _customer(sales_advisor=advisor)
    assert _client(advisor).post(_reveal(customer, "notes")).status_code == 404


def test_an_advisor_posting_the_form_with_another_advisor_does_not_reassign(
    advisor, other_advisor, superuser
):
    customer = _customer(sales_advisor=advisor, service_owner=None)
    client = _client(advisor)
    data = admin_form_values(client, _change(customer))
    assert "sales_advisor" not in data
    data.update(
        {"sales_advisor": str(superuser.pk), "service_owner": str(other_advisor.pk), "notes": "x"}
    )
    response = client.post(_change(customer), data)
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.notes == "x"
    assert customer.sales_advisor == advisor
    assert customer.service_owner is None


def test_marketing_cannot_reassign_either(marketing, advisor, other_advisor):
    customer = _customer(sales_advisor=advisor)
    client = _client(marketing)
    data = admin_form_values(client, _change(customer))
    data["sales_advisor"] = str(other_advisor.pk)
    assert client.post(_change(customer), data).status_code == 302
    customer.refresh_from_db()
    assert customer.sales_advisor == advisor


def test_a_manager_reassigns_in_the_form(manager, advisor, other_advisor):
    customer = _customer(sales_advisor=advisor)
    client = _client(manager)
    data = admin_form_values(client, _change(customer))
    assert data["sales_advisor"] == str(advisor.pk)
    data["sales_advisor"] = str(other_advisor.pk)
    assert client.post(_change(customer), data).status_code == 302
    customer.refresh_from_db()
    assert customer.sales_advisor == other_advisor
