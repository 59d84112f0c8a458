"""API tokens: create, revoke and record the use of a token (the admin, the ``api_token``
command and :mod:`api.authentication` go through these). A token's key is stored only as its
hash (see :mod:`api.models`)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import DatabaseError, transaction
from django.utils import timezone

from api.models import ApiToken, generate_key, hash_key

logger = logging.getLogger(__name__)

#: ``last_used_at`` is written at most this often per token, not on every request.
TOKEN_TOUCH_INTERVAL = dt.timedelta(minutes=1)


@transaction.atomic
def api_token_create(*, user: Any, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns it with its key, which is not stored and is shown
    only now."""
    key = generate_key()
    token = ApiToken.objects.create(
        user=user, name=name, key_hash=hash_key(key), key_start=key[:12]
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke a token: later requests with its key are refused. Revoking twice is harmless."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_touch(*, token: ApiToken, now: dt.datetime | None = None) -> None:
    """Record that the token was used, at most once a minute (not a write per request)."""
    now = now or timezone.now()
    if token.last_used_at and now - token.last_used_at < TOKEN_TOUCH_INTERVAL:
        return
    try:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    except DatabaseError:  # never fail a request over bookkeeping
        logger.warning("could not record the use of API token %s", token.pk, exc_info=True)


__all__ = ["api_token_create", "api_token_revoke", "api_token_touch"]
