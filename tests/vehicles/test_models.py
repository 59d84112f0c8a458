"""Vehicles, purchases and financing, service orders and odometer readings (R2, R3.4)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from tests.factories import (
    CustomerFactory,
    OdometerReadingFactory,
    PurchaseFactory,
    ServiceOrderFactory,
    ServiceOrderLineFactory,
    VehicleFactory,
)
from vehicles.models import (
    FundingSource,
    LineCategory,
    Necessity,
    OdometerReading,
    PaymentMethod,
    ServiceOrder,
    ServiceOrderLine,
    finance_end_date,
    line_necessity,
)

pytestmark = pytest.mark.django_db


def errors_of(instance) -> dict[str, list[str]]:
    """The field errors of ``instance.full_clean()``, in English; fails if it passes."""
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        instance.full_clean()
    return exc.value.message_dict


# --- amounts -----------------------------------------------------------------------------


def test_a_negative_price_paid_is_rejected():
    purchase = PurchaseFactory()
    purchase.price_paid = Decimal("-1.00")
    assert set(errors_of(purchase)) == {"price_paid"}


def test_a_free_car_is_allowed():
    purchase = PurchaseFactory(price_paid=Decimal("0"))
    purchase.full_clean()


def test_a_negative_line_amount_fails_validation():
    line = ServiceOrderLineFactory()
    line.amount = Decimal("-0.01")
    assert set(errors_of(line)) == {"amount"}


def test_a_negative_line_amount_is_refused_by_the_database_too():
    order = ServiceOrderFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceOrderLine.objects.create(
            order=order, line_no=1, category=LineCategory.REPAIR, amount=Decimal("-5.00")
        )
    assert not order.lines.exists()


def test_a_zero_line_amount_such_as_a_warranty_repair_is_allowed():
    line = ServiceOrderLineFactory(category=LineCategory.WARRANTY, amount=Decimal("0"))
    line.full_clean()
    assert line.pk is not None


# --- purchase financing (R2.2) -----------------------------------------------------------


def test_a_full_payment_from_own_money_is_valid():
    purchase = PurchaseFactory()
    purchase.full_clean()
    assert not purchase.is_financed
    assert purchase.finance_end_date is None


@pytest.mark.parametrize("method", [PaymentMethod.LOAN, PaymentMethod.LEASE])
def test_a_loan_or_lease_needs_a_term(method):
    purchase = PurchaseFactory.build(
        customer=CustomerFactory(), vehicle=VehicleFactory(), payment_method=method
    )
    assert set(errors_of(purchase)) == {"finance_term_months"}


@pytest.mark.parametrize(
    "changes",
    [
        {"finance_term_months": 36},
        {"monthly_payment": Decimal("3500.00")},
        {"finance_end_date": dt.date(2022, 4, 18)},
    ],
    ids=["term", "monthly payment", "end date"],
)
def test_a_full_payment_with_loan_details_is_rejected(changes):
    purchase = PurchaseFactory.build(
        customer=CustomerFactory(),
        vehicle=VehicleFactory(),
        payment_method=PaymentMethod.FULL,
        **changes,
    )
    errors = errors_of(purchase)
    assert set(errors) == set(changes)
    assert "paid in full" in errors[next(iter(changes))][0]


@pytest.mark.parametrize("funding", [FundingSource.LOAN_BY_CHOICE, FundingSource.LOAN_NEEDED])
def test_a_full_payment_funded_by_a_loan_is_rejected(funding):
    purchase = PurchaseFactory.build(
        customer=CustomerFactory(), vehicle=VehicleFactory(), funding_source=funding
    )
    assert set(errors_of(purchase)) == {"funding_source"}


def test_a_wealthy_customer_may_take_a_loan_by_choice():
    purchase = PurchaseFactory(
        payment_method=PaymentMethod.LOAN,
        finance_term_months=24,
        down_payment=Decimal("100000.00"),
        monthly_payment=Decimal("3200.00"),
        funding_source=FundingSource.LOAN_BY_CHOICE,
    )
    purchase.full_clean()
    assert purchase.is_financed


def test_a_down_payment_above_the_price_is_rejected():
    purchase = PurchaseFactory.build(
        customer=CustomerFactory(),
        vehicle=VehicleFactory(),
        price_paid=Decimal("175000.00"),
        payment_method=PaymentMethod.LOAN,
        finance_term_months=36,
        down_payment=Decimal("175000.01"),
    )
    assert set(errors_of(purchase)) == {"down_payment"}


def test_a_down_payment_equal_to_the_price_is_accepted():
    PurchaseFactory.build(
        customer=CustomerFactory(),
        vehicle=VehicleFactory(),
        price_paid=Decimal("175000.00"),
        payment_method=PaymentMethod.LOAN,
        finance_term_months=12,
        down_payment=Decimal("175000.00"),
    ).full_clean()


def test_a_finance_end_date_on_or_before_the_purchase_is_rejected():
    purchase = PurchaseFactory.build(
        customer=CustomerFactory(),
        vehicle=VehicleFactory(),
        purchased_on=dt.date(2019, 4, 18),
        payment_method=PaymentMethod.LEASE,
        finance_term_months=36,
        finance_end_date=dt.date(2019, 4, 18),
    )
    assert set(errors_of(purchase)) == {"finance_end_date"}


@pytest.mark.parametrize(
    ("purchased_on", "term", "end"),
    [
        (dt.date(2019, 4, 18), 36, dt.date(2022, 4, 18)),
        (dt.date(2023, 1, 31), 1, dt.date(2023, 2, 28)),
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),  # leap year
        (dt.date(2023, 8, 31), 1, dt.date(2023, 9, 30)),
        (dt.date(2023, 12, 15), 1, dt.date(2024, 1, 15)),
        (dt.date(2022, 11, 30), 15, dt.date(2024, 2, 29)),
        (dt.date(2020, 2, 29), 12, dt.date(2021, 2, 28)),
    ],
)
def test_the_finance_end_date_is_computed_from_the_term_on_save(purchased_on, term, end):
    purchase = PurchaseFactory(
        purchased_on=purchased_on, payment_method=PaymentMethod.LOAN, finance_term_months=term
    )
    purchase.refresh_from_db()
    assert purchase.finance_end_date == end


def test_a_given_finance_end_date_is_kept():
    purchase = PurchaseFactory(
        purchased_on=dt.date(2019, 4, 18),
        payment_method=PaymentMethod.LOAN,
        finance_term_months=36,
        finance_end_date=dt.date(2022, 5, 1),
    )
    purchase.refresh_from_db()
    assert purchase.finance_end_date == dt.date(2022, 5, 1)


@pytest.mark.parametrize(
    ("method", "term", "given", "end"),
    [
        (PaymentMethod.LOAN, 36, None, dt.date(2022, 4, 18)),
        (PaymentMethod.LEASE, 1, None, dt.date(2019, 5, 18)),
        (PaymentMethod.LOAN, 36, dt.date(2022, 5, 1), dt.date(2022, 5, 1)),
        (PaymentMethod.LOAN, None, None, None),
        (PaymentMethod.FULL, 36, None, None),
    ],
)
def test_the_finance_end_date_rule_fills_only_a_financed_purchase_with_a_term(
    method, term, given, end
):
    assert finance_end_date(dt.date(2019, 4, 18), method, term, given) == end


def test_the_finance_end_date_rule_clamps_to_the_end_of_a_shorter_month():
    assert finance_end_date(dt.date(2023, 1, 31), PaymentMethod.LOAN, 1, None) == dt.date(
        2023, 2, 28
    )


def test_a_future_purchase_date_is_rejected():
    purchase = PurchaseFactory()
    purchase.purchased_on = dt.date.today() + dt.timedelta(days=400)
    assert set(errors_of(purchase)) == {"purchased_on"}


# --- trade-in (R2.1) ---------------------------------------------------------------------


def test_a_trade_in_names_the_old_car_and_its_value():
    customer = CustomerFactory()
    old_car = VehicleFactory(owner=customer)
    purchase = PurchaseFactory(
        customer=customer, trade_in_vehicle=old_car, trade_in_value=Decimal("42000.00")
    )
    purchase.full_clean()
    assert list(old_car.traded_in_purchases.all()) == [purchase]


def test_a_trade_in_value_without_the_traded_in_car_is_rejected():
    purchase = PurchaseFactory.build(
        customer=CustomerFactory(), vehicle=VehicleFactory(), trade_in_value=Decimal("42000.00")
    )
    assert set(errors_of(purchase)) == {"trade_in_vehicle"}


def test_a_car_cannot_be_traded_in_for_itself():
    vehicle = VehicleFactory()
    purchase = PurchaseFactory.build(
        customer=vehicle.owner, vehicle=vehicle, trade_in_vehicle=vehicle
    )
    assert errors_of(purchase) == {"trade_in_vehicle": ["A car cannot be traded in for itself."]}


def test_a_negative_trade_in_value_is_rejected():
    customer = CustomerFactory()
    purchase = PurchaseFactory.build(
        customer=customer,
        vehicle=VehicleFactory(owner=customer),
        trade_in_vehicle=VehicleFactory(owner=customer),
        trade_in_value=Decimal("-1"),
    )
    assert set(errors_of(purchase)) == {"trade_in_value"}


# --- service orders (R3.4) ---------------------------------------------------------------


def test_a_service_order_closing_before_it_opens_is_rejected():
    order = ServiceOrderFactory.build(
        customer=CustomerFactory(),
        vehicle=VehicleFactory(),
        opened_on=dt.date(2024, 9, 10),
        closed_on=dt.date(2024, 9, 9),
    )
    assert set(errors_of(order)) == {"closed_on"}


def test_a_service_order_may_close_the_day_it_opens_or_stay_open():
    order = ServiceOrderFactory(opened_on=dt.date(2024, 9, 10), closed_on=dt.date(2024, 9, 10))
    order.full_clean()
    order.closed_on = None
    order.full_clean()


@pytest.mark.parametrize(
    ("category", "necessity"),
    [
        (LineCategory.MAINTENANCE, Necessity.NECESSARY),
        (LineCategory.REPAIR, Necessity.NECESSARY),
        (LineCategory.TYRES, Necessity.NECESSARY),
        (LineCategory.DETAILING, Necessity.DISCRETIONARY),
        (LineCategory.ACCESSORIES, Necessity.DISCRETIONARY),
        (LineCategory.EXTENDED_WARRANTY, Necessity.DISCRETIONARY),
    ],
)
def test_a_line_without_necessity_gets_its_categorys_usual_one_on_save(category, necessity):
    line = ServiceOrderLineFactory(category=category, necessity="")
    line.refresh_from_db()
    assert line.necessity == necessity


@pytest.mark.parametrize(
    ("category", "given", "necessity"),
    [
        (LineCategory.WARRANTY, "", Necessity.NECESSARY),
        (LineCategory.OTHER, None, Necessity.DISCRETIONARY),
        (LineCategory.REPAIR, Necessity.DISCRETIONARY, Necessity.DISCRETIONARY),
        ("no-such-category", "", Necessity.DISCRETIONARY),
    ],
)
def test_the_necessity_rule_keeps_a_given_necessity_else_uses_the_categorys(
    category, given, necessity
):
    assert line_necessity(category, given) == necessity


def test_a_necessity_given_by_the_dms_is_kept():
    line = ServiceOrderLineFactory(category=LineCategory.REPAIR, necessity=Necessity.DISCRETIONARY)
    line.refresh_from_db()
    assert line.necessity == Necessity.DISCRETIONARY


def test_line_numbers_are_unique_within_an_order():
    line = ServiceOrderLineFactory(line_no=1)
    ServiceOrderLineFactory(line_no=1)  # another order
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceOrderLineFactory(order=line.order, line_no=1)


def test_with_total_sums_the_lines_and_the_discretionary_part():
    order = ServiceOrderFactory()
    ServiceOrderLineFactory(order=order, category=LineCategory.MAINTENANCE, amount=Decimal("680"))
    ServiceOrderLineFactory(order=order, category=LineCategory.REPAIR, amount=Decimal("1200.50"))
    ServiceOrderLineFactory(order=order, category=LineCategory.DETAILING, amount=Decimal("399"))
    ServiceOrderLineFactory(order=order, category=LineCategory.ACCESSORIES, amount=Decimal("120"))
    other = ServiceOrderFactory()
    ServiceOrderLineFactory(order=other, amount=Decimal("99999"))
    empty = ServiceOrderFactory()

    rows = {o.pk: o for o in ServiceOrder.objects.with_total()}
    assert rows[order.pk].total == Decimal("2399.50")
    assert rows[order.pk].discretionary_total == Decimal("519.00")
    assert rows[other.pk].total == Decimal("99999")
    assert rows[other.pk].discretionary_total == Decimal("0")
    assert rows[empty.pk].total == Decimal("0")


# --- odometer readings (R2.3) ------------------------------------------------------------


@pytest.fixture
def car():
    """A car read at 10,000 km in January and 20,000 km in June 2024."""
    vehicle = VehicleFactory()
    OdometerReadingFactory(vehicle=vehicle, read_on=dt.date(2024, 1, 10), km=10_000)
    OdometerReadingFactory(vehicle=vehicle, read_on=dt.date(2024, 6, 10), km=20_000)
    return vehicle


def reading(vehicle, on, km, **kwargs) -> OdometerReading:
    return OdometerReadingFactory.build(vehicle=vehicle, read_on=on, km=km, **kwargs)


def test_a_higher_reading_after_the_last_one_is_accepted(car):
    reading(car, dt.date(2024, 9, 1), 25_000).full_clean()


def test_a_reading_lower_than_an_earlier_one_is_rejected_with_a_clear_message(car):
    errors = errors_of(reading(car, dt.date(2024, 9, 1), 19_500))
    assert errors == {
        "km": [
            "19500 km is lower than the 20000 km read on 2024-06-10. "
            "Tick “meter replaced” if the odometer was replaced."
        ]
    }


def test_a_lower_reading_is_accepted_when_the_meter_was_replaced(car):
    replacement = reading(car, dt.date(2024, 9, 1), 120, is_meter_replacement=True)
    replacement.full_clean()
    replacement.save()
    # Later readings continue from the new meter.
    reading(car, dt.date(2024, 12, 1), 3_000).full_clean()


def test_a_reading_inserted_between_two_others_must_fit_between_them(car):
    reading(car, dt.date(2024, 3, 1), 15_000).full_clean()
    errors = errors_of(reading(car, dt.date(2024, 3, 1), 21_000))
    assert errors == {"km": ["21000 km is higher than the 20000 km read later, on 2024-06-10."]}


def test_an_old_reading_higher_than_a_later_meter_replacement_is_accepted(car):
    OdometerReadingFactory(
        vehicle=car, read_on=dt.date(2024, 9, 1), km=100, is_meter_replacement=True
    )
    reading(car, dt.date(2024, 7, 1), 22_000).full_clean()


def test_readings_of_another_vehicle_do_not_interfere(car):
    other = VehicleFactory()
    OdometerReadingFactory(vehicle=other, read_on=dt.date(2024, 1, 1), km=150_000)
    reading(car, dt.date(2024, 9, 1), 21_000).full_clean()
    reading(other, dt.date(2024, 9, 1), 151_000).full_clean()


def test_a_reading_may_be_edited_without_clashing_with_itself(car):
    last = OdometerReading.objects.get(vehicle=car, km=20_000)
    last.km = 20_500
    last.full_clean()


def test_a_reading_equal_to_the_previous_one_is_accepted(car):
    reading(car, dt.date(2024, 7, 1), 20_000).full_clean()


@pytest.mark.parametrize("first_km, second_km", [(30_000, 30_040), (30_040, 30_000)])
def test_readings_of_the_same_day_are_accepted_in_either_order(car, first_km, second_km):
    # Reception in the morning, delivery after a test drive: same date, no time of day, and
    # the DMS may send them in any order.
    OdometerReadingFactory(vehicle=car, read_on=dt.date(2024, 9, 1), km=first_km)
    reading(car, dt.date(2024, 9, 1), second_km).full_clean()


def test_a_same_day_reading_must_still_exceed_the_days_before(car):
    OdometerReadingFactory(vehicle=car, read_on=dt.date(2024, 9, 1), km=30_000)
    assert set(errors_of(reading(car, dt.date(2024, 9, 1), 19_000))) == {"km"}


def test_readings_come_back_in_time_order():
    vehicle = VehicleFactory()
    for on, km in [((2024, 6, 1), 20_000), ((2024, 1, 1), 10_000), ((2024, 6, 1), 19_990)]:
        OdometerReadingFactory(vehicle=vehicle, read_on=dt.date(*on), km=km)
    assert [r.km for r in OdometerReading.objects.for_vehicle(vehicle.pk)] == [
        10_000,
        19_990,
        20_000,
    ]
