"""The log of who saw or took personal data (R7.2): :class:`DataAccessLog`."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models.choices import DataAccessAction
from customers.models.customer import Customer


class DataAccessLog(models.Model):
    """Who saw or took personal data, when, what and how much (R7.2): every reveal of a masked
    field and every export. Managers read it; nobody edits it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="data_access_logs",
    )
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    action = models.CharField(_("action"), max_length=12, choices=DataAccessAction.choices)
    what = models.CharField(_("what"), max_length=128)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    filters = models.JSONField(_("filter"), default=dict, blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["user", "at"], name="dataaccess_user_at")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_action_display()} · {self.what}"
