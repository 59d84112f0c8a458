"""FilterSets of the follow-up work, shared by the API, the staff pages and exports."""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from customers.models import Channel
from dealercrm.months import MonthFormatError, parse_month
from winback.models import Task, TaskKind, TaskStatus


class TaskFilter(django_filters.FilterSet):
    customer = django_filters.NumberFilter(field_name="customer_id", min_value=1)
    customer_external_id = django_filters.CharFilter(
        field_name="customer__external_id", help_text=_("The customer's id in the DMS.")
    )
    assignee = django_filters.NumberFilter(
        field_name="assignee_id", min_value=1, help_text=_("User id of the assignee.")
    )
    kind = django_filters.ChoiceFilter(choices=TaskKind.choices)
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    status = django_filters.ChoiceFilter(choices=TaskStatus.choices)
    due_after = django_filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="gte")
    due_before = django_filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="lte")
    min_priority = django_filters.NumberFilter(field_name="priority", lookup_expr="gte")
    run_month = django_filters.CharFilter(
        method="filter_run_month", help_text=_("Month of the scoring run, YYYY-MM.")
    )

    class Meta:
        model = Task
        fields: list[str] = []

    def filter_run_month(self, queryset: Any, name: str, value: str) -> Any:
        try:
            month = parse_month(value)
        except MonthFormatError:
            raise ValidationError(_("Give the month as YYYY-MM.")) from None
        return queryset.filter(run__month=month)
