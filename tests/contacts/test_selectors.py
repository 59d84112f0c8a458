"""The "last touch" facts of customers (R3.6): last contact, last spend, last survey; and
the lists of surveys, complaints and contact logs as a user may see them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from contacts.models import ComplaintStatus, ContactChannel, ContactType
from contacts.selectors import (
    LAST_TOUCH_FIELDS,
    complaint_list,
    contact_log_list,
    customer_last_touch,
    customers_with_last_touch,
    survey_list,
)
from customers.models import Customer
from tests.factories import (
    ComplaintFactory,
    ContactLogFactory,
    CustomerFactory,
    SatisfactionSurveyFactory,
    ServiceOrderFactory,
    ServiceOrderLineFactory,
    VehicleFactory,
)
from vehicles.models import LineCategory

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)


def order_with_lines(customer, vehicle, opened_on, lines):
    order = ServiceOrderFactory(customer=customer, vehicle=vehicle, opened_on=opened_on)
    for line_no, (category, amount) in enumerate(lines, start=1):
        ServiceOrderLineFactory(
            order=order, line_no=line_no, category=category, amount=Decimal(amount)
        )
    return order


def give_history(customer, days_ago: int = 0):
    """Contacts, service orders with lines and surveys, the latest ``days_ago`` days back."""
    vehicle = VehicleFactory(owner=customer)
    shift = dt.timedelta(days=days_ago)
    ContactLogFactory(
        customer=customer,
        contacted_at=NOW - shift - dt.timedelta(days=40),
        channel=ContactChannel.SMS,
        contact_type=ContactType.MAINTENANCE_REMINDER,
        feedback="收到",
    )
    ContactLogFactory(
        customer=customer,
        contacted_at=NOW - shift - dt.timedelta(days=2),
        channel=ContactChannel.WECHAT,
        contact_type=ContactType.WIN_BACK,
        feedback="下月来做保养",
    )
    ContactLogFactory(
        customer=customer,
        contacted_at=NOW - shift - dt.timedelta(days=90),
        channel=ContactChannel.PHONE,
        contact_type=ContactType.CARE_CALL,
        feedback="",
    )
    base = dt.date(2024, 9, 1) - shift
    order_with_lines(customer, vehicle, base - dt.timedelta(days=200), [("repair", "9000")])
    order_with_lines(
        customer,
        vehicle,
        base,
        [("maintenance", "680.00"), ("repair", "1200.50"), ("detailing", "300.00")],
    )
    order_with_lines(customer, vehicle, base - dt.timedelta(days=20), [("tyres", "3000")])
    SatisfactionSurveyFactory(
        customer=customer, surveyed_on=base - dt.timedelta(days=100), overall=4
    )
    SatisfactionSurveyFactory(customer=customer, surveyed_on=base + dt.timedelta(days=2), overall=9)
    return customer


def test_the_last_contact_is_the_latest_one_with_its_channel_type_and_feedback():
    customer = give_history(CustomerFactory())
    row = customers_with_last_touch().get(pk=customer.pk)
    assert row.last_contact_at == NOW - dt.timedelta(days=2)
    assert row.last_contact_channel == ContactChannel.WECHAT
    assert row.last_contact_type == ContactType.WIN_BACK
    assert row.last_contact_feedback == "下月来做保养"


def test_the_last_spend_is_the_latest_order_with_the_sum_and_biggest_category_of_its_lines():
    customer = give_history(CustomerFactory())
    row = customers_with_last_touch().get(pk=customer.pk)
    assert row.last_spend_on == dt.date(2024, 9, 1)
    assert row.last_spend_amount == Decimal("2180.50")
    assert row.last_spend_category == LineCategory.REPAIR


def test_the_last_survey_is_the_latest_one_with_its_overall_score():
    customer = give_history(CustomerFactory())
    row = customers_with_last_touch().get(pk=customer.pk)
    assert row.last_survey_on == dt.date(2024, 9, 3)
    assert row.last_survey_overall == 9


def test_two_orders_on_the_same_day_the_one_recorded_last_counts():
    customer = CustomerFactory()
    vehicle = VehicleFactory(owner=customer)
    day = dt.date(2024, 5, 20)
    order_with_lines(customer, vehicle, day, [("maintenance", "500")])
    second = order_with_lines(customer, vehicle, day, [("accessories", "80"), ("tyres", "20")])
    touch = customer_last_touch(customer.pk)
    assert touch["last_spend_order_id"] == second.pk
    assert touch["last_spend_amount"] == Decimal("100")
    assert touch["last_spend_category"] == LineCategory.ACCESSORIES


def test_of_two_equally_big_lines_the_first_gives_the_category():
    customer = CustomerFactory()
    order_with_lines(
        customer,
        VehicleFactory(owner=customer),
        dt.date(2024, 5, 20),
        [("detailing", "50"), ("insurance", "400"), ("maintenance", "400")],
    )
    assert customer_last_touch(customer.pk)["last_spend_category"] == LineCategory.INSURANCE


def test_an_order_without_lines_is_a_spend_of_no_amount():
    customer = CustomerFactory()
    order = ServiceOrderFactory(customer=customer, opened_on=dt.date(2024, 5, 20))
    touch = customer_last_touch(customer.pk)
    assert touch["last_spend_order_id"] == order.pk
    assert touch["last_spend_on"] == dt.date(2024, 5, 20)
    assert touch["last_spend_amount"] is None
    assert touch["last_spend_category"] is None


def test_a_customer_without_history_has_no_last_touch():
    customer = CustomerFactory()
    give_history(CustomerFactory())  # somebody else's history must not leak in
    touch = customer_last_touch(customer.pk)
    assert set(touch) == set(LAST_TOUCH_FIELDS)
    assert all(value is None for value in touch.values()), touch


def test_each_customer_gets_their_own_last_touch():
    recent = give_history(CustomerFactory(), days_ago=0)
    older = give_history(CustomerFactory(), days_ago=30)
    rows = {c.pk: c for c in customers_with_last_touch(Customer.objects.all())}
    assert rows[recent.pk].last_spend_on == dt.date(2024, 9, 1)
    assert rows[older.pk].last_spend_on == dt.date(2024, 8, 2)
    assert rows[older.pk].last_contact_at == NOW - dt.timedelta(days=32)
    assert rows[recent.pk].last_spend_amount == rows[older.pk].last_spend_amount


def test_customer_last_touch_returns_the_facts_of_one_customer_in_one_query(
    django_assert_num_queries,
):
    customer = give_history(CustomerFactory())
    with django_assert_num_queries(1):
        touch = customer_last_touch(customer.pk)
    assert touch["last_contact_type"] == ContactType.WIN_BACK
    assert touch["last_spend_amount"] == Decimal("2180.50")
    assert touch["last_survey_overall"] == 9


def test_a_list_costs_one_query_whatever_its_length(django_assert_num_queries):
    customers = [give_history(CustomerFactory(), days_ago=n) for n in range(30)]
    few = Customer.objects.filter(pk__in=[c.pk for c in customers[:3]])
    many = Customer.objects.filter(pk__in=[c.pk for c in customers])

    with django_assert_num_queries(1):
        rows_few = list(customers_with_last_touch(few))
    with django_assert_num_queries(1):
        rows_many = list(customers_with_last_touch(many))

    assert len(rows_few) == 3
    assert len(rows_many) == 30
    # Reading every annotation costs nothing more.
    with django_assert_num_queries(0):
        facts = [[getattr(row, f) for f in LAST_TOUCH_FIELDS] for row in rows_many]
    assert all(value is not None for row in facts for value in row)
    assert {row.last_spend_amount for row in rows_many} == {Decimal("2180.50")}


def test_visible_to_and_last_touch_compose(advisor):
    own = give_history(CustomerFactory(sales_advisor=advisor))
    give_history(CustomerFactory())
    rows = list(customers_with_last_touch(Customer.objects.visible_to(advisor)))
    assert [r.pk for r in rows] == [own.pk]
    assert rows[0].last_survey_overall == 9


# --- lists as a user may see them ---------------------------------------------------------


@pytest.mark.parametrize(
    ("selector", "factory"),
    [
        (survey_list, SatisfactionSurveyFactory),
        (complaint_list, ComplaintFactory),
        (contact_log_list, ContactLogFactory),
    ],
)
def test_an_advisor_sees_only_their_customers_records(advisor, selector, factory):
    own = factory(customer=CustomerFactory(sales_advisor=advisor))
    factory()
    assert list(selector(user=advisor, filters={})) == [own]
    assert list(
        selector(user=advisor, filters={"customer_external_id": own.customer.external_id})
    ) == [own]


def test_complaints_are_filtered_by_status_and_opening_time(manager):
    late = ComplaintFactory(opened_at=NOW - dt.timedelta(days=10))
    ComplaintFactory(opened_at=NOW - dt.timedelta(days=1))
    ComplaintFactory(opened_at=NOW - dt.timedelta(days=10), status=ComplaintStatus.ACKNOWLEDGED)
    found = complaint_list(
        user=manager,
        filters={"status": "open", "opened_before": (NOW - dt.timedelta(days=5)).isoformat()},
    )
    assert list(found) == [late]


def test_contact_logs_are_filtered_by_channel(manager):
    sms = ContactLogFactory(channel=ContactChannel.SMS)
    ContactLogFactory(channel=ContactChannel.PHONE)
    assert list(contact_log_list(user=manager, filters={"channel": "sms"})) == [sms]


@pytest.mark.parametrize(
    ("selector", "filters", "field"),
    [
        (survey_list, {"surveyed_after": "1"}, "surveyed_after"),
        (complaint_list, {"status": "lost"}, "status"),
        (contact_log_list, {"contacted_after": "0001-01-01T00:00+08:00"}, "contacted_after"),
    ],
)
def test_a_bad_filter_value_is_a_validation_error(manager, selector, filters, field):
    with pytest.raises(ValidationError) as exc:
        selector(user=manager, filters=filters)
    assert set(exc.value.message_dict) == {field}
