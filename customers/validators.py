"""Validators shared by every app: phone numbers, dates that must not lie in the future."""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Mainland mobile numbers: 11 ASCII digits, 1 then 3-9, optionally written with +86 / 86.
# ``[0-9]``, not ``\d``: ``\d`` also matches full-width and other Unicode digits.
_MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")


def normalize_mobile(value: str) -> str:
    """Strip spaces, dashes and a +86/0086/86 country prefix from a Chinese mobile number."""
    digits = re.sub(r"[\s\-()]", "", value or "")
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits


def validate_cn_mobile(value: str) -> None:
    """A mainland Chinese mobile number: 11 digits starting 13x-19x."""
    if not _MOBILE_RE.fullmatch(normalize_mobile(value)):
        raise ValidationError(
            _(
                "“%(value)s” is not a valid mainland China mobile number (11 digits, starting 13–19)."
            ),
            code="invalid_mobile",
            params={"value": value},
        )


def validate_not_future_date(value: dt.date) -> None:
    """A date that records something that already happened."""
    if value and value > timezone.localdate():
        raise ValidationError(
            _("%(value)s is in the future; this date records something that already happened."),
            code="future_date",
            params={"value": value},
        )


def validate_not_future_datetime(value: dt.datetime) -> None:
    """A moment that records something that already happened (a minute of clock skew allowed)."""
    if value and value > timezone.now() + dt.timedelta(minutes=1):
        raise ValidationError(
            _("%(value)s is in the future; this time records something that already happened."),
            code="future_datetime",
            params={"value": value},
        )


def validate_birth_year(value: int) -> None:
    """A plausible birth year for a car owner: 1900 up to 16 years before this year."""
    latest = timezone.localdate().year - 16
    if value is not None and not 1900 <= value <= latest:
        raise ValidationError(
            _("Birth year %(value)s is outside 1900–%(latest)s."),
            code="birth_year",
            params={"value": value, "latest": latest},
        )
