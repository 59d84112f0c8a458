"""django-filter FilterSets of customer data, and the pieces every app's FilterSets share.

Every app's FilterSets build on the pieces here (the lowest app, so all may import it): ids
bounded to the database's integer range, date-times that can be stored, the DMS key and
incremental-read filters of synced records, the customer reference, the ``YYYY-MM`` month and
:func:`filter_apply`. Invalid values raise Django's ``ValidationError``, never a database
error; the API turns that into its 400 answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField

from core.months import MonthFormatError, parse_month
from customers.models import Character, Customer, ValueEvent, ValueLayer

_MAX_ID = 2**63 - 1


class _IdField(forms.IntegerField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", _MAX_ID)
        super().__init__(*args, **kwargs)


class IdFilter(django_filters.NumberFilter):
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


class DateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 date-time that the database can store and compare."""

    field_class = _StorableDateTimeField


class SyncedFilterSet(django_filters.FilterSet):
    """Filters every synced resource has: its DMS key and the incremental-read start."""

    source = django_filters.CharFilter(help_text=_("Source system, e.g. dms."))
    external_id = django_filters.CharFilter(help_text=_("The record's id in its source system."))
    updated_since = DateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text=_("Only rows changed at or after this time (ISO 8601)."),
    )


class CustomerRefFilterSet(SyncedFilterSet):
    """Filters of a synced record that belongs to a customer: by id or by DMS id."""

    customer = IdFilter(field_name="customer_id", help_text=_("Customer id."))
    customer_external_id = django_filters.CharFilter(
        field_name="customer__external_id", help_text=_("The customer's id in the DMS.")
    )


def month_clean(value: str | None, *, name: str = "month") -> dt.date | None:
    """The first day of the month ``value`` names as ``YYYY-MM``, or None when it is None.

    Anything else raises ``ValidationError({name: [...]})``, as a filter field would.
    """
    if value is None:
        return None
    try:
        return parse_month(value)
    except MonthFormatError:
        raise ValidationError({name: [_("Give the month as YYYY-MM.")]}) from None


def filter_apply(
    filterset_class: type[django_filters.FilterSet], data: Mapping, queryset: QuerySet
) -> QuerySet:
    """``queryset`` filtered by ``filterset_class`` with the values in ``data``.

    Raises ``ValidationError`` with the FilterSet's errors per field when a value is invalid.
    """
    filterset = filterset_class(data, queryset=queryset)
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    return filterset.qs


class CustomerFilter(SyncedFilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains", help_text=_("Part of the name."))
    mobile = django_filters.CharFilter()
    region = django_filters.CharFilter()
    character = django_filters.ChoiceFilter(choices=Character.choices)
    sales_advisor = IdFilter(field_name="sales_advisor_id", help_text=_("User id of the advisor."))

    class Meta:
        model = Customer
        fields: list[str] = []


class ValueEventFilter(CustomerRefFilterSet):
    layer = django_filters.ChoiceFilter(choices=ValueLayer.choices)

    class Meta:
        model = ValueEvent
        fields: list[str] = []
