"""API tokens: one per DMS client (R8.1).

Only a SHA-256 digest of each key is stored; the key itself is shown once, when the token is
created. A token is revoked by stamping ``revoked_at`` rather than deleting it, so the admin
keeps the record of which client used which token and when.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

#: Prefix of every key, so a leaked key is recognisable in logs and secret scanners.
KEY_PREFIX = "dcrm_"


def hash_key(key: str) -> str:
    """The stored digest of a key. Keys are 256-bit random, so a fast hash is enough."""
    return hashlib.sha256(key.encode()).hexdigest()


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


class ApiTokenQuerySet(models.QuerySet):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class ApiToken(models.Model):
    """A DMS client's credential for the API, bound to a user whose roles apply."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(
        _("name"), max_length=64, help_text=_("Which client uses it, e.g. “DMS production”.")
    )
    key_hash = models.CharField(_("key digest"), max_length=64, unique=True, editable=False)
    key_start = models.CharField(
        _("key starts with"),
        max_length=16,
        editable=False,
        help_text=_("The first characters of the key, to tell tokens apart."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_start}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
