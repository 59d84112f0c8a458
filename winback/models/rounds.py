"""The work a round or a campaign generates (R5.1, R5.4-R5.6).

- :class:`Round`: one generation per scoring run, with its report (created, control, skipped by
  reason) and the settings it used.
- :class:`Target`: one customer a round (or a campaign) chose for one kind of work, contacted or
  held back as control, with the plan's progress, the churn reason learned, the offer made and
  the outcome +1/+2/+3 months later.
- :class:`Task`: one planned contact: why, who, when, which channel, how urgent, and how it
  ended.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contacts.models import Complaint, ContactLog
from customers.models import Channel, Customer, TimeWindow, visible_customers_q
from segmentation.models import RfmSegment, ScoringRun, Status
from vehicles.models import ServiceOrder
from winback.models.campaigns import Campaign
from winback.models.choices import (
    MONEY,
    ChurnReason,
    PlanStatus,
    SkipReason,
    TargetGroup,
    TaskKind,
    TaskStatus,
)
from winback.models.configuration import ContactPlan, GenerationRule, Offer


class Round(models.Model):
    """One generation of work from one scoring run: the lock, the settings it used and its
    report. A round exists once per run, so generating twice creates nothing new."""

    run = models.OneToOneField(
        ScoringRun, verbose_name=_("scoring run"), on_delete=models.CASCADE, related_name="round"
    )
    starts_on = models.DateField(_("work starts on"))
    generated_at = models.DateTimeField(_("generated at"), auto_now_add=True)
    settings = models.JSONField(_("settings used"), default=dict, blank=True)
    report = models.JSONField(
        _("report"),
        default=dict,
        blank=True,
        help_text=_("Per rule: candidates, tasks created, control group, skipped by reason."),
    )
    timings = models.JSONField(
        _("timings (s)"),
        default=dict,
        blank=True,
        help_text=_("Seconds spent reading, planning and writing, and in all."),
    )

    class Meta:
        verbose_name = _("win-back round")
        verbose_name_plural = _("win-back rounds")
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return f"{self.run} → {self.starts_on}"


class Target(models.Model):
    """A customer a round (or a campaign) chose for one kind of work (R5.6): contacted, or held
    back as control.

    A round writes up to a million targets at once, so their references are not database
    foreign keys: PostgreSQL would check and lock the referenced row of every new row at commit
    (half the time of a round at a million customers). The round writes only ids it just read,
    and the ORM keeps each reference's ``on_delete`` behaviour.

    The score that caused it is copied here (a rerun of the month replaces the scores, not what
    was decided from them). Outcomes are measured from the first contact (control and
    uncontacted targets: from the round's start) at +1, +2 and +3 months, each once its month
    has passed.
    """

    round = models.ForeignKey(
        Round,
        verbose_name=_("round"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="targets",
        db_index=False,
        db_constraint=False,
    )
    # A target comes from a round or from a campaign; the partial unique index below serves
    # the campaign's reads, so the column needs no index of its own.
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="targets",
        db_index=False,
        db_constraint=False,
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    rule = models.ForeignKey(
        GenerationRule,
        verbose_name=_("rule"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,
        db_constraint=False,
    )
    kind = models.CharField(_("kind"), max_length=24, choices=TaskKind.choices)
    group = models.CharField(_("group"), max_length=12, choices=TargetGroup.choices)
    plan = models.ForeignKey(
        ContactPlan,
        verbose_name=_("plan"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,
        db_constraint=False,
    )
    plan_status = models.CharField(_("plan status"), max_length=12, choices=PlanStatus.choices)
    priority = models.FloatField(_("priority"))
    # The score that caused it.
    score_status = models.CharField(_("churn status"), max_length=8, choices=Status.choices)
    churn_score = models.FloatField(_("churn score"))
    future_value = models.FloatField(_("future value"))
    value_tier = models.SmallIntegerField(_("value tier"), null=True, blank=True)
    nine_cell = models.CharField(_("nine cell"), max_length=16, blank=True)
    rfm_segment = models.CharField(_("RFM segment"), max_length=24, choices=RfmSegment.choices)
    # What the contacts learned and offered.
    first_contact_at = models.DateTimeField(_("first contact"), null=True, blank=True)
    anchor_on = models.DateField(
        _("measured from"),
        help_text=_("The day of the first contact; the round's start until there is one."),
    )
    churn_reason = models.CharField(
        _("churn reason"), max_length=24, choices=ChurnReason.choices, blank=True
    )
    offer = models.ForeignKey(
        Offer,
        verbose_name=_("offer made"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,
    )
    # Outcomes (R5.6): cumulative from the anchor to +1, +2, +3 months; empty until measured.
    returned_1m = models.BooleanField(_("came back within 1 month"), null=True, blank=True)
    returned_2m = models.BooleanField(_("came back within 2 months"), null=True, blank=True)
    returned_3m = models.BooleanField(_("came back within 3 months"), null=True, blank=True)
    spend_1m = models.DecimalField(_("spent within 1 month"), null=True, blank=True, **MONEY)
    spend_2m = models.DecimalField(_("spent within 2 months"), null=True, blank=True, **MONEY)
    spend_3m = models.DecimalField(_("spent within 3 months"), null=True, blank=True, **MONEY)
    bought_car_3m = models.BooleanField(_("bought a car within 3 months"), null=True, blank=True)
    offer_matched = models.BooleanField(_("spending matched the offer"), null=True, blank=True)
    value_events_3m = models.PositiveIntegerField(
        _("non-monetary returns within 3 months"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("round target")
        verbose_name_plural = _("round targets")
        ordering = ["round_id", "-priority", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "customer", "kind"], name="target_one_per_round_customer_kind"
            ),
            models.UniqueConstraint(
                fields=["campaign", "customer"],
                condition=Q(campaign__isnull=False),
                name="target_one_per_campaign_customer",
            ),
            models.CheckConstraint(
                condition=Q(round__isnull=True) | Q(campaign__isnull=True),
                name="target_of_round_or_campaign",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "kind"], name="target_customer_kind"),
            # The morning's outcome measurement reads the targets still to be measured.
            models.Index(
                fields=["anchor_on"],
                condition=Q(returned_3m__isnull=True),
                name="target_unmeasured",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.customer_id} ({self.get_group_display()})"


class TaskQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> TaskQuerySet:
        """Tasks of the customers ``user`` may see (``Customer.objects.visible_to``)."""
        return self.filter(visible_customers_q(user))

    def open(self) -> TaskQuerySet:
        """Tasks still to be worked."""
        return self.filter(status=TaskStatus.OPEN)

    def due_by(self, day: Any) -> TaskQuerySet:
        """Open tasks due on or before ``day`` (today's and overdue ones)."""
        return self.open().filter(due_on__lte=day)

    def assigned_to(self, user: Any) -> TaskQuerySet:
        """Tasks whose assignee is ``user``."""
        return self.filter(assignee=user)

    def by_priority(self) -> TaskQuerySet:
        """Most urgent first: priority, then the earliest due, then the oldest."""
        return self.order_by("-priority", "due_at", "id")


class Task(models.Model):
    """One planned contact with a customer (R5.1): why, who, when, how, and how it ended.

    At most one open task per customer and kind (a partial unique constraint); a closed task
    names the contact log entry that closed it. The references a round writes in bulk
    (customer, target, run, assignee) are not database foreign keys, for the reason given on
    :class:`Target`; the ORM keeps their ``on_delete`` behaviour.
    """

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="tasks",
        db_index=False,
        db_constraint=False,
    )
    kind = models.CharField(_("kind"), max_length=24, choices=TaskKind.choices)
    target = models.ForeignKey(
        Target,
        verbose_name=_("round target"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
        db_constraint=False,
    )
    run = models.ForeignKey(
        ScoringRun,
        verbose_name=_("scoring run"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    step = models.PositiveSmallIntegerField(_("plan step"), null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        related_name="followup_tasks",
        db_index=False,
        db_constraint=False,
    )
    due_on = models.DateField(_("due on"))
    due_at = models.DateTimeField(_("due at"), help_text=_("Start of the time window."))
    window = models.CharField(
        _("time window"), max_length=16, choices=TimeWindow.choices, blank=True
    )
    expires_on = models.DateField(
        _("expires on"), help_text=_("Not done by then, the task expires.")
    )
    channel = models.CharField(_("suggested channel"), max_length=16, choices=Channel.choices)
    priority = models.FloatField(_("priority"))
    note = models.CharField(_("why"), max_length=255, blank=True)
    script = models.TextField(_("script"), blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    skip_reason = models.CharField(
        _("skipped because"), max_length=20, choices=SkipReason.choices, blank=True
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    contact_log = models.OneToOneField(
        ContactLog,
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="task",
    )
    churn_reason = models.CharField(
        _("churn reason"), max_length=24, choices=ChurnReason.choices, blank=True
    )
    offer = models.ForeignKey(
        Offer,
        verbose_name=_("offer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,
    )
    lead = models.ForeignKey(
        "Lead",
        verbose_name=_("lead"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tasks",
        db_index=False,
    )
    complaint = models.ForeignKey(
        Complaint,
        verbose_name=_("complaint"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        db_index=False,
    )
    service_order = models.ForeignKey(
        ServiceOrder,
        verbose_name=_("service order"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # Set by the services (not auto_now): generation and the demo write past times in bulk.
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up task")
        verbose_name_plural = _("follow-up tasks")
        ordering = ["-priority", "due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind"],
                condition=Q(status="open"),
                name="task_one_open_per_customer_kind",
            )
        ]
        indexes = [
            # The advisor's daily list: own open tasks, most urgent first, read in index order
            # until the page is full (tasks not yet due are skipped on the way).
            models.Index(
                fields=["assignee", "-priority", "due_at", "id"],
                condition=Q(status="open"),
                name="task_open_assignee_priority",
            ),
            models.Index(fields=["customer", "created_at"], name="task_customer_created"),
            models.Index(fields=["updated_at", "id"], name="task_upd"),
            # The morning's expiry.
            models.Index(
                fields=["expires_on"], condition=Q(status="open"), name="task_open_expires"
            ),
            # Tasks an event created, found by their event; most tasks have none, so the
            # indexes are partial (a bulk write of a round maintains none of them).
            models.Index(fields=["lead"], condition=Q(lead__isnull=False), name="task_lead"),
            models.Index(
                fields=["complaint"], condition=Q(complaint__isnull=False), name="task_complaint"
            ),
            models.Index(
                fields=["service_order"],
                condition=Q(service_order__isnull=False),
                name="task_service_order",
            ),
            # The week strip of /today/: a user's open tasks and planned visits per due day.
            models.Index(
                fields=["assignee", "due_on", "channel"],
                condition=Q(status="open"),
                name="task_open_assignee_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.customer_id} · {self.due_on}"
