"""Interactions with customers: the contact log, satisfaction surveys and complaints.

- :class:`ContactLog`: every call, message and visit with its purpose, feedback and next step (R3.1).
- :class:`SatisfactionSurvey`: overall score and the five dimension scores on one scale (R3.2).
- :class:`Complaint` with :class:`ComplaintStatusChange`: category, promised response time,
  status history, resolution and whether the customer accepted it (R3.3). Most complaints grow
  from late replies, so the promise is stored and a missed one is visible and escalated.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from customers.models import Channel, Customer, SyncedModel
from customers.validators import validate_not_future_date, validate_not_future_datetime
from vehicles.models import ServiceOrder

#: Survey scores are whole numbers on this scale (inclusive).
SURVEY_SCALE = (1, 10)
_SCORE_VALIDATORS = [MinValueValidator(SURVEY_SCALE[0]), MaxValueValidator(SURVEY_SCALE[1])]
#: The five dimension scores of a survey (R3.2), besides the overall score.
SURVEY_DIMENSIONS = (
    "repair_quality",
    "price",
    "speed",
    "reception_attitude",
    "information_clarity",
)


class ContactChannel(models.TextChoices):
    """The customer channels plus a face-to-face talk in the showroom or workshop."""

    PHONE = Channel.PHONE.value, Channel.PHONE.label
    SMS = Channel.SMS.value, Channel.SMS.label
    EMAIL = Channel.EMAIL.value, Channel.EMAIL.label
    POST = Channel.POST.value, Channel.POST.label
    WECHAT = Channel.WECHAT.value, Channel.WECHAT.label
    VISIT_OFFICE = Channel.VISIT_OFFICE.value, Channel.VISIT_OFFICE.label
    VISIT_HOME = Channel.VISIT_HOME.value, Channel.VISIT_HOME.label
    IN_STORE = "in_store", _("In the store")


class ContactType(models.TextChoices):
    CARE_CALL = "care_call", _("Care call")
    MAINTENANCE_REMINDER = "maintenance_reminder", _("Maintenance reminder")
    SURVEY = "survey", _("Survey")
    COMPLAINT_FOLLOW_UP = "complaint_follow_up", _("Complaint follow-up")
    WIN_BACK = "win_back", _("Win-back")
    SALES_FOLLOW_UP = "sales_follow_up", _("Sales follow-up")
    EVENT_INVITATION = "event_invitation", _("Event invitation")


class ContactOutcome(models.TextChoices):
    REACHED = "reached", _("Reached")
    NO_ANSWER = "no_answer", _("No answer")
    CALL_BACK = "call_back", _("Asked to be called back")
    REFUSED = "refused", _("Refused to talk")
    WRONG_NUMBER = "wrong_number", _("Wrong number")


class ContactLog(SyncedModel):
    """One contact with a customer (R3.1)."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contact_logs"
    )
    contacted_at = models.DateTimeField(_("when"), validators=[validate_not_future_datetime])
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contact_logs",
    )
    channel = models.CharField(_("channel"), max_length=16, choices=ContactChannel.choices)
    contact_type = models.CharField(_("type"), max_length=24, choices=ContactType.choices)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=ContactOutcome.choices, default=ContactOutcome.REACHED
    )
    feedback = models.TextField(_("customer feedback"), blank=True)
    next_step = models.CharField(_("next step"), max_length=255, blank=True)
    next_step_due = models.DateField(_("next step due"), null=True, blank=True)

    class Meta(SyncedModel.Meta):
        verbose_name = _("contact log entry")
        verbose_name_plural = _("contact log")
        ordering = ["-contacted_at", "-id"]
        indexes = [
            *SyncedModel.Meta.indexes,
            models.Index(fields=["customer", "contacted_at"], name="contactlog_cust_idx"),
            # The month's effort per channel (the monthly report and its trend).
            models.Index(fields=["contacted_at", "channel"], name="contactlog_at_channel_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_contact_type_display()} · {self.get_channel_display()}"

    def clean(self) -> None:
        super().clean()
        if (
            self.next_step_due
            and self.contacted_at
            and self.next_step_due < timezone.localdate(self.contacted_at)
        ):
            raise ValidationError(
                {"next_step_due": _("The next step cannot be due before the contact.")}
            )


class SatisfactionSurvey(SyncedModel):
    """A satisfaction survey answer: overall score and five dimensions, 1–10 (R3.2)."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="surveys"
    )
    service_order = models.ForeignKey(
        ServiceOrder,
        verbose_name=_("service order"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="surveys",
    )
    surveyed_on = models.DateField(_("date"), validators=[validate_not_future_date])
    channel = models.CharField(
        _("channel"), max_length=16, choices=ContactChannel.choices, default=ContactChannel.PHONE
    )
    overall = models.PositiveSmallIntegerField(_("overall score"), validators=_SCORE_VALIDATORS)
    repair_quality = models.PositiveSmallIntegerField(
        _("repair quality"), null=True, blank=True, validators=_SCORE_VALIDATORS
    )
    price = models.PositiveSmallIntegerField(
        _("price"), null=True, blank=True, validators=_SCORE_VALIDATORS
    )
    speed = models.PositiveSmallIntegerField(
        _("speed"), null=True, blank=True, validators=_SCORE_VALIDATORS
    )
    reception_attitude = models.PositiveSmallIntegerField(
        _("reception attitude"), null=True, blank=True, validators=_SCORE_VALIDATORS
    )
    information_clarity = models.PositiveSmallIntegerField(
        _("information clarity"), null=True, blank=True, validators=_SCORE_VALIDATORS
    )
    comment = models.TextField(_("comment"), blank=True)

    class Meta(SyncedModel.Meta):
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        ordering = ["-surveyed_on", "-id"]
        constraints = [
            *SyncedModel.Meta.constraints,
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{f}__gte": SURVEY_SCALE[0], f"{f}__lte": SURVEY_SCALE[1]})
                    | Q(**{f"{f}__isnull": True}),
                    name=f"survey_{f}_on_scale",
                )
                for f in ("overall", *SURVEY_DIMENSIONS)
            ),
        ]
        indexes = [
            *SyncedModel.Meta.indexes,
            models.Index(fields=["customer", "surveyed_on"], name="survey_cust_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.overall}/{SURVEY_SCALE[1]} ({self.surveyed_on})"


class ComplaintCategory(models.TextChoices):
    SERVICE_ATTITUDE = "service_attitude", _("Service attitude")
    PUNCTUALITY = "punctuality", _("Punctuality / waiting")
    QUALITY = "quality", _("Repair quality")
    SPEED = "speed", _("Repair speed")
    PRICE = "price", _("Price")
    INFORMATION = "information", _("Unclear information")
    PRODUCT = "product", _("Vehicle / product defect")
    SALES = "sales", _("Sales process")
    OTHER = "other", _("Other")


class ComplaintStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    IN_PROGRESS = "in_progress", _("In progress")
    ESCALATED = "escalated", _("Escalated")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


#: Statuses in which the complaint still needs work.
UNRESOLVED_STATUSES = (
    ComplaintStatus.OPEN,
    ComplaintStatus.ACKNOWLEDGED,
    ComplaintStatus.IN_PROGRESS,
    ComplaintStatus.ESCALATED,
)
#: Hours to the first response promised when nobody sets another promise.
DEFAULT_RESPONSE_HOURS = 24
#: Statuses in which the complaint has its resolution.
RESOLVED_STATUSES = (ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED)


def complaint_promised_response_by(
    opened_at: dt.datetime | None, given: dt.datetime | None
) -> dt.datetime | None:
    """The promised first response time: the one given, else
    :data:`DEFAULT_RESPONSE_HOURS` after opening. ``Complaint.save()`` and the API's sync use it."""
    if given is not None or opened_at is None:
        return given
    return opened_at + dt.timedelta(hours=DEFAULT_RESPONSE_HOURS)


def complaint_resolved_at(
    status: str, given: dt.datetime | None, now: dt.datetime
) -> dt.datetime | None:
    """When a complaint was resolved: the time given, else ``now`` once its status is resolved
    or closed. ``Complaint.save()``, the API's sync and status changes use it."""
    if given or status not in RESOLVED_STATUSES:
        return given
    return now


class ComplaintQuerySet(models.QuerySet):
    def unresolved(self) -> ComplaintQuerySet:
        """Complaints still open, acknowledged, in progress or escalated."""
        return self.filter(status__in=UNRESOLVED_STATUSES)

    def response_overdue(self, now: dt.datetime | None = None) -> ComplaintQuerySet:
        """Unresolved complaints whose promised first response time passed without a response
        (R3.3). A resolved or closed complaint has had its answer and is never overdue."""
        now = now or timezone.now()
        return self.unresolved().filter(
            first_response_at__isnull=True, promised_response_by__lt=now
        )


class Complaint(SyncedModel):
    """A customer complaint with its promise, status history and resolution (R3.3)."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="complaints"
    )
    service_order = models.ForeignKey(
        ServiceOrder,
        verbose_name=_("service order"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="complaints",
    )
    opened_at = models.DateTimeField(_("opened at"), validators=[validate_not_future_datetime])
    category = models.CharField(_("category"), max_length=20, choices=ComplaintCategory.choices)
    description = models.TextField(_("description"))
    promised_response_by = models.DateTimeField(
        _("response promised by"),
        blank=True,
        help_text=format_lazy(
            _("Left empty: {hours} hours after opening."), hours=DEFAULT_RESPONSE_HOURS
        ),
    )
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ComplaintStatus.choices, default=ComplaintStatus.OPEN
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="handled_complaints",
    )
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    customer_accepted = models.BooleanField(
        _("customer accepted the resolution"), null=True, blank=True
    )

    objects = ComplaintQuerySet.as_manager()

    class Meta(SyncedModel.Meta):
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-opened_at", "-id"]
        indexes = [
            *SyncedModel.Meta.indexes,
            models.Index(fields=["customer", "opened_at"], name="complaint_cust_idx"),
            models.Index(fields=["status", "promised_response_by"], name="complaint_sla_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} · {self.get_status_display()}"

    @property
    def is_resolved(self) -> bool:
        return self.status not in UNRESOLVED_STATUSES

    @property
    def response_overdue(self) -> bool:
        """The complaint is unresolved and its promised first response time passed without a
        response."""
        return (
            not self.is_resolved
            and self.first_response_at is None
            and self.promised_response_by is not None
            and self.promised_response_by < timezone.now()
        )

    def clean(self) -> None:
        super().clean()
        errors: dict[str, Any] = {}
        if self.opened_at:
            if self.promised_response_by and self.promised_response_by < self.opened_at:
                errors["promised_response_by"] = _("The promise cannot be before the complaint.")
            if self.first_response_at and self.first_response_at < self.opened_at:
                errors["first_response_at"] = _("The response cannot be before the complaint.")
            if self.resolved_at and self.resolved_at < self.opened_at:
                errors["resolved_at"] = _("The resolution cannot be before the complaint.")
        if self.status in RESOLVED_STATUSES:
            if not self.resolution:
                errors["resolution"] = _("Describe the resolution before resolving.")
        elif self.customer_accepted is not None:
            errors["customer_accepted"] = _(
                "Acceptance is recorded once the complaint is resolved."
            )
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs) -> None:
        self.promised_response_by = complaint_promised_response_by(
            self.opened_at, self.promised_response_by
        )
        self.resolved_at = complaint_resolved_at(self.status, self.resolved_at, timezone.now())
        super().save(*args, **kwargs)


class ComplaintStatusChange(models.Model):
    """One step of a complaint's status history (R3.3)."""

    complaint = models.ForeignKey(
        Complaint,
        verbose_name=_("complaint"),
        on_delete=models.CASCADE,
        related_name="status_changes",
    )
    status = models.CharField(_("status"), max_length=16, choices=ComplaintStatus.choices)
    changed_at = models.DateTimeField(_("changed at"), validators=[validate_not_future_datetime])
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("complaint status change")
        verbose_name_plural = _("complaint status changes")
        ordering = ["complaint_id", "changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_status_display()} ({self.changed_at:%Y-%m-%d %H:%M})"
