"""django-filter FilterSets of the read endpoints. Invalid values give a 400, never a 500:
ids are bounded to the database's integer range and date-times that cannot be stored are
refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField

from contacts.models import (
    Complaint,
    ComplaintCategory,
    ComplaintStatus,
    ContactChannel,
    ContactLog,
    ContactType,
    SatisfactionSurvey,
)
from customers.models import Character, Customer, ValueEvent, ValueLayer
from segmentation.models import CustomerScore, RfmSegment, Status
from vehicles.models import OdometerReading, Purchase, ServiceOrder, Vehicle

_MAX_ID = 2**63 - 1


class _IdField(forms.IntegerField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", _MAX_ID)
        super().__init__(*args, **kwargs)


class IdFilter(filters.NumberFilter):
    """An id: a whole number in the range of a 64-bit key."""

    field_class = _IdField


class _StorableDateTimeField(IsoDateTimeField):
    def to_python(self, value: Any) -> dt.datetime | None:
        result = super().to_python(value)
        if result is not None:
            # In UTC: PostgreSQL refuses offsets beyond ±15:59 that Python accepts, and
            # 0001-01-01T00:00+08:00 has no UTC equivalent at all.
            try:
                result = result.astimezone(dt.UTC)
            except OverflowError:
                raise ValidationError(
                    _("This date-time is out of range."), code="invalid"
                ) from None
        return result


class DateTimeFilter(filters.IsoDateTimeFilter):
    field_class = _StorableDateTimeField


class SyncedFilterSet(filters.FilterSet):
    """Filters every synced resource has: its DMS key and the incremental-read start."""

    source = filters.CharFilter(help_text=_("Source system, e.g. dms."))
    external_id = filters.CharFilter(help_text=_("The record's id in its source system."))
    updated_since = DateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text=_("Only rows changed at or after this time (ISO 8601)."),
    )


class _CustomerRefFilterSet(SyncedFilterSet):
    customer = IdFilter(field_name="customer_id", help_text=_("Customer id."))
    customer_external_id = filters.CharFilter(
        field_name="customer__external_id", help_text=_("The customer's id in the DMS.")
    )


class CustomerFilter(SyncedFilterSet):
    name = filters.CharFilter(lookup_expr="icontains", help_text=_("Part of the name."))
    mobile = filters.CharFilter()
    region = filters.CharFilter()
    character = filters.ChoiceFilter(choices=Character.choices)
    sales_advisor = IdFilter(field_name="sales_advisor_id", help_text=_("User id of the advisor."))

    class Meta:
        model = Customer
        fields: list[str] = []


class VehicleFilter(SyncedFilterSet):
    vin = filters.CharFilter()
    plate = filters.CharFilter()
    owner = IdFilter(field_name="owner_id", help_text=_("Customer id of the owner."))
    owner_external_id = filters.CharFilter(field_name="owner__external_id")

    class Meta:
        model = Vehicle
        fields: list[str] = []


class PurchaseFilter(_CustomerRefFilterSet):
    vehicle = IdFilter(field_name="vehicle_id")
    purchased_after = filters.DateFilter(field_name="purchased_on", lookup_expr="gte")
    purchased_before = filters.DateFilter(field_name="purchased_on", lookup_expr="lte")

    class Meta:
        model = Purchase
        fields: list[str] = []


class OdometerReadingFilter(SyncedFilterSet):
    vehicle = IdFilter(field_name="vehicle_id")
    vehicle_vin = filters.CharFilter(field_name="vehicle__vin")
    read_after = filters.DateFilter(field_name="read_on", lookup_expr="gte")
    read_before = filters.DateFilter(field_name="read_on", lookup_expr="lte")

    class Meta:
        model = OdometerReading
        fields: list[str] = []


class ServiceOrderFilter(_CustomerRefFilterSet):
    vehicle = IdFilter(field_name="vehicle_id")
    vehicle_vin = filters.CharFilter(field_name="vehicle__vin")
    opened_after = filters.DateFilter(field_name="opened_on", lookup_expr="gte")
    opened_before = filters.DateFilter(field_name="opened_on", lookup_expr="lte")

    class Meta:
        model = ServiceOrder
        fields: list[str] = []


class SurveyFilter(_CustomerRefFilterSet):
    surveyed_after = filters.DateFilter(field_name="surveyed_on", lookup_expr="gte")
    surveyed_before = filters.DateFilter(field_name="surveyed_on", lookup_expr="lte")

    class Meta:
        model = SatisfactionSurvey
        fields: list[str] = []


class ComplaintFilter(_CustomerRefFilterSet):
    status = filters.ChoiceFilter(choices=ComplaintStatus.choices)
    category = filters.ChoiceFilter(choices=ComplaintCategory.choices)
    opened_after = DateTimeFilter(field_name="opened_at", lookup_expr="gte")
    opened_before = DateTimeFilter(field_name="opened_at", lookup_expr="lte")

    class Meta:
        model = Complaint
        fields: list[str] = []


class ContactLogFilter(_CustomerRefFilterSet):
    channel = filters.ChoiceFilter(choices=ContactChannel.choices)
    contact_type = filters.ChoiceFilter(choices=ContactType.choices)
    contacted_after = DateTimeFilter(field_name="contacted_at", lookup_expr="gte")
    contacted_before = DateTimeFilter(field_name="contacted_at", lookup_expr="lte")

    class Meta:
        model = ContactLog
        fields: list[str] = []


class ValueEventFilter(_CustomerRefFilterSet):
    layer = filters.ChoiceFilter(choices=ValueLayer.choices)

    class Meta:
        model = ValueEvent
        fields: list[str] = []


class ScoreFilter(filters.FilterSet):
    """Filters of scoring results; ``month`` picks the run and is applied by the selector."""

    month = filters.CharFilter(
        method="filter_month",
        help_text=_("Month scored, YYYY-MM; default: the latest scored month."),
    )
    customer = IdFilter(field_name="customer_id")
    customer_external_id = filters.CharFilter(field_name="customer__external_id")
    status = filters.ChoiceFilter(choices=Status.choices)
    rfm_segment = filters.ChoiceFilter(choices=RfmSegment.choices)
    value_tier = IdFilter(min_value=1, max_value=5)
    nine_cell = filters.CharFilter()

    class Meta:
        model = CustomerScore
        fields: list[str] = []

    def filter_month(self, queryset: Any, name: str, value: str) -> Any:
        return queryset  # the selector chooses the run (see api.selectors.score_list)


MONTH_FORM_FIELD = forms.RegexField(
    regex=r"^[0-9]{4}-(0[1-9]|1[0-2])$",
    error_messages={"invalid": _("Give the month as YYYY-MM.")},
)
