"""The marketing campaign (R5, R6): a saved segment filter with a contact plan, an offer, a
period and an owner; a manager's approval launches it as targets and tasks like a round's."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from winback.models.choices import AssignTo, CampaignStatus, TaskKind
from winback.models.configuration import ContactPlan, Offer


class Campaign(models.Model):
    """A marketing campaign (R5, R6): the customers of a saved segment filter, a contact plan,
    an offer, a period and an owner. Marketing drafts it; a manager's approval launches it
    (targets, a control group, the plan's first-step tasks), as a round does for its rules;
    its targets are then measured like a round's (``winback.outcomes``)."""

    name = models.CharField(_("name"), max_length=120)
    filters = models.JSONField(
        _("segment filter"),
        default=dict,
        blank=True,
        help_text=_("The segment explorer's filter: month, nine cell, RFM segment, status, tier."),
    )
    kind = models.CharField(
        _("task kind"), max_length=24, choices=TaskKind.choices, default=TaskKind.CAMPAIGN
    )
    plan = models.ForeignKey(
        ContactPlan,
        verbose_name=_("contact plan"),
        on_delete=models.PROTECT,
        related_name="campaigns",
    )
    offer = models.ForeignKey(
        Offer,
        verbose_name=_("offer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="campaigns",
    )
    assign_to = models.CharField(
        _("assign to"), max_length=16, choices=AssignTo.choices, default=AssignTo.SALES_ADVISOR
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="campaigns",
    )
    status = models.CharField(
        _("status"), max_length=8, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    control_share = models.FloatField(
        _("control share"),
        validators=[MinValueValidator(0), MaxValueValidator(0.5)],
        help_text=_("The share of the targets held back, uncontacted, to measure uplift."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    report = models.JSONField(
        _("launch report"),
        default=dict,
        blank=True,
        help_text=_("Candidates, targets, control group, skipped by reason."),
    )

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="campaign_period_in_order"
            )
        ]

    def __str__(self) -> str:
        return self.name
