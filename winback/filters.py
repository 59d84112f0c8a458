"""FilterSets of the follow-up work, shared by the API, the staff pages and exports."""

from __future__ import annotations

from typing import Any

import django_filters
from django.utils.translation import gettext_lazy as _

from customers.filters import DateTimeFilter, IdFilter, month_clean
from customers.models import Channel
from winback.models import Task, TaskKind, TaskStatus


class TaskFilter(django_filters.FilterSet):
    customer = IdFilter(field_name="customer_id", help_text=_("Customer id."))
    customer_external_id = django_filters.CharFilter(
        field_name="customer__external_id", help_text=_("The customer's id in the DMS.")
    )
    assignee = IdFilter(field_name="assignee_id", help_text=_("User id of the assignee."))
    kind = django_filters.ChoiceFilter(choices=TaskKind.choices)
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    status = django_filters.ChoiceFilter(choices=TaskStatus.choices)
    due_after = DateTimeFilter(
        field_name="due_at", lookup_expr="gte", help_text=_("Due at or after (ISO 8601).")
    )
    due_before = DateTimeFilter(
        field_name="due_at", lookup_expr="lt", help_text=_("Due before (ISO 8601).")
    )
    min_priority = django_filters.NumberFilter(
        field_name="priority", lookup_expr="gte", help_text=_("Priority at least this.")
    )
    run_month = django_filters.CharFilter(
        method="filter_run_month", help_text=_("Month of the scoring run, YYYY-MM.")
    )
    updated_since = DateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text=_("Only tasks changed at or after this time (ISO 8601)."),
    )

    class Meta:
        model = Task
        fields: list[str] = []

    def filter_run_month(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.filter(run__month=month_clean(value, name=name))
