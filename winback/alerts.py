"""Tasks an event creates at once, set-based: a customer worth a word is in the workshop now;
a complaint's promised response time passed (R3.3)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from contacts.models import Complaint
from customers.bulk import interpreted
from customers.models import ContactPreference
from segmentation.models import CustomerScore, Status
from segmentation.selectors import scoring_run_current
from vehicles.models import Purchase, ServiceOrder
from winback.models import URGENT_PRIORITY, Task, TaskKind, WinbackConfiguration
from winback.staff import managers_of

#: Days an alert task stays open: it is about today.
ALERT_OPEN_DAYS = 2


def in_the_workshop(opened_on: dt.date, today: dt.date) -> bool:
    """A service order opened today or yesterday is a visit; an older one is history being
    synced, and starts no alert."""
    return opened_on >= today - dt.timedelta(days=1)


def service_lane_alerts_create(
    *, orders: Sequence[tuple[int, dt.date]], now: dt.datetime | None = None
) -> int:
    """For service orders that just arrived (``(id, opened_on)`` pairs), a task due today for
    the customer's advisor when the customer is at risk or lost, sits in a 6+/7+ nine cell, or
    has a loan ending within the configured days: "the customer is in the workshop now". Orders
    that are history (:func:`in_the_workshop`) cost nothing; for the others one SELECT and one
    INSERT, whatever their number. A customer already holding an open workshop task gets no
    second. Returns how many tasks were created (none when ``SERVICE_LANE_ALERTS`` is off)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    visits = [pk for pk, opened_on in orders if in_the_workshop(opened_on, today)]
    if not visits or not django_settings.SERVICE_LANE_ALERTS:
        return 0
    settings = WinbackConfiguration.active_settings()
    run = scoring_run_current()
    score = CustomerScore.objects.filter(run=run, customer_id=OuterRef("customer_id"))
    cells = Q()
    for tier in settings.service_lane_cells:
        cells |= Q(nine_cell__startswith=f"{tier}/")
    worth = score.filter(Q(status__in=(Status.AT_RISK, Status.LOST)) | cells)
    loan = Purchase.objects.filter(
        customer_id=OuterRef("customer_id"),
        finance_end_date__gte=today,
        finance_end_date__lte=today + dt.timedelta(days=settings.service_lane_loan_days),
    )
    refuses = ContactPreference.objects.filter(
        customer_id=OuterRef("customer_id"), do_not_contact=True
    )
    alerted = Task.objects.open().filter(
        customer_id=OuterRef("customer_id"), kind=TaskKind.SERVICE_LANE
    )
    rows = (
        ServiceOrder.objects.filter(pk__in=visits, customer__sales_advisor__is_active=True)
        .filter(Exists(worth) | Exists(loan))
        .exclude(Exists(refuses))
        .exclude(Exists(alerted))
        .annotate(future_value=Subquery(score.values("future_value")[:1]))
        .values("id", "customer_id", "customer__sales_advisor_id", "future_value")
        .order_by("customer_id", "-id")
    )
    # The planner prices a 5,000-id IN list high enough to JIT-compile this small query
    # (about 40 ms a sync batch); it runs faster interpreted.
    with interpreted():
        rows = list(rows)
    tasks, seen = [], set()
    for row in rows:
        if row["customer_id"] in seen:
            continue
        seen.add(row["customer_id"])
        tasks.append(
            Task(
                customer_id=row["customer_id"],
                kind=TaskKind.SERVICE_LANE,
                service_order_id=row["id"],
                assignee_id=row["customer__sales_advisor_id"],
                due_on=today,
                due_at=now,
                channel="visit_office",
                priority=URGENT_PRIORITY + (row["future_value"] or 0),
                expires_on=today + dt.timedelta(days=ALERT_OPEN_DAYS),
                created_at=now,
                updated_at=now,
            )
        )
    # A workshop task another sync created since the SELECT is kept (one open per customer).
    Task.objects.bulk_create(tasks, ignore_conflicts=True)
    return len(tasks)


@transaction.atomic
def complaint_escalations_create(*, now: dt.datetime | None = None) -> int:
    """A task for the manager of whoever owns each complaint whose promised response time
    passed without a response (R3.3): the handler, else the customer's service-marketing
    owner, else their advisor. One open escalation per customer; set-based. Returns how many
    complaints are overdue."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    overdue = list(
        Complaint.objects.response_overdue(now)
        .order_by("customer_id", "promised_response_by")
        .values(
            "id",
            "customer_id",
            "handler_id",
            "customer__service_owner_id",
            "customer__sales_advisor_id",
        )
    )
    owners = {
        row["id"]: row["handler_id"]
        or row["customer__service_owner_id"]
        or row["customer__sales_advisor_id"]
        for row in overdue
    }
    managers = managers_of(owners.values())
    Task.objects.bulk_create(
        [
            Task(
                customer_id=row["customer_id"],
                kind=TaskKind.COMPLAINT_ESCALATION,
                complaint_id=row["id"],
                assignee_id=managers[owners[row["id"]]],
                due_on=today,
                due_at=now,
                channel="phone",
                priority=URGENT_PRIORITY,
                expires_on=today + dt.timedelta(days=ALERT_OPEN_DAYS),
                created_at=now,
                updated_at=now,
            )
            for row in overdue
            if managers[owners[row["id"]]] is not None
        ],
        ignore_conflicts=True,
    )
    return len(overdue)
