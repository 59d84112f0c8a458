"""Profile history, the profile as of any date, the trend of ordinal attributes (R1.2), and
the lists of customers and value events as a user may see them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from customers.models import IncomeBand, ProfileAttribute, ProfileObservation
from customers.selectors import (
    customer_list,
    profile_as_of,
    profile_history,
    profile_trend,
    value_event_list,
)
from tests.factories import CustomerFactory, ProfileObservationFactory, ValueEventFactory

pytestmark = pytest.mark.django_db

INCOME = ProfileAttribute.INCOME_BAND
FAMILY = ProfileAttribute.FAMILY_STATUS
JOB = ProfileAttribute.JOB_STATUS
CHILDREN = ProfileAttribute.CHILDREN


def observe(customer, attribute, value, on):
    return ProfileObservationFactory(
        customer=customer, attribute=attribute, value=value, observed_on=on
    )


@pytest.fixture
def customer():
    """Single in 2018, married 2020, a child in 2022; income lower middle → middle → upper middle."""
    c = CustomerFactory()
    observe(c, FAMILY, "married", dt.date(2020, 5, 1))
    observe(c, FAMILY, "single", dt.date(2018, 3, 1))  # entered out of order
    observe(c, FAMILY, "family", dt.date(2022, 9, 1))
    observe(c, CHILDREN, "1", dt.date(2022, 9, 1))
    observe(c, INCOME, IncomeBand.LOWER_MIDDLE, dt.date(2018, 3, 1))
    observe(c, INCOME, IncomeBand.MIDDLE, dt.date(2021, 1, 1))
    observe(c, INCOME, IncomeBand.UPPER_MIDDLE, dt.date(2023, 6, 1))
    observe(c, JOB, "employee", dt.date(2018, 3, 1))
    observe(c, JOB, "business_owner", dt.date(2023, 6, 1))
    return c


def test_profile_history_lists_one_attribute_oldest_first(customer):
    history = profile_history(customer=customer, attribute=FAMILY)
    assert [(o.value, o.observed_on) for o in history] == [
        ("single", dt.date(2018, 3, 1)),
        ("married", dt.date(2020, 5, 1)),
        ("family", dt.date(2022, 9, 1)),
    ]


def test_profile_history_does_not_mix_in_other_customers(customer):
    observe(CustomerFactory(), FAMILY, "divorced", dt.date(2021, 1, 1))
    assert "divorced" not in [o.value for o in profile_history(customer=customer, attribute=FAMILY)]


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        (dt.date(2017, 12, 31), {}),
        (
            dt.date(2018, 3, 1),
            {"family_status": "single", "income_band": "lower_middle", "job_status": "employee"},
        ),
        (
            dt.date(2020, 12, 31),
            {"family_status": "married", "income_band": "lower_middle", "job_status": "employee"},
        ),
        (
            dt.date(2022, 9, 1),
            {
                "family_status": "family",
                "children": "1",
                "income_band": "middle",
                "job_status": "employee",
            },
        ),
        (
            dt.date(2030, 1, 1),
            {
                "family_status": "family",
                "children": "1",
                "income_band": "upper_middle",
                "job_status": "business_owner",
            },
        ),
    ],
)
def test_profile_as_of_gives_the_values_known_on_that_date(customer, date, expected):
    assert profile_as_of(customer=customer, date=date) == expected


def test_a_second_observation_on_the_same_day_wins(customer):
    observe(customer, INCOME, IncomeBand.HIGH, dt.date(2023, 6, 1))
    assert profile_as_of(customer=customer, date=dt.date(2023, 6, 1))["income_band"] == "high"


def test_income_going_up_two_bands_is_an_upward_trend_of_two_steps(customer):
    trend = profile_trend(customer=customer, attribute=INCOME)
    assert trend is not None
    assert (trend.first_value, trend.last_value) == ("lower_middle", "upper_middle")
    assert (trend.first_observed_on, trend.last_observed_on) == (
        dt.date(2018, 3, 1),
        dt.date(2023, 6, 1),
    )
    assert trend.steps == 2
    assert trend.direction == "up"


def test_income_going_down_is_a_downward_trend():
    c = CustomerFactory()
    observe(c, INCOME, IncomeBand.HIGH, dt.date(2019, 1, 1))
    observe(c, INCOME, IncomeBand.MIDDLE, dt.date(2024, 1, 1))
    trend = profile_trend(customer=c, attribute=INCOME)
    assert trend.steps == -2
    assert trend.direction == "down"


def test_income_back_where_it_started_is_flat():
    c = CustomerFactory()
    observe(c, INCOME, IncomeBand.MIDDLE, dt.date(2019, 1, 1))
    observe(c, INCOME, IncomeBand.HIGH, dt.date(2021, 1, 1))
    observe(c, INCOME, IncomeBand.MIDDLE, dt.date(2024, 1, 1))
    trend = profile_trend(customer=c, attribute=INCOME)
    assert trend.steps == 0
    assert trend.direction == "flat"


def test_trend_since_a_date_starts_from_the_value_known_on_that_date(customer):
    # Known on 2022-01-01: middle (observed 2021-01-01); latest: upper middle.
    trend = profile_trend(customer=customer, attribute=INCOME, since=dt.date(2022, 1, 1))
    assert trend.first_value == "middle"
    assert trend.first_observed_on == dt.date(2021, 1, 1)
    assert trend.steps == 1


def test_trend_since_a_date_before_any_observation_starts_from_the_first(customer):
    trend = profile_trend(customer=customer, attribute=INCOME, since=dt.date(2010, 1, 1))
    assert trend.first_value == "lower_middle"
    assert trend.steps == 2


def test_no_trend_since_the_last_observation(customer):
    assert profile_trend(customer=customer, attribute=INCOME, since=dt.date(2024, 1, 1)) is None


def test_no_trend_with_fewer_than_two_observations():
    c = CustomerFactory()
    assert profile_trend(customer=c, attribute=INCOME) is None
    observe(c, INCOME, IncomeBand.LOW, dt.date(2020, 1, 1))
    assert profile_trend(customer=c, attribute=INCOME) is None


def test_number_of_children_has_a_trend(customer):
    observe(customer, CHILDREN, "2", dt.date(2024, 4, 1))
    trend = profile_trend(customer=customer, attribute=CHILDREN)
    assert (trend.steps, trend.direction) == (1, "up")


def test_attributes_without_an_order_have_no_trend(customer):
    assert len(profile_history(customer=customer, attribute=JOB)) == 2
    assert profile_trend(customer=customer, attribute=JOB) is None
    assert profile_trend(customer=customer, attribute=FAMILY) is None


def test_as_of_picks_each_customers_latest_values_in_one_query(django_assert_num_queries):
    a, b, c = CustomerFactory.create_batch(3)
    observe(a, INCOME, "low", dt.date(2019, 1, 1))
    observe(a, INCOME, "middle", dt.date(2021, 1, 1))
    observe(a, INCOME, "high", dt.date(2023, 1, 1))  # after the date
    observe(a, FAMILY, "single", dt.date(2019, 1, 1))
    observe(b, INCOME, "upper_middle", dt.date(2020, 6, 1))
    observe(b, INCOME, "lower_middle", dt.date(2020, 6, 1))  # same day, entered later
    observe(c, INCOME, "low", dt.date(2022, 1, 2))  # only after the date
    with django_assert_num_queries(1):
        rows = set(
            ProfileObservation.objects.as_of(dt.date(2022, 1, 1)).values_list(
                "customer_id", "attribute", "value"
            )
        )
    assert rows == {
        (a.pk, "income_band", "middle"),
        (a.pk, "family_status", "single"),
        (b.pk, "income_band", "lower_middle"),
    }


def test_as_of_composes_with_other_filters():
    a, b = CustomerFactory.create_batch(2)
    observe(a, INCOME, "low", dt.date(2019, 1, 1))
    observe(b, INCOME, "high", dt.date(2019, 1, 1))
    rows = ProfileObservation.objects.filter(attribute=INCOME, value="high").as_of(
        dt.date(2020, 1, 1)
    )
    assert [o.customer_id for o in rows] == [b.pk]


# --- lists as a user may see them ---------------------------------------------------------


def test_customer_list_shows_an_advisor_only_their_customers(advisor):
    own = CustomerFactory(sales_advisor=advisor)
    CustomerFactory()
    assert list(customer_list(user=advisor, filters={})) == [own]


def test_customer_list_applies_the_filters(manager):
    wanted = CustomerFactory(region="北京市")
    CustomerFactory(region="上海市")
    assert list(customer_list(user=manager, filters={"region": "北京市"})) == [wanted]


def test_customer_list_brings_the_profile_history_in_time_order(manager, django_assert_num_queries):
    customer = CustomerFactory()
    later = observe(customer, INCOME, "middle", dt.date(2023, 1, 1))
    earlier = observe(customer, INCOME, "low", dt.date(2020, 1, 1))
    rows = customer_list(user=manager, filters={})
    with django_assert_num_queries(2):  # the customers, then every customer's history
        (row,) = rows
        assert list(row.profile_observations.all()) == [earlier, later]


def test_customer_list_refuses_a_bad_filter_value(manager):
    with pytest.raises(ValidationError) as exc:
        customer_list(user=manager, filters={"character": "grumpy"})
    assert set(exc.value.message_dict) == {"character"}


def test_value_event_list_shows_an_advisor_only_their_customers_events(advisor):
    own = ValueEventFactory(customer__sales_advisor=advisor)
    ValueEventFactory()
    assert list(value_event_list(user=advisor, filters={})) == [own]
    assert list(value_event_list(user=advisor, filters={"layer": own.layer})) == [own]
