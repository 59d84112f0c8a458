"""Per-client rate limits: 429 with ``Retry-After`` when a client sends too much.

A client is its token when it uses one (two DMS instances with two tokens are limited
separately), else its user. Rates are read from settings at request time so they can be set
per deployment (``API_SYNC_RATE``, ``API_READ_RATE``) and changed in tests.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from api.models import ApiToken


class _ClientThrottle(SimpleRateThrottle):
    setting = ""

    def __init__(self) -> None:
        # SimpleRateThrottle reads DEFAULT_THROTTLE_RATES once at import; read ours now.
        self.rate = getattr(settings, self.setting, None)
        self.num_requests, self.duration = self.parse_rate(self.rate)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"ip-{self.get_ident(request)}"
        return f"dealercrm-api-throttle-{self.scope}-{ident}"


class SyncRateThrottle(_ClientThrottle):
    scope = "sync"
    setting = "API_SYNC_RATE"


class ReadRateThrottle(_ClientThrottle):
    scope = "read"
    setting = "API_READ_RATE"
