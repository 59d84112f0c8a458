"""Repurchase intent and sales leads (R5.7, R5.8): :class:`PurchaseIntent` recorded on a
contact, and :class:`Lead` with its follow-up cadence."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from contacts.models import ContactLog
from customers.models import Customer
from vehicles.models import Brand, VehicleModel
from winback.models.choices import (
    MONEY,
    DesireStrength,
    LeadSource,
    LeadStatus,
    PurchaseNecessity,
    PurchaseWindow,
)


class PurchaseIntent(models.Model):
    """Repurchase intent recorded on a contact (R5.7)."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="intents"
    )
    contact_log = models.ForeignKey(
        ContactLog,
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="intents",
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    desire_strength = models.PositiveSmallIntegerField(
        _("desire strength"), choices=DesireStrength.choices
    )
    necessity = models.CharField(
        pgettext_lazy("purchase intent", "necessity"),
        max_length=8,
        choices=PurchaseNecessity.choices,
    )
    purchase_window = models.CharField(
        _("expected purchase"), max_length=8, choices=PurchaseWindow.choices
    )
    intended_price = models.DecimalField(_("intended price"), null=True, blank=True, **MONEY)
    wanted_brand = models.ForeignKey(
        Brand, verbose_name=_("wanted brand"), on_delete=models.SET_NULL, null=True, blank=True
    )
    wanted_model = models.ForeignKey(
        VehicleModel,
        verbose_name=_("wanted model"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    objections = models.TextField(_("known objections"), blank=True)
    talking_points = models.TextField(_("prepared talking points"), blank=True)

    class Meta:
        verbose_name = _("purchase intent")
        verbose_name_plural = _("purchase intents")
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.customer_id} · {self.get_purchase_window_display()}"

    def clean(self) -> None:
        super().clean()
        if (
            self.wanted_model_id
            and self.wanted_brand_id
            and self.wanted_model.brand_id != self.wanted_brand_id
        ):
            raise ValidationError({"wanted_model": _("This model is not of the wanted brand.")})


class Lead(models.Model):
    """A sales lead with its cadence (R5.8): first call within 2 hours, second within 48 hours,
    follow-ups across the ~90-day purchase cycle; untouched for 30 days, the manager is told."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="leads"
    )
    source = models.CharField(_("source"), max_length=8, choices=LeadSource.choices)
    intent = models.ForeignKey(
        PurchaseIntent,
        verbose_name=_("intent"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="leads",
    )
    opened_at = models.DateTimeField(pgettext_lazy("lead", "opened at"))
    status = models.CharField(
        _("status"), max_length=8, choices=LeadStatus.choices, default=LeadStatus.OPEN
    )
    last_touched_at = models.DateTimeField(_("last touched"), null=True, blank=True)
    touches = models.PositiveSmallIntegerField(_("contacts so far"), default=0)
    alerted_at = models.DateTimeField(_("manager alerted at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=Q(status="open"), name="lead_one_open_per_customer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} · {self.get_status_display()}"
