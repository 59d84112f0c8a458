"""Repurchase intent and the lead cadence (R5.7, R5.8).

A recorded intent (or a new inquiry) opens a lead. Its cadence, from the Deloitte practice the
seeds quote: the first call within 2 hours, the second within 48 hours, then follow-ups across
the ~90-day purchase cycle (most advisors drop a lead after 30 days although a quarter of the
leads still buy between day 30 and 90). Each call's task is created when the previous one is
closed; a lead untouched for 30 days puts a task on the owner's manager.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts.models import ContactLog
from customers.models import Customer
from vehicles.models import Brand, VehicleModel
from winback import scheduling
from winback.models import (
    URGENT_PRIORITY,
    Lead,
    LeadSource,
    LeadStatus,
    PurchaseIntent,
    PurchaseNecessity,
    PurchaseWindow,
    SkipReason,
    Task,
    TaskKind,
    TaskStatus,
    WinbackConfiguration,
)
from winback.staff import managers_of
from winback.work_settings import WorkSettings

#: Days a lead-cadence task stays open before it expires.
LEAD_TASK_OPEN_DAYS = 7


def _cadence(settings: WorkSettings) -> list[dt.timedelta]:
    """Delay from the lead's opening to each call of the cadence."""
    return [
        dt.timedelta(hours=settings.lead_first_call_hours),
        dt.timedelta(hours=settings.lead_second_call_hours),
        *(dt.timedelta(days=d) for d in settings.lead_follow_up_days),
    ]


@transaction.atomic
def purchase_intent_record(
    *,
    customer: Customer,
    by: Any,
    desire_strength: int,
    necessity: str,
    purchase_window: str,
    contact_log: ContactLog | None = None,
    intended_price: Decimal | None = None,
    wanted_brand: Brand | None = None,
    wanted_model: VehicleModel | None = None,
    objections: str = "",
    talking_points: str = "",
    at: dt.datetime | None = None,
) -> PurchaseIntent:
    """Record a customer's repurchase intent (R5.7). Unless the customer has no need and no
    plan to buy soon, it opens a lead with the customer's sales advisor (R5.8)."""
    at = at or timezone.now()
    intent = PurchaseIntent(
        customer=customer,
        contact_log=contact_log,
        recorded_at=at,
        recorded_by=by,
        desire_strength=desire_strength,
        necessity=necessity,
        purchase_window=purchase_window,
        intended_price=intended_price,
        wanted_brand=wanted_brand,
        wanted_model=wanted_model,
        objections=objections,
        talking_points=talking_points,
    )
    intent.full_clean()
    intent.save()
    idle = necessity == PurchaseNecessity.NONE and purchase_window == PurchaseWindow.LATER
    advisor = customer.sales_advisor
    owner = advisor if advisor is not None and advisor.is_active else by
    if not idle and owner is not None:
        lead_open(customer=customer, source=LeadSource.INTENT, owner=owner, intent=intent, at=at)
    return intent


@transaction.atomic
def lead_open(
    *,
    customer: Customer,
    source: str,
    owner: Any,
    intent: PurchaseIntent | None = None,
    note: str = "",
    at: dt.datetime | None = None,
) -> Lead:
    """Open a lead and its first call, due within the first-call hours (R5.8). A customer has
    at most one open lead: a second intent or inquiry joins the open one."""
    at = at or timezone.now()
    existing = Lead.objects.select_for_update().filter(customer=customer, status=LeadStatus.OPEN)
    lead = existing.first()
    if lead is not None:
        return lead
    if not owner.is_active:
        raise ValidationError({"owner": _("An inactive user cannot own a lead.")})
    lead = Lead(
        customer=customer, source=source, intent=intent, owner=owner, opened_at=at, note=note
    )
    lead.full_clean()
    lead.save()
    _cadence_task_create(lead, step=1, at=at)
    return lead


