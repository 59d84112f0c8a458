"""The page a locked-out sign-in gets (django-axes' ``AXES_LOCKOUT_CALLABLE``), in the user's
language, saying for how long; the same for the staff sign-in and the admin's."""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """429 with the lockout page: how many wrong passwords locked it, minutes to wait."""
    cool_off = settings.AXES_COOLOFF_TIME
    return render(
        request,
        "registration/locked_out.html",
        {
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "lockout_minutes": math.ceil(cool_off.total_seconds() / 60) if cool_off else 0,
        },
        status=429,
    )
