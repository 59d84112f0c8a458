"""Reads of scoring results (R4, R4.7): which run is in force for a month, and its scores."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet

from core.months import month_start
from customers.filters import filter_apply, month_clean
from customers.models import visible_customers_q
from segmentation.filters import ScoreFilter
from segmentation.models import CustomerScore, RunKind, ScoringRun


def scoring_run_current(month: dt.date | None = None) -> ScoringRun | None:
    """The current monthly run of ``month`` (any day of it), or of the latest month scored."""
    if month is None:
        return ScoringRun.objects.latest_monthly()
    return (
        ScoringRun.objects.current().filter(kind=RunKind.MONTHLY, month=month_start(month)).first()
    )


def score_list(*, user: Any, filters: Mapping) -> QuerySet[CustomerScore]:
    """Scores of the customers ``user`` may see in the current monthly run of
    ``filters["month"]`` (``YYYY-MM``; default: the latest month scored), matching the other
    ``filters`` (:class:`ScoreFilter`); none when the month has no run.

    Raises ``ValidationError`` for a month not written ``YYYY-MM`` (before any other filter is
    looked at) or an invalid filter value.
    """
    run = scoring_run_current(month_clean(filters.get("month")))
    queryset = (
        CustomerScore.objects.none() if run is None else CustomerScore.objects.filter(run=run)
    )
    queryset = queryset.filter(visible_customers_q(user, "customer"))
    return filter_apply(ScoreFilter, filters, queryset).select_related("run", "customer")


def scoring_run_list() -> QuerySet[ScoringRun]:
    """The current scoring runs, newest month first."""
    return ScoringRun.objects.current().order_by("-month", "kind")