def _cadence_task_create(lead: Lead, *, step: int, at: dt.datetime) -> Task | None:
    settings = WinbackConfiguration.active_settings()
    cadence = _cadence(settings)
    if step > len(cadence) or scheduling.refuses_contact(lead.customer):
        return None
    channel = scheduling.channel_suggest(
        customer=lead.customer, settings=settings, wanted="phone", as_of=at
    )
    if channel is None:
        return None
    planned = max(lead.opened_at + cadence[step - 1], at)
    if step <= 2:
        due_on, window, due_at = timezone.localdate(planned), "", planned
    else:
        due_on, window, due_at = scheduling.due_for(
            customer=lead.customer, day=timezone.localdate(planned), settings=settings
        )
    return scheduling.task_create(
        customer=lead.customer,
        kind=TaskKind.LEAD_CADENCE,
        assignee=lead.owner,
        due_on=due_on,
        due_at=due_at,
        window=window,
        channel=channel,
        priority=URGENT_PRIORITY / 2**step,
        open_days=LEAD_TASK_OPEN_DAYS,
        now=at,
        lead=lead,
        step=step,
    )


def lead_touch(*, lead: Lead, task: Task, at: dt.datetime) -> Lead:
    """Count a contact on the lead and create its next call."""
    Lead.objects.filter(pk=lead.pk).update(touches=F("touches") + 1, last_touched_at=at)
    lead.refresh_from_db()
    if lead.status == LeadStatus.OPEN and task.kind == TaskKind.LEAD_CADENCE:
        _cadence_task_create(lead, step=(task.step or 1) + 1, at=at)
    return lead


@transaction.atomic
def lead_close(*, lead: Lead, status: str, by: Any, at: dt.datetime | None = None) -> Lead:
    """Close a lead as bought or lost; its open calls are skipped."""
    if status not in (LeadStatus.WON, LeadStatus.LOST):
        raise ValidationError({"status": _("A lead closes as bought or lost.")})
    at = at or timezone.now()
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.status != LeadStatus.OPEN:
        raise ValidationError(_("This lead is already closed."))
    lead.status, lead.closed_at = status, at
    lead.save(update_fields=["status", "closed_at"])
    Task.objects.open().filter(lead=lead).update(
        status=TaskStatus.SKIPPED,
        skip_reason=SkipReason.DUPLICATE,
        closed_at=at,
        closed_by=by,
        updated_at=at,
    )
    return lead


@transaction.atomic
def leads_dropped_alert(*, now: dt.datetime | None = None) -> int:
    """Tell the owner's manager about each open lead untouched for the configured days (R5.8),
    once per lead; set-based. Returns how many leads were reported."""
    now = now or timezone.now()
    settings = WinbackConfiguration.active_settings()
    cutoff = now - dt.timedelta(days=settings.lead_dropped_days)
    dropped = list(
        Lead.objects.filter(status=LeadStatus.OPEN, alerted_at=None)
        .annotate(touched=Coalesce("last_touched_at", "opened_at"))
        .filter(touched__lt=cutoff)
        .values("id", "customer_id", "owner_id", "touched")
    )
    if not dropped:
        return 0
    managers = managers_of(row["owner_id"] for row in dropped)
    # Without any active manager nobody can be told: those leads are reported on a later day.
    dropped = [row for row in dropped if managers[row["owner_id"]] is not None]
    today = timezone.localdate(now)
    Task.objects.bulk_create(
        [
            Task(
                customer_id=row["customer_id"],
                kind=TaskKind.LEAD_DROPPED,
                lead_id=row["id"],
                assignee_id=managers[row["owner_id"]],
                due_on=today,
                due_at=now,
                channel="phone",
                priority=URGENT_PRIORITY,
                expires_on=today + dt.timedelta(days=LEAD_TASK_OPEN_DAYS),
                created_at=now,
                updated_at=now,
            )
            for row in dropped
        ],
        ignore_conflicts=True,
    )
    return (
        Lead.objects.filter(pk__in=[row["id"] for row in dropped])
        .filter(Q(alerted_at=None))
        .update(alerted_at=now)
    )
