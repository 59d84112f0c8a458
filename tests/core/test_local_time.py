"""A local day starts at Beijing's midnight, eight hours before UTC's."""

from __future__ import annotations

import datetime as dt

from core.local_time import local_moment


def test_a_day_starts_at_beijing_midnight():
    assert local_moment(dt.date(2026, 3, 1)) == dt.datetime(2026, 2, 28, 16, 0, tzinfo=dt.UTC)


def test_a_time_of_day_is_read_in_beijing():
    moment = local_moment(dt.date(2026, 3, 1), dt.time(9, 30))
    assert moment == dt.datetime(2026, 3, 1, 1, 30, tzinfo=dt.UTC)
