"""Lists of vehicles, purchases, odometer readings and service orders as a user may see them:
scoped to the user's customers, filtered, refusing bad filter values."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from tests.factories import (
    CustomerFactory,
    OdometerReadingFactory,
    PurchaseFactory,
    ServiceOrderFactory,
    ServiceOrderLineFactory,
    VehicleFactory,
)
from vehicles.selectors import (
    odometer_reading_list,
    purchase_list,
    service_order_list,
    vehicle_list,
)

pytestmark = pytest.mark.django_db


def test_an_advisor_sees_only_their_customers_vehicles(advisor):
    own = VehicleFactory(owner=CustomerFactory(sales_advisor=advisor))
    VehicleFactory()
    VehicleFactory(owner=None)
    assert list(vehicle_list(user=advisor, filters={})) == [own]


def test_vehicles_are_found_by_vin(manager):
    wanted, _other = VehicleFactory(), VehicleFactory()
    assert list(vehicle_list(user=manager, filters={"vin": wanted.vin})) == [wanted]


def test_an_advisor_sees_only_their_customers_purchases(advisor):
    own = PurchaseFactory(customer=CustomerFactory(sales_advisor=advisor))
    PurchaseFactory()
    assert list(purchase_list(user=advisor, filters={})) == [own]


def test_purchases_are_filtered_by_date(manager):
    old = PurchaseFactory(purchased_on=dt.date(2015, 1, 1))
    PurchaseFactory(purchased_on=dt.date(2020, 1, 1))
    found = purchase_list(user=manager, filters={"purchased_before": "2016-01-01"})
    assert list(found) == [old]


def test_readings_are_scoped_through_the_vehicles_owner(advisor):
    own = OdometerReadingFactory(vehicle__owner=CustomerFactory(sales_advisor=advisor))
    OdometerReadingFactory()
    assert list(odometer_reading_list(user=advisor, filters={})) == [own]
    assert list(odometer_reading_list(user=advisor, filters={"vehicle_vin": own.vehicle.vin}))


def test_service_orders_come_with_their_lines(manager, django_assert_num_queries):
    order = ServiceOrderFactory()
    line = ServiceOrderLineFactory(order=order)
    rows = service_order_list(user=manager, filters={"customer": str(order.customer_id)})
    with django_assert_num_queries(2):  # the orders, then all their lines
        (row,) = rows
        assert list(row.lines.all()) == [line]


@pytest.mark.parametrize(
    ("selector", "filters", "field"),
    [
        (vehicle_list, {"owner": "x"}, "owner"),
        (purchase_list, {"purchased_after": "2024-13-01"}, "purchased_after"),
        (odometer_reading_list, {"read_after": "soon"}, "read_after"),
        (service_order_list, {"customer": "0"}, "customer"),
    ],
)
def test_a_bad_filter_value_is_a_validation_error(manager, selector, filters, field):
    with pytest.raises(ValidationError) as exc:
        selector(user=manager, filters=filters)
    assert set(exc.value.message_dict) == {field}
