"""The one masking policy for contact data, and the logged reveal (R7.2)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from customers.masking import contact_display, mask_email, mask_phone, mask_value
from customers.models import DataAccessAction, DataAccessLog
from customers.services import customer_contact_reveal, data_access_record
from tests.factories import CustomerFactory


def test_a_mobile_keeps_its_first_three_and_last_four_digits():
    assert mask_phone("13912345678") == "139****5678"


def test_a_short_number_keeps_only_its_last_two_digits():
    assert mask_phone("8812") == "****12"


def test_an_email_keeps_its_first_letter_and_domain():
    assert mask_email("wang.li@example.com") == "w****@example.com"


def test_an_empty_field_stays_empty():
    assert mask_value("address", "") == ""
    assert mask_value("mobile", None) == ""


@pytest.mark.django_db
def test_staff_see_contact_data_masked(advisor, marketing, manager):
    customer = CustomerFactory(mobile="13912345678", email="wang@example.com", address="")
    for user in (advisor, marketing, manager):
        shown = contact_display(customer, user)
        assert shown["mobile"] == "139****5678"
        assert shown["email"] == "w****@example.com"


@pytest.mark.django_db
def test_the_dms_client_keeps_full_data(dms_client):
    customer = CustomerFactory(mobile="13912345678")
    assert contact_display(customer, dms_client)["mobile"] == "13912345678"


@pytest.mark.django_db
def test_a_reveal_returns_the_value_and_is_logged(advisor):
    customer = CustomerFactory(mobile="13912345678", sales_advisor=advisor)
    assert customer_contact_reveal(user=advisor, customer=customer, field="mobile") == (
        "13912345678"
    )
    log = DataAccessLog.objects.get()
    assert (log.user, log.customer, log.action, log.rows) == (
        advisor,
        customer,
        DataAccessAction.REVEAL,
        1,
    )


@pytest.mark.django_db
def test_a_user_without_a_staff_role_may_not_reveal(dms_client):
    customer = CustomerFactory(mobile="13912345678")
    with pytest.raises(PermissionDenied):
        customer_contact_reveal(user=dms_client, customer=customer, field="mobile")
    assert not DataAccessLog.objects.exists()


@pytest.mark.django_db
def test_only_contact_fields_can_be_revealed(advisor):
    customer = CustomerFactory(sales_advisor=advisor)
    with pytest.raises(ValueError):
        customer_contact_reveal(user=advisor, customer=customer, field="name")


@pytest.mark.django_db
def test_an_export_is_logged_with_its_filter_and_rows(marketing):
    data_access_record(
        user=marketing,
        action=DataAccessAction.EXPORT,
        what="customers",
        rows=120,
        filters={"nine_cell": "7+/low"},
    )
    log = DataAccessLog.objects.get()
    assert (log.rows, log.filters) == (120, {"nine_cell": "7+/low"})
