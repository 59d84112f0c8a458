"""Reads of scoring results (R4, R4.7): which run is in force for a month, and its scores."""

from __future__ import annotations

import datetime as dt

from segmentation.models import RunKind, ScoringRun


def scoring_run_current(month: dt.date | None = None) -> ScoringRun | None:
    """The current monthly run of ``month`` (any day of it), or of the latest month scored."""
    if month is None:
        return ScoringRun.objects.latest_monthly()
    return (
        ScoringRun.objects.current()
        .filter(kind=RunKind.MONTHLY, month=month.replace(day=1))
        .first()
    )
