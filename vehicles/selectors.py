"""Reads of vehicles, purchases, odometer readings and service orders as a user may see them:
each scoped to the visible customers (``Customer.objects.visible_to``) and filtered by the
app's FilterSet, which raises ``ValidationError`` for an invalid value."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet

from customers.filters import filter_apply
from customers.models import visible_customers_q
from vehicles.filters import (
    OdometerReadingFilter,
    PurchaseFilter,
    ServiceOrderFilter,
    VehicleFilter,
)
from vehicles.models import OdometerReading, Purchase, ServiceOrder, Vehicle


def vehicle_list(*, user: Any, filters: Mapping) -> QuerySet[Vehicle]:
    """Vehicles owned by customers ``user`` may see, with model, brand and owner joined."""
    queryset = Vehicle.objects.filter(visible_customers_q(user, "owner"))
    return filter_apply(VehicleFilter, filters, queryset).select_related("model__brand", "owner")


def purchase_list(*, user: Any, filters: Mapping) -> QuerySet[Purchase]:
    """Purchases of the visible customers, with customer, vehicle and trade-in joined."""
    queryset = Purchase.objects.filter(visible_customers_q(user, "customer"))
    return filter_apply(PurchaseFilter, filters, queryset).select_related(
        "customer", "vehicle", "trade_in_vehicle"
    )


def odometer_reading_list(*, user: Any, filters: Mapping) -> QuerySet[OdometerReading]:
    """Readings of vehicles owned by the visible customers, with vehicle and order joined."""
    queryset = OdometerReading.objects.filter(visible_customers_q(user, "vehicle__owner"))
    return filter_apply(OdometerReadingFilter, filters, queryset).select_related(
        "vehicle", "service_order"
    )


def service_order_list(*, user: Any, filters: Mapping) -> QuerySet[ServiceOrder]:
    """Service orders of the visible customers, with customer and vehicle joined and the
    lines prefetched."""
    queryset = ServiceOrder.objects.filter(visible_customers_q(user, "customer"))
    return (
        filter_apply(ServiceOrderFilter, filters, queryset)
        .select_related("customer", "vehicle")
        .prefetch_related("lines")
    )
