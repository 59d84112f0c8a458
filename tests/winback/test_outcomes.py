"""What came back after the win-back work (R5.6): measured from each target's anchor (the first
contact day; the round's start for control) at +1, +2 and +3 months, each horizon once it has
passed: came back, spend, a car bought, the offer matched, non-monetary returns."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from core.months import add_months
from tests.factories import (
    OfferFactory,
    PurchaseFactory,
    RoundFactory,
    ServiceOrderFactory,
    ServiceOrderLineFactory,
    TargetFactory,
    ValueEventFactory,
)
from tests.winback.helpers import run_ending
from vehicles.models import LineCategory
from winback.models import Target, TargetGroup
from winback.outcomes import outcome_summary, targets_measure

pytestmark = pytest.mark.django_db

START = dt.date(2024, 10, 1)
CONTACT_DAY = dt.date(2024, 10, 10)
ALL_PASSED = add_months(CONTACT_DAY, 3)


@pytest.fixture
def round_():
    return RoundFactory(run=run_ending(START - dt.timedelta(days=1)), starts_on=START)


def _visit(customer, day: dt.date, *lines: tuple[str, str]) -> None:
    """A service order on ``day`` with (category, amount) lines."""
    order = ServiceOrderFactory(customer=customer, opened_on=day)
    for category, amount in lines:
        ServiceOrderLineFactory(order=order, category=category, amount=Decimal(amount))


def _contacted(round_, **kwargs) -> Target:
    return TargetFactory(round=round_, anchor_on=CONTACT_DAY, **kwargs)


def test_spending_is_attributed_to_the_months_after_the_first_contact(round_):
    target = _contacted(round_)
    person = target.customer
    month = {m: add_months(CONTACT_DAY, m) for m in (1, 2, 3)}
    _visit(person, CONTACT_DAY - dt.timedelta(days=1), ("maintenance", "777"))  # before
    _visit(person, CONTACT_DAY, ("maintenance", "400"), ("tyres", "100"))  # the anchor day
    _visit(person, month[1] - dt.timedelta(days=1), ("detailing", "50"))
    _visit(person, month[1], ("repair", "300"))  # the first day of month 2
    _visit(person, month[3] - dt.timedelta(days=1), ("accessories", "200"))
    _visit(person, month[3], ("maintenance", "999"))  # past the third month
    assert targets_measure(today=ALL_PASSED) == 3
    target.refresh_from_db()
    assert (target.returned_1m, target.returned_2m, target.returned_3m) == (True, True, True)
    assert target.spend_1m == Decimal("550")
    assert target.spend_2m == Decimal("850")
    assert target.spend_3m == Decimal("1050")
    assert target.bought_car_3m is False
    assert target.value_events_3m == 0
    assert target.offer_matched is None  # nothing was offered


def test_a_customer_who_did_not_come_back_is_measured_as_such(round_):
    target = _contacted(round_)
    # A free warranty repair is no paid visit.
    _visit(target.customer, CONTACT_DAY + dt.timedelta(days=5), ("warranty", "0"))
    targets_measure(today=ALL_PASSED)
    target.refresh_from_db()
    assert (target.returned_1m, target.returned_2m, target.returned_3m) == (False, False, False)
    assert target.spend_1m == target.spend_3m == Decimal("0")


def test_a_car_purchase_counts_as_coming_back(round_):
    target = _contacted(round_)
    PurchaseFactory(customer=target.customer, purchased_on=add_months(CONTACT_DAY, 2))
    targets_measure(today=ALL_PASSED)
    target.refresh_from_db()
    assert (target.returned_1m, target.returned_2m, target.returned_3m) == (False, False, True)
    assert target.bought_car_3m is True
    assert target.spend_3m == Decimal("0")


def test_control_targets_are_measured_from_the_rounds_start(round_):
    control = TargetFactory(round=round_, group=TargetGroup.CONTROL)
    assert control.anchor_on == START
    _visit(control.customer, add_months(START, 1) - dt.timedelta(days=1), ("maintenance", "600"))
    targets_measure(today=add_months(START, 3))
    control.refresh_from_db()
    assert control.returned_1m is True and control.spend_1m == Decimal("600")


def test_the_offer_matched_when_a_later_line_is_in_one_of_its_categories(round_):
    detailing = OfferFactory(categories=["detailing", "accessories"])
    tyres = OfferFactory(categories=["tyres"])
    matched = _contacted(round_, offer=detailing)
    missed = _contacted(round_, offer=tyres)
    for target in (matched, missed):
        _visit(
            target.customer,
            CONTACT_DAY + dt.timedelta(days=40),
            (LineCategory.ACCESSORIES, "300"),
            (LineCategory.MAINTENANCE, "500"),
        )
    # Tyres bought after the third month do not count.
    _visit(missed.customer, ALL_PASSED, (LineCategory.TYRES, "800"))
    targets_measure(today=ALL_PASSED)
    matched.refresh_from_db()
    missed.refresh_from_db()
    assert matched.offer_matched is True
    assert missed.offer_matched is False
    assert matched.spend_3m == missed.spend_3m == Decimal("800")


def test_non_monetary_returns_are_counted_over_three_months(round_):
    target = _contacted(round_)
    for day in (
        CONTACT_DAY,
        CONTACT_DAY + dt.timedelta(days=70),
        ALL_PASSED - dt.timedelta(days=1),
    ):
        ValueEventFactory(customer=target.customer, occurred_on=day)
    ValueEventFactory(customer=target.customer, occurred_on=ALL_PASSED)
    ValueEventFactory(customer=target.customer, occurred_on=CONTACT_DAY - dt.timedelta(days=1))
    targets_measure(today=ALL_PASSED)
    target.refresh_from_db()
    assert target.value_events_3m == 3
    # Non-monetary returns alone are not a paid visit.
    assert target.returned_3m is False


def test_horizons_not_yet_passed_stay_empty(round_):
    target = _contacted(round_)
    _visit(target.customer, CONTACT_DAY + dt.timedelta(days=3), ("maintenance", "300"))
    one_month = add_months(CONTACT_DAY, 1)
    assert targets_measure(today=one_month - dt.timedelta(days=1)) == 0
    target.refresh_from_db()
    assert target.returned_1m is None
    assert targets_measure(today=one_month) == 1
    target.refresh_from_db()
    assert target.returned_1m is True and target.spend_1m == Decimal("300")
    assert target.returned_2m is None and target.spend_2m is None
    assert target.returned_3m is None and target.bought_car_3m is None
    assert target.value_events_3m is None and target.offer_matched is None
    assert targets_measure(today=add_months(CONTACT_DAY, 2)) == 1
    target.refresh_from_db()
    assert target.returned_2m is True and target.returned_3m is None


def test_measuring_again_changes_nothing(round_):
    target = _contacted(round_)
    _visit(target.customer, CONTACT_DAY + dt.timedelta(days=3), ("maintenance", "300"))
    assert targets_measure(today=ALL_PASSED) == 3
    # A late-synced visit inside the window does not rewrite a measured horizon.
    _visit(target.customer, CONTACT_DAY + dt.timedelta(days=4), ("maintenance", "700"))
    assert targets_measure(today=ALL_PASSED + dt.timedelta(days=30)) == 0
    target.refresh_from_db()
    assert target.spend_1m == Decimal("300")


def test_targets_with_different_anchors_are_each_measured_from_their_own(round_):
    early = TargetFactory(round=round_, anchor_on=START)
    late = TargetFactory(round=round_, anchor_on=START + dt.timedelta(days=20))
    day = START + dt.timedelta(days=10)
    for target in (early, late):
        _visit(target.customer, day, ("maintenance", "100"))
    targets_measure(today=add_months(START, 1))
    early.refresh_from_db()
    late.refresh_from_db()
    assert early.returned_1m is True
    assert late.returned_1m is None  # its month has not passed yet
    targets_measure(today=add_months(late.anchor_on, 1))
    late.refresh_from_db()
    assert late.returned_1m is False  # the visit was before its first contact


def test_the_summary_compares_contacted_with_control(round_):
    contacted = [_contacted(round_) for _ in range(4)]
    control = [TargetFactory(round=round_, group=TargetGroup.CONTROL) for _ in range(2)]
    for target in contacted[:3]:
        _visit(target.customer, CONTACT_DAY + dt.timedelta(days=2), ("maintenance", "500"))
    _visit(control[0].customer, START + dt.timedelta(days=2), ("maintenance", "200"))
    targets_measure(today=ALL_PASSED)
    month = outcome_summary(Target.objects.all())["1m"]
    assert month["contacted_n"] == 4 and month["control_n"] == 2
    assert month["contacted_rate"] == pytest.approx(3 / 4)
    assert month["control_rate"] == pytest.approx(1 / 2)
    assert month["uplift_points"] == pytest.approx(100 * (3 / 4 - 1 / 2))
    assert month["contacted_spend"] == pytest.approx(1500.0)
    assert month["control_spend"] == pytest.approx(200.0)
