"""Per-client rate limits: 429 with ``Retry-After`` when a client sends too much.

A client is its token when it uses one (two DMS instances with two tokens are limited
separately), else its user. Rates are read from settings at request time so they can be set
per deployment (``API_SYNC_RATE``, ``API_READ_RATE``) and changed in tests.

The counters live in the cache (Redis in production), shared by every worker. The cache is a
neighbour that can fail; rate limiting is not worth an outage, so when the cache raises, the
throttle counts in this process instead (a client may then get up to the limit once per worker)
and logs it once per ``LOG_INTERVAL``, not once per request. After a failure it leaves the cache
alone for ``RETRY_AFTER_FAILURE`` seconds, so a dead Redis does not cost every request a
connection attempt, then tries again.

Without ``REDIS_URL`` the cache itself is per process (``LocMemCache``): each gunicorn worker
counts on its own, so N workers let through up to N times the rate. :func:`warn_if_per_process`
says so once at start.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from api.models import ApiToken

logger = logging.getLogger(__name__)

#: Seconds between two log lines about the same cache outage.
LOG_INTERVAL = 60.0
#: Seconds the throttle counts locally after a cache error before it tries the cache again.
RETRY_AFTER_FAILURE = 15.0

#: Cache backends whose data lives in one process (or nowhere): limits are not shared.
PER_PROCESS_BACKENDS = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


class _LocalCounts:
    """The fallback store: request histories per key in this process, with expiry."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.histories: dict[str, tuple[float, list[float]]] = {}
        self.down_until = 0.0
        self.last_logged = float("-inf")

    def get(self, key: str) -> list[float]:
        with self.lock:
            expires, history = self.histories.get(key, (0.0, []))
            return list(history) if expires > time.monotonic() else []

    def set(self, key: str, history: list[float], duration: float) -> None:
        now = time.monotonic()
        with self.lock:
            self.histories[key] = (now + duration, history)
            if len(self.histories) > 10_000:
                # Bounded memory: drop expired keys when many clients came and went.
                self.histories = {k: v for k, v in self.histories.items() if v[0] > now}

    def cache_failed(self, error: Exception) -> None:
        now = time.monotonic()
        with self.lock:
            self.down_until = now + RETRY_AFTER_FAILURE
            log = now - self.last_logged >= LOG_INTERVAL
            if log:
                self.last_logged = now
        if log:
            logger.warning(
                "API throttle: the cache is unavailable (%s: %s); counting requests per "
                "process until it is back (logged at most once every %d s).",
                type(error).__name__,
                error,
                LOG_INTERVAL,
            )

    def cache_usable(self) -> bool:
        return time.monotonic() >= self.down_until

    def reset(self) -> None:
        with self.lock:
            self.histories.clear()
            self.down_until = 0.0
            self.last_logged = float("-inf")


local_counts = _LocalCounts()


class _ClientThrottle(SimpleRateThrottle):
    setting = ""

    def __init__(self) -> None:
        # SimpleRateThrottle reads DEFAULT_THROTTLE_RATES once at import; read ours now.
        self.rate = getattr(settings, self.setting, None)
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self.local = False

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"ip-{self.get_ident(request)}"
        return f"dealercrm-api-throttle-{self.scope}-{ident}"

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.history = self._get(self.key)
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        if len(self.history) >= self.num_requests:
            return self.throttle_failure()
        return self.throttle_success()

    def throttle_success(self) -> bool:
        self.history.insert(0, self.now)
        self._set(self.key, self.history, self.duration)
        return True

    def _get(self, key: str) -> list[float]:
        if local_counts.cache_usable():
            try:
                self.local = False
                return self.cache.get(key, [])
            except Exception as error:  # noqa: BLE001 - any cache failure: count locally
                local_counts.cache_failed(error)
        self.local = True
        return local_counts.get(key)

    def _set(self, key: str, history: list[float], duration: float) -> None:
        if not self.local:
            try:
                self.cache.set(key, history, duration)
                return
            except Exception as error:  # noqa: BLE001 - any cache failure: count locally
                local_counts.cache_failed(error)
        local_counts.set(key, history, duration)


class SyncRateThrottle(_ClientThrottle):
    scope = "sync"
    setting = "API_SYNC_RATE"


class ReadRateThrottle(_ClientThrottle):
    scope = "read"
    setting = "API_READ_RATE"


def warn_if_per_process() -> bool:
    """Log once that rate limits count per process when the cache is not shared (no Redis).

    Returns whether it warned.
    """
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend not in PER_PROCESS_BACKENDS:
        return False
    logger.warning(
        "API rate limits (API_SYNC_RATE, API_READ_RATE) are counted per process: the cache "
        "is %s, not shared between workers, so N workers allow up to N times each rate. "
        "Set REDIS_URL to share the counts.",
        backend.rsplit(".", 1)[-1],
    )
    return True
