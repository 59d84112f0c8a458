"""django-filter FilterSet of scoring results."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from customers.filters import IdFilter
from segmentation.models import CustomerScore, RfmSegment, Status


class ScoreFilter(django_filters.FilterSet):
    """Filters of scoring results; ``month`` picks the run and is applied by the selector."""

    month = django_filters.CharFilter(
        method="filter_month",
        help_text=_("Month scored, YYYY-MM; default: the latest scored month."),
    )
    customer = IdFilter(field_name="customer_id")
    customer_external_id = django_filters.CharFilter(field_name="customer__external_id")
    status = django_filters.ChoiceFilter(choices=Status.choices)
    rfm_segment = django_filters.ChoiceFilter(choices=RfmSegment.choices)
    value_tier = IdFilter(min_value=1, max_value=5)
    nine_cell = django_filters.CharFilter()

    class Meta:
        model = CustomerScore
        fields: list[str] = []

    def filter_month(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # The run was chosen by month before filtering (segmentation.selectors.score_list).
        return queryset
