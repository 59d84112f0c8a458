"""Shared validators: mainland mobile numbers, birth years, dates that must not be in the future."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from customers.validators import (
    normalize_mobile,
    validate_birth_year,
    validate_cn_mobile,
    validate_not_future_date,
    validate_not_future_datetime,
)


@pytest.mark.parametrize(
    "number",
    [
        "13012345678",
        "13912345678",
        "14512345678",
        "15012345678",
        "16612345678",
        "17712345678",
        "18812345678",
        "19912345678",
    ],
)
def test_mobile_numbers_from_13x_to_19x_are_valid(number):
    validate_cn_mobile(number)  # no error


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("+86 139 1234 5678", "13912345678"),
        ("+8613912345678", "13912345678"),
        ("8613912345678", "13912345678"),
        ("86 139 1234 5678", "13912345678"),
        ("008613912345678", "13912345678"),
        ("139-1234-5678", "13912345678"),
        (" 139 1234 5678 ", "13912345678"),
        ("(+86) 139 1234 5678", "13912345678"),
    ],
)
def test_country_prefix_spaces_and_dashes_are_normalised_away(written, normalised):
    assert normalize_mobile(written) == normalised
    validate_cn_mobile(written)  # the written form is accepted too


def test_an_11_digit_number_starting_86_is_not_mistaken_for_a_prefix():
    # Only a 13-digit string carries a bare "86" prefix; 11 digits are left alone.
    assert normalize_mobile("18612345678") == "18612345678"


@pytest.mark.parametrize(
    "number",
    [
        "12012345678",  # 12x is not a mobile prefix
        "11012345678",
        "1391234567",  # 10 digits
        "139123456789",  # 12 digits
        "1391234567a",  # letter
        "abcdefghijk",
        "23912345678",  # does not start with 1
        "+1 139 1234 5678",  # another country
        "13９１２３４５６７８",  # full-width digits would not reach an SMS gateway
        "",
    ],
)
def test_invalid_mobile_numbers_are_rejected(number):
    with pytest.raises(ValidationError) as exc:
        validate_cn_mobile(number)
    assert exc.value.code == "invalid_mobile"


def test_birth_year_range_is_1900_to_sixteen_years_ago():
    latest = timezone.localdate().year - 16
    validate_birth_year(1900)
    validate_birth_year(latest)
    validate_birth_year(None)  # unknown is fine
    for year in (1899, latest + 1, timezone.localdate().year):
        with pytest.raises(ValidationError) as exc:
            validate_birth_year(year)
        assert exc.value.code == "birth_year"


def test_today_is_not_a_future_date():
    validate_not_future_date(timezone.localdate())
    validate_not_future_date(timezone.localdate() - dt.timedelta(days=3650))


def test_tomorrow_is_a_future_date():
    with pytest.raises(ValidationError) as exc:
        validate_not_future_date(timezone.localdate() + dt.timedelta(days=1))
    assert exc.value.code == "future_date"


def test_now_and_the_past_are_not_future_datetimes():
    validate_not_future_datetime(timezone.now())
    validate_not_future_datetime(timezone.now() - dt.timedelta(days=1))
    # A little clock skew between the DMS and us is tolerated.
    validate_not_future_datetime(timezone.now() + dt.timedelta(seconds=30))


def test_an_hour_ahead_is_a_future_datetime():
    with pytest.raises(ValidationError) as exc:
        validate_not_future_datetime(timezone.now() + dt.timedelta(hours=1))
    assert exc.value.code == "future_datetime"
