"""Formatting for people: money, shares, scores, Beijing times and choice labels, so no raw
code or 16-decimal float reaches a page, a workbook or a message. Domain-free: the template
filters of ``{% load formatting %}`` and Python code (admin columns, exports) share these."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _


def _number(value: Any, digits: int) -> str:
    # Grouped by thousands with a comma in every language: Django's zh-hans format has no
    # thousands separator, and ¥22141602 is hard to read in any language.
    return f"{Decimal(str(float(value))):,.{digits}f}"


def money(value: Any, digits: int = 2) -> str:
    """``3713.71000000`` → ``¥3,713.71``; empty for no value."""
    if value is None or value == "":
        return "—"
    amount = float(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{_number(abs(amount), int(digits))}"


def num(value: Any, digits: int = 0) -> str:
    """A number with grouping and ``digits`` decimals; a dash for no value."""
    if value is None or value == "":
        return "—"
    return _number(value, int(digits))


def pct(value: Any, digits: int = 0) -> str:
    """A share (0.371) as a percentage (``37%``); a dash for no value."""
    if value is None or value == "":
        return "—"
    return f"{_number(float(value) * 100, int(digits))}%"


def beijing(value: dt.datetime | None, fmt: str = "Y-m-d H:i") -> str:
    """A stored (UTC) time in the dealership's time zone (Beijing)."""
    if not value:
        return "—"
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, fmt)


def day(value: dt.date | None, fmt: str = "Y-m-d") -> str:
    """A date as ``2026-11-30``; a dash for none (or the empty string a missing related
    object renders as)."""
    if not value:
        return "—"
    return formats.date_format(value, fmt)


def yesno_label(value: bool | None) -> str:
    """Yes / No / unknown in the reader's language."""
    if value is None:
        return _("unknown")
    return _("Yes") if value else _("No")


def label(value: Any, choices: Any) -> str:
    """The label of a choice code: ``{{ code|label:choices }}`` where ``choices`` is a mapping
    or a ``TextChoices`` class passed in the context."""
    if value is None or value == "":
        return "—"
    mapping = dict(choices.choices) if hasattr(choices, "choices") else dict(choices)
    return str(mapping.get(value, value))
