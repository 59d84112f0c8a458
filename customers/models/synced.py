"""The base of every record the DMS also holds: :class:`SyncedModel` carries the DMS's own id
(``source`` + ``external_id``) so later syncs upsert instead of duplicating."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class SyncedModel(models.Model):
    """Abstract base: timestamps plus the id of the record in its source system."""

    source = models.CharField(
        _("source system"),
        max_length=32,
        blank=True,
        default="",
        help_text=_("System the record came from, e.g. “dms”; empty for records made here."),
    )
    external_id = models.CharField(
        _("external id"),
        max_length=64,
        null=True,
        blank=True,
        help_text=_("The record's id in its source system."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=Q(external_id__isnull=False),
                name="%(app_label)s_%(class)s_external_id_uniq",
            )
        ]
        # Incremental read-back pages over (updated_at, id).
        indexes = [models.Index(fields=["updated_at", "id"], name="%(class)s_upd")]
