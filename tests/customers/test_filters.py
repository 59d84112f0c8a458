"""The filter pieces every app shares: ids in range, storable date-times, the YYYY-MM month and
applying a FilterSet, with Django's ValidationError for bad values."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from customers.filters import CustomerFilter, ValueEventFilter, filter_apply, month_clean
from customers.models import Customer, ValueEvent, ValueLayer
from tests.factories import CustomerFactory, ValueEventFactory

pytestmark = pytest.mark.django_db


def test_filter_apply_narrows_the_queryset_by_the_given_values():
    wanted = CustomerFactory(name="王芳")
    CustomerFactory(name="李强")
    found = filter_apply(CustomerFilter, {"name": "芳"}, Customer.objects.all())
    assert list(found) == [wanted]


def test_filter_apply_ignores_filters_left_empty():
    CustomerFactory.create_batch(2)
    assert filter_apply(CustomerFilter, {"name": ""}, Customer.objects.all()).count() == 2


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"sales_advisor": "abc"}, "sales_advisor"),
        ({"sales_advisor": "0"}, "sales_advisor"),
        ({"sales_advisor": str(2**63)}, "sales_advisor"),
        ({"character": "grumpy"}, "character"),
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"updated_since": "0001-01-01T00:00+08:00"}, "updated_since"),
    ],
)
def test_a_bad_value_raises_a_validation_error_naming_its_filter(data, field):
    with pytest.raises(ValidationError) as exc:
        filter_apply(CustomerFilter, data, Customer.objects.all())
    assert set(exc.value.message_dict) == {field}


def test_an_out_of_range_date_time_says_so():
    with pytest.raises(ValidationError) as exc:
        filter_apply(
            CustomerFilter, {"updated_since": "0001-01-01T00:00+08:00"}, Customer.objects.all()
        )
    assert exc.value.message_dict["updated_since"] == ["This date-time is out of range."]


def test_records_are_found_by_their_customers_dms_id():
    event = ValueEventFactory(layer=ValueLayer.REVIEW)
    ValueEventFactory(layer=ValueLayer.REVIEW)
    found = filter_apply(
        ValueEventFilter,
        {"customer_external_id": event.customer.external_id, "layer": "review"},
        ValueEvent.objects.all(),
    )
    assert list(found) == [event]


def test_month_clean_gives_the_first_day_or_none():
    assert month_clean("2024-09") == dt.date(2024, 9, 1)
    assert month_clean(None) is None


@pytest.mark.parametrize("value", ["2024-13", "", "2024-09-01", " 2024-09"])
def test_a_bad_month_is_a_validation_error_of_its_field(value):
    with pytest.raises(ValidationError) as exc:
        month_clean(value, name="period")
    assert exc.value.message_dict == {"period": ["Give the month as YYYY-MM."]}
