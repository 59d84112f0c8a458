"""Moments in the dealership's time zone (``TIME_ZONE``, Beijing): dates are local days, and
a day's work is counted from local midnight, never from UTC's."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def local_moment(day: dt.date, at: dt.time = dt.time.min) -> dt.datetime:
    """The aware moment ``at`` o'clock (midnight by default) on ``day`` in the dealership's
    time zone."""
    return timezone.make_aware(dt.datetime.combine(day, at))
