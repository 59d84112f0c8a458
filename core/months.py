"""Calendar-month arithmetic, the one home of it (no app imports, so every app may use it).

Months are named by their first day (``dt.date(2025, 3, 1)`` is March 2025) and written
``YYYY-MM`` at the boundaries (commands, the API, URLs).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

_MONTH_RE = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")


class MonthFormatError(ValueError):
    """A month that is not written ``YYYY-MM``."""


def month_start(day: dt.date) -> dt.date:
    """The first day of the month of ``day``."""
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months`` calendar months (negative goes back); a day the target
    month lacks becomes its last day (31 January + 1 month = 28 or 29 February). Raises
    ``OverflowError`` beyond the years ``datetime.date`` holds, as date arithmetic does."""
    year, month_index = divmod(day.year * 12 + day.month - 1 + months, 12)
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise OverflowError("date value out of range")
    month = month_index + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_end(day: dt.date) -> dt.date:
    """The last day of the month of ``day``."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def previous_month(day: dt.date) -> dt.date:
    """The first day of the month before the month of ``day``."""
    return add_months(month_start(day), -1)


def parse_month(value: str) -> dt.date:
    """The first day of a month written ``YYYY-MM``; raises :class:`MonthFormatError` for
    anything else, year 0000 and surrounding blanks included."""
    match = _MONTH_RE.fullmatch(value) if isinstance(value, str) else None
    if not match or match.group(1) == "0000":
        raise MonthFormatError(value)
    return dt.date(int(match.group(1)), int(match.group(2)), 1)
