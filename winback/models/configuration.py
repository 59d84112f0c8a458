"""What a manager edits to steer the follow-up work (R5.1-R5.3, R5.5).

- :class:`GenerationRule` and :class:`ContactPlan` / :class:`ContactPlanStep`: which scored
  customers (status, value tier, nine cell, RFM segment, a churn indicator, or an event such as
  a loan ending) get which multi-step plan (R5.1, R5.3).
- :class:`WinbackConfiguration`: the never-spam limits, control-group share and cadences (R5.2).
- :class:`Offer`: packages fitted to a customer's spending, offered per churn reason (R5.5).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.models import Channel, validate_choice_list
from segmentation.models import ActiveConfiguration, ChurnIndicator, RfmSegment, Status
from vehicles.models import LineCategory
from winback.models.choices import (
    MONEY,
    NINE_CELLS,
    PLANNED_KINDS,
    AssignTo,
    ChurnReason,
    OfferKind,
    RunKindFilter,
    SpendType,
    TaskKind,
    Trigger,
)
from winback.work_settings import WorkSettings


class ContactPlan(models.Model):
    """A multi-step contact plan: 1st, 2nd, 3rd contact with their channels and spacing (R5.3).

    The next step is created when the previous one ends unanswered; after the last step the
    plan ends and the customer waits for the next round — a third unanswered contact is never
    followed by a fourth.
    """

    name = models.CharField(_("name"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("contact plan")
        verbose_name_plural = _("contact plans")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ContactPlanStep(models.Model):
    plan = models.ForeignKey(
        ContactPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="steps"
    )
    number = models.PositiveSmallIntegerField(
        _("step"), validators=[MinValueValidator(1), MaxValueValidator(3)]
    )
    channel = models.CharField(
        _("channel"),
        max_length=16,
        choices=Channel.choices,
        blank=True,
        help_text=_(
            "Empty: the customer's preferred channel. A channel the customer opted out of or "
            "dislikes is replaced by their best allowed one."
        ),
    )
    days_after_previous = models.PositiveSmallIntegerField(
        _("days after the previous step"),
        default=0,
        validators=[MaxValueValidator(90)],
        help_text=_("For step 1: days after the round starts."),
    )
    open_days = models.PositiveSmallIntegerField(
        _("days open"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("A task not done this many days after it is due expires."),
    )
    script = models.TextField(
        _("script"), blank=True, help_text=_("What to say: the talking points of this step.")
    )

    class Meta:
        verbose_name = _("contact plan step")
        verbose_name_plural = _("contact plan steps")
        ordering = ["plan_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="planstep_one_per_number")
        ]

    def __str__(self) -> str:
        return str(_("Step %(n)s of %(plan)s") % {"n": self.number, "plan": self.plan})


class GenerationRule(models.Model):
    """Which customers get which kind of work and plan: rules are data a manager edits (R5.1).

    A customer is a candidate of a rule when the trigger fires and every filter that is set
    matches (an empty list matches everything). Each round applies every active rule; the
    never-spam limits then decide who is contacted (R5.2).
    """

    name = models.CharField(_("name"), max_length=80, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(
        _("position"), default=10, help_text=_("Rules are listed and applied in this order.")
    )
    kind = models.CharField(_("task kind"), max_length=24, choices=TaskKind.choices)
    run_kind = models.CharField(
        _("applies to"), max_length=8, choices=RunKindFilter.choices, default=RunKindFilter.MONTHLY
    )
    trigger = models.CharField(
        _("trigger"), max_length=20, choices=Trigger.choices, default=Trigger.SCORE
    )
    trigger_days = models.PositiveSmallIntegerField(
        _("trigger window (days)"),
        default=90,
        help_text=_("Loan ending within / complaint resolved within this many days."),
    )
    statuses = models.JSONField(
        _("churn statuses"), default=list, blank=True, help_text=_("Empty: any status.")
    )
    value_tiers = models.JSONField(
        _("value tiers"), default=list, blank=True, help_text=_("1 (most valuable) to 5.")
    )
    nine_cells = models.JSONField(
        _("nine cells"), default=list, blank=True, help_text=_("e.g. “7+/low”.")
    )
    rfm_segments = models.JSONField(_("RFM segments"), default=list, blank=True)
    min_churn_score = models.FloatField(
        _("minimum churn score"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    indicator = models.CharField(
        _("churn indicator"),
        max_length=24,
        blank=True,
        choices=ChurnIndicator.choices,
        help_text=_("With a minimum: only customers whose sub-score reaches it."),
    )
    indicator_min = models.FloatField(
        _("indicator minimum"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    exclude_low_mileage = models.BooleanField(
        _("exclude low mileage"),
        default=False,
        help_text=_("Leave out customers who drive little (weaker replacement need)."),
    )
    assign_to = models.CharField(
        _("assign to"), max_length=16, choices=AssignTo.choices, default=AssignTo.SALES_ADVISOR
    )
    plan = models.ForeignKey(
        ContactPlan, verbose_name=_("contact plan"), on_delete=models.PROTECT, related_name="rules"
    )
    priority_weight = models.FloatField(
        _("priority weight"), default=1.0, validators=[MinValueValidator(0)]
    )
    measure_uplift = models.BooleanField(
        _("keep a control group"),
        default=False,
        help_text=_("Hold back a random share of the targets, uncontacted, to measure uplift."),
    )
    cooldown_days = models.PositiveSmallIntegerField(
        _("cool-down (days)"),
        default=60,
        help_text=_(
            "A customer whose plan of this kind ended answered or refused this recently is "
            "left alone; unanswered customers enter the next round."
        ),
    )

    class Meta:
        verbose_name = _("generation rule")
        verbose_name_plural = _("generation rules")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        validate_choice_list(self.statuses, list(Status.values), "statuses")
        validate_choice_list(self.value_tiers, ["1", "2", "3", "4", "5"], "value_tiers")
        validate_choice_list(self.nine_cells, NINE_CELLS, "nine_cells")
        validate_choice_list(self.rfm_segments, list(RfmSegment.values), "rfm_segments")
        if bool(self.indicator) != (self.indicator_min is not None):
            raise ValidationError(
                {"indicator_min": _("Name an indicator and its minimum together.")}
            )
        if self.kind not in PLANNED_KINDS:
            raise ValidationError(
                {"kind": _("Rules plan outreach; this kind is created by its event.")}
            )


def _default_work_settings() -> dict[str, Any]:
    return WorkSettings().to_dict()


class WinbackConfiguration(ActiveConfiguration):
    """The limits and cadences in force (never spam, control share, leads); the active row is
    used by the next round, which keeps a copy."""

    settings_class = WorkSettings
    settings = models.JSONField(
        _("settings"),
        default=_default_work_settings,
        help_text=_("Keys missing here take their defaults."),
    )

    class Meta:
        verbose_name = _("win-back configuration")
        verbose_name_plural = _("win-back configurations")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_winback_config"
            )
        ]


class Offer(models.Model):
    """A package the department may offer (R5.5): never an ad-hoc discount, always a package
    fitted to how the customer spends (type, yearly amount, visits a year) that keeps them
    coming back."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=OfferKind.choices)
    description = models.TextField(_("what it contains"), blank=True)
    price = models.DecimalField(_("price"), null=True, blank=True, **MONEY)
    visits_included = models.PositiveSmallIntegerField(_("visits included"), default=0)
    categories = models.JSONField(
        _("spending categories covered"),
        default=list,
        blank=True,
        help_text=_("A later visit with a line of these categories matches the offer."),
    )
    reasons = models.JSONField(
        _("churn reasons it answers"), default=list, blank=True, help_text=_("Empty: any.")
    )
    spend_type = models.CharField(
        _("fits spending"), max_length=16, choices=SpendType.choices, default=SpendType.ANY
    )
    min_annual_spend = models.DecimalField(_("from yearly spend"), default=0, **MONEY)
    max_annual_spend = models.DecimalField(_("up to yearly spend"), null=True, blank=True, **MONEY)
    min_visits_per_year = models.FloatField(
        _("from visits a year"), default=0, validators=[MinValueValidator(0)]
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["kind", "min_annual_spend", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        validate_choice_list(self.categories, list(LineCategory.values), "categories")
        validate_choice_list(self.reasons, list(ChurnReason.values), "reasons")
        if self.max_annual_spend is not None and self.max_annual_spend < self.min_annual_spend:
            raise ValidationError({"max_annual_spend": _("The range is upside down.")})
