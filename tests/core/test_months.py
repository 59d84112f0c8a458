"""Calendar-month arithmetic: clamping to month ends, going back, crossing years, parsing."""

from __future__ import annotations

import datetime as dt

import pytest

from core.months import (
    MonthFormatError,
    add_months,
    month_end,
    month_start,
    parse_month,
    previous_month,
)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),
        (dt.date(2023, 1, 31), 1, dt.date(2023, 2, 28)),
        (dt.date(2024, 3, 31), 1, dt.date(2024, 4, 30)),
        (dt.date(2024, 2, 29), 12, dt.date(2025, 2, 28)),
        (dt.date(2024, 2, 29), 48, dt.date(2028, 2, 29)),
        (dt.date(2024, 1, 30), 1, dt.date(2024, 2, 29)),
        (dt.date(2024, 5, 15), 0, dt.date(2024, 5, 15)),
    ],
)
def test_a_day_the_target_month_lacks_becomes_its_last_day(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2024, 3, 31), -1, dt.date(2024, 2, 29)),
        (dt.date(2024, 1, 15), -1, dt.date(2023, 12, 15)),
        (dt.date(2024, 1, 31), -13, dt.date(2022, 12, 31)),
        (dt.date(2025, 5, 31), -3, dt.date(2025, 2, 28)),
        (dt.date(2024, 6, 10), -24, dt.date(2022, 6, 10)),
    ],
)
def test_negative_months_go_back(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2024, 12, 31), 1, dt.date(2025, 1, 31)),
        (dt.date(2024, 11, 30), 3, dt.date(2025, 2, 28)),
        (dt.date(2024, 1, 1), -1, dt.date(2023, 12, 1)),
        (dt.date(2019, 8, 31), 120, dt.date(2029, 8, 31)),
    ],
)
def test_months_cross_year_boundaries(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize(("day", "months"), [(dt.date(9999, 12, 1), 1), (dt.date(1, 1, 1), -1)])
def test_moving_past_the_calendar_is_an_overflow_like_date_arithmetic(day, months):
    with pytest.raises(OverflowError):
        add_months(day, months)


def test_month_start_end_and_previous_month():
    day = dt.date(2024, 2, 17)
    assert month_start(day) == dt.date(2024, 2, 1)
    assert month_end(day) == dt.date(2024, 2, 29)
    assert month_end(dt.date(2023, 2, 1)) == dt.date(2023, 2, 28)
    assert month_end(dt.date(9999, 12, 5)) == dt.date(9999, 12, 31)
    assert previous_month(day) == dt.date(2024, 1, 1)
    assert previous_month(dt.date(2024, 1, 31)) == dt.date(2023, 12, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-09", dt.date(2024, 9, 1)),
        ("1999-12", dt.date(1999, 12, 1)),
    ],
)
def test_a_month_is_parsed_from_yyyy_mm(text, expected):
    assert parse_month(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2024-13",
        "2024-00",
        "2024-9",
        "24-09",
        "2024-09-01",
        "september",
        "",
        "0000-01",
        "２０２４-09",
        " 2024-09",
        "2024-09\n",
    ],
)
def test_anything_but_yyyy_mm_is_a_month_format_error(text):
    with pytest.raises(MonthFormatError):
        parse_month(text)


def test_a_month_format_error_is_a_value_error_for_callers_that_catch_those():
    with pytest.raises(ValueError):
        parse_month(None)  # type: ignore[arg-type]
