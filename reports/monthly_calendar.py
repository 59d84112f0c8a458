"""The calendar of the monthly win-back report (R6.1): the months that have results, a month's
bounds and its first moment, how long a target counts as a month's work, and how long a count is
kept in the cache (while its outcomes may still be measured, and once they are final).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from core.months import add_months, month_start
from winback.models import Round
from winback.outcomes import HORIZONS

#: A target still counts as the work's for this many months after its round started.
WINDOW_MONTHS = HORIZONS[-1]
#: Seconds a report is kept in the cache while its figures may change, and once final.
REPORT_SECONDS, FINAL_REPORT_SECONDS = 600, 86_400


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    """``[start, end)`` of ``month`` (its first day): its first day and the next month's."""
    return month, add_months(month, 1)


def report_months(*, today: dt.date | None = None) -> list[dt.date]:
    """Months with results, newest first: months in which a round's work started, up to the
    current month."""
    today = today or timezone.localdate()
    starts = Round.objects.filter(starts_on__lt=add_months(month_start(today), 1)).dates(
        "starts_on", "month", order="DESC"
    )
    return list(starts)


def report_month_latest(*, today: dt.date | None = None) -> dt.date | None:
    """The latest month with results, or None before the first round."""
    today = today or timezone.localdate()
    latest = (
        Round.objects.filter(starts_on__lt=add_months(month_start(today), 1))
        .order_by("-starts_on")
        .values_list("starts_on", flat=True)
        .first()
    )
    return month_start(latest) if latest else None
