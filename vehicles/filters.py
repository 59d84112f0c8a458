"""django-filter FilterSets of vehicles, purchases, odometer readings and service orders."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from customers.filters import CustomerRefFilterSet, IdFilter, SyncedFilterSet
from vehicles.models import OdometerReading, Purchase, ServiceOrder, Vehicle


class VehicleFilter(SyncedFilterSet):
    vin = django_filters.CharFilter()
    plate = django_filters.CharFilter()
    owner = IdFilter(field_name="owner_id", help_text=_("Customer id of the owner."))
    owner_external_id = django_filters.CharFilter(field_name="owner__external_id")

    class Meta:
        model = Vehicle
        fields: list[str] = []


class PurchaseFilter(CustomerRefFilterSet):
    vehicle = IdFilter(field_name="vehicle_id")
    purchased_after = django_filters.DateFilter(field_name="purchased_on", lookup_expr="gte")
    purchased_before = django_filters.DateFilter(field_name="purchased_on", lookup_expr="lte")

    class Meta:
        model = Purchase
        fields: list[str] = []


class OdometerReadingFilter(SyncedFilterSet):
    vehicle = IdFilter(field_name="vehicle_id")
    vehicle_vin = django_filters.CharFilter(field_name="vehicle__vin")
    read_after = django_filters.DateFilter(field_name="read_on", lookup_expr="gte")
    read_before = django_filters.DateFilter(field_name="read_on", lookup_expr="lte")

    class Meta:
        model = OdometerReading
        fields: list[str] = []


class ServiceOrderFilter(CustomerRefFilterSet):
    vehicle = IdFilter(field_name="vehicle_id")
    vehicle_vin = django_filters.CharFilter(field_name="vehicle__vin")
    opened_after = django_filters.DateFilter(field_name="opened_on", lookup_expr="gte")
    opened_before = django_filters.DateFilter(field_name="opened_on", lookup_expr="lte")

    class Meta:
        model = ServiceOrder
        fields: list[str] = []
