"""django-filter FilterSets of satisfaction surveys, complaints and the contact log."""

from __future__ import annotations

import django_filters

from contacts.models import (
    Complaint,
    ComplaintCategory,
    ComplaintStatus,
    ContactChannel,
    ContactLog,
    ContactType,
    SatisfactionSurvey,
)
from customers.filters import CustomerRefFilterSet, DateTimeFilter


class SurveyFilter(CustomerRefFilterSet):
    surveyed_after = django_filters.DateFilter(field_name="surveyed_on", lookup_expr="gte")
    surveyed_before = django_filters.DateFilter(field_name="surveyed_on", lookup_expr="lte")

    class Meta:
        model = SatisfactionSurvey
        fields: list[str] = []


class ComplaintFilter(CustomerRefFilterSet):
    status = django_filters.ChoiceFilter(choices=ComplaintStatus.choices)
    category = django_filters.ChoiceFilter(choices=ComplaintCategory.choices)
    opened_after = DateTimeFilter(field_name="opened_at", lookup_expr="gte")
    opened_before = DateTimeFilter(field_name="opened_at", lookup_expr="lte")

    class Meta:
        model = Complaint
        fields: list[str] = []


class ContactLogFilter(CustomerRefFilterSet):
    channel = django_filters.ChoiceFilter(choices=ContactChannel.choices)
    contact_type = django_filters.ChoiceFilter(choices=ContactType.choices)
    contacted_after = DateTimeFilter(field_name="contacted_at", lookup_expr="gte")
    contacted_before = DateTimeFilter(field_name="contacted_at", lookup_expr="lte")

    class Meta:
        model = ContactLog
        fields: list[str] = []
