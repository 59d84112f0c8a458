"""Who the monthly win-back report counts as recovered (R6.1): lost or at-risk targets of the
work of the month or of the :data:`~reports.monthly_calendar.WINDOW_MONTHS` months before,
contacted (control: started) before the month ended, whose first return since then fell in the
month, and what they spent on service in the month. The figures count them; the Excel file
lists them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import (
    DateField,
    DecimalField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Greatest

from core.months import add_months
from customers.models import visible_customers_q
from reports.monthly_calendar import WINDOW_MONTHS, month_bounds
from segmentation.models import Status
from vehicles.models import Purchase, ServiceOrder, ServiceOrderLine
from winback.models import Campaign, Round, Target, TargetGroup

#: Score statuses of the customers the win-back work is for.
WINBACK_STATUSES = (Status.LOST, Status.AT_RISK)
_MONEY = DecimalField(max_digits=14, decimal_places=2)


def _returns(customer: str, start: Any, end: Any) -> tuple[Exists, Exists]:
    """Paid service visits and car purchases of ``OuterRef(customer)`` in ``[start, end)``."""
    visits = ServiceOrderLine.objects.filter(
        order__customer_id=OuterRef(customer),
        order__opened_on__gte=start,
        order__opened_on__lt=end,
        amount__gt=0,
    )
    purchases = Purchase.objects.filter(
        customer_id=OuterRef(customer), purchased_on__gte=start, purchased_on__lt=end
    )
    return Exists(visits), Exists(purchases)


def recovered_targets(*, user: Any, month: dt.date) -> QuerySet[Target]:
    """Targets (lost or at risk when chosen) of the work of ``month`` and the
    :data:`WINDOW_MONTHS` months before, first contacted (control: started) before the month
    ended, whose first return since then fell in ``month``. Both groups; a customer may appear
    once per target."""
    start, end = month_bounds(month)
    window = add_months(start, -WINDOW_MONTHS)
    rounds = Round.objects.filter(starts_on__gte=window, starts_on__lt=end).values("id")
    campaigns = Campaign.objects.filter(starts_on__gte=window, starts_on__lt=end).values("id")
    # The month's returners, read once (one uncorrelated set, so the database joins it): only
    # their targets reach the per-target checks below, not four months of rounds' targets.
    # (Orders alone: joining their lines to keep only paid ones costs twice the time here;
    # the per-target check below asks for a paid line.)
    visitors = (
        ServiceOrder.objects.filter(opened_on__gte=start, opened_on__lt=end)
        .values("customer_id")
        .order_by()
    )
    buyers = (
        Purchase.objects.filter(purchased_on__gte=start, purchased_on__lt=end)
        .values("customer_id")
        .order_by()
    )
    # A target first contacted inside the month counts the returns from that day on.
    since = Greatest(OuterRef("anchor_on"), Value(start), output_field=DateField())
    visit_in_month, bought_in_month = _returns("customer_id", since, end)
    visit_before, bought_before = _returns("customer_id", OuterRef("anchor_on"), start)
    return (
        Target.objects.filter(
            Q(round_id__in=rounds) | Q(campaign_id__in=campaigns),
            visible_customers_q(user),
            customer_id__in=visitors.union(buyers),
            score_status__in=WINBACK_STATUSES,
            anchor_on__lt=end,
        )
        .filter(visit_in_month | bought_in_month)
        .exclude(visit_before | bought_before)
    )


def month_spend(month: dt.date) -> Subquery:
    """What ``OuterRef("customer_id")`` spent on paid service lines in ``month``."""
    start, end = month_bounds(month)
    spend = (
        ServiceOrderLine.objects.filter(
            order__customer_id=OuterRef("customer_id"),
            order__opened_on__gte=start,
            order__opened_on__lt=end,
            amount__gt=0,
        )
        .values("order__customer_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Subquery(spend, output_field=_MONEY)


def recovered_figures(user: Any, month: dt.date) -> dict[str, Any]:
    """Counts of distinct customers and their spend, from one read of the recovered targets
    (a few thousand rows at a million customers: those of the month's returners who were
    targets), so the month's returners are found once."""
    rows = (
        recovered_targets(user=user, month=month)
        .annotate(month_spend=month_spend(month))
        .values_list("customer_id", "group", "score_status", "month_spend")
        .order_by()
    )
    contacted: dict[int, Decimal] = {}
    statuses: dict[str, set[int]] = {Status.LOST: set(), Status.AT_RISK: set()}
    control: set[int] = set()
    for customer_id, group, status, spend in rows.iterator(chunk_size=5000):
        if group == TargetGroup.CONTROL:
            control.add(customer_id)
            continue
        contacted[customer_id] = spend or Decimal("0")
        statuses.setdefault(status, set()).add(customer_id)
    return {
        "recovered": len(contacted),
        "lost": len(statuses[Status.LOST]),
        "at_risk": len(statuses[Status.AT_RISK]),
        "control": len(control),
        "revenue": sum(contacted.values(), Decimal("0")),
    }
