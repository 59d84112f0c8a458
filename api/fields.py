"""Date-times as valid RFC 3339 in every API answer.

DRF writes a date-time in the current time zone with ``isoformat()``. For a moment before
1901 in ``Asia/Shanghai`` that is local mean time, ``+08:05:43``: an offset with seconds,
which RFC 3339 does not allow. Such a value is written in UTC (``Z``) instead; every other
value keeps the local offset as before. New values outside 1900–2100 are refused at the
boundary (``api.records.plausible_date_problem``); this covers rows stored before that.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings


def rfc3339(value: dt.datetime) -> str:
    """``value`` (aware) in ISO 8601 with an RFC 3339 offset (whole minutes), else in UTC."""
    offset = value.utcoffset()
    if offset is not None and offset.total_seconds() % 60:
        value = value.astimezone(dt.UTC)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class Rfc3339DateTimeField(serializers.DateTimeField):
    """``DateTimeField`` whose output is always valid RFC 3339 (see the module doc)."""

    def to_representation(self, value: Any) -> Any:
        output_format = getattr(self, "format", api_settings.DATETIME_FORMAT)
        iso = isinstance(output_format, str) and output_format.lower() == ISO_8601
        if not iso or not isinstance(value, dt.datetime):
            return super().to_representation(value)
        return rfc3339(self.enforce_timezone(value))
