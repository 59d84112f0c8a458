"""What came back after the win-back work (R5.6), measured set-based.

Each target is measured from its anchor — the day of its first contact, or the round's start
for control targets and those never reached — at +1, +2 and +3 calendar months, each horizon
once it has passed: came back (a paid service visit or a car purchase), what was spent (service
lines), and at +3 months whether a car was bought, whether the spending matched the offer made
(a line in a category the offer covers) and how many non-monetary returns (R3.5 value events)
there were. Targets that share an anchor day are updated by one statement per horizon, so a
round costs a few dozen statements, not one per customer.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, DecimalField, Exists, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.months import add_months
from customers.models import ValueEvent
from vehicles.models import Purchase, ServiceOrderLine
from winback.models import Offer, Target

HORIZONS = (1, 2, 3)
_MONEY = DecimalField(max_digits=12, decimal_places=2)


def _lines(start: dt.date, end: dt.date):
    return ServiceOrderLine.objects.filter(
        order__customer_id=OuterRef("customer_id"),
        order__opened_on__gte=start,
        order__opened_on__lt=end,
        amount__gt=0,
    )


@transaction.atomic
def targets_measure(*, today: dt.date | None = None) -> int:
    """Fill in every horizon that has passed and is not measured yet; returns the number of
    (target, horizon) measurements written. Idempotent: a measured horizon is left alone."""
    today = today or timezone.localdate()
    written = 0
    for months in HORIZONS:
        returned = f"returned_{months}m"
        pending = Target.objects.filter(**{f"{returned}__isnull": True})
        anchors = pending.values_list("anchor_on", flat=True).distinct().order_by("anchor_on")
        for anchor in anchors:
            end = add_months(anchor, months)
            if end > today:
                break
            written += _measure(pending.filter(anchor_on=anchor), anchor, end, months)
    return written


def _measure(targets, start: dt.date, end: dt.date, months: int) -> int:
    lines = _lines(start, end)
    bought = Purchase.objects.filter(
        customer_id=OuterRef("customer_id"), purchased_on__gte=start, purchased_on__lt=end
    )
    spend = lines.values("order__customer_id").annotate(s=Sum("amount")).values("s")
    values = {
        f"returned_{months}m": Exists(lines) | Exists(bought),
        f"spend_{months}m": Coalesce(
            Subquery(spend, output_field=_MONEY), Value(Decimal("0"), output_field=_MONEY)
        ),
    }
    if months != HORIZONS[-1]:
        return targets.update(**values)
    events = (
        ValueEvent.objects.filter(
            customer_id=OuterRef("customer_id"), occurred_on__gte=start, occurred_on__lt=end
        )
        .values("customer_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    values["bought_car_3m"] = Exists(bought)
    values["value_events_3m"] = Coalesce(Subquery(events), Value(0))
    count = targets.filter(offer=None).update(**values)
    offered = targets.exclude(offer=None).values_list("offer_id", flat=True).distinct()
    for offer in Offer.objects.filter(pk__in=list(offered)):
        matched = lines.filter(category__in=offer.categories) if offer.categories else lines
        count += targets.filter(offer=offer).update(**values, offer_matched=Exists(matched))
    return count


def outcome_summary(targets) -> dict[str, dict[str, float | int | None]]:
    """Came-back rate and spend per group of measured targets, and the uplift the contacts
    caused (contacted minus control, in percentage points), for each horizon."""
    summary: dict[str, dict[str, float | int | None]] = {}
    for months in HORIZONS:
        returned = f"returned_{months}m"
        rows = (
            targets.exclude(**{f"{returned}__isnull": True})
            .values("group")
            .annotate(
                n=Count("id"),
                back=Count("id", filter=Q(**{returned: True})),
                spend=Sum(f"spend_{months}m"),
            )
        )
        by_group = {row["group"]: row for row in rows}
        entry: dict[str, float | int | None] = {}
        for group in ("contacted", "control"):
            row = by_group.get(group)
            entry[f"{group}_n"] = row["n"] if row else 0
            entry[f"{group}_rate"] = row["back"] / row["n"] if row and row["n"] else None
            entry[f"{group}_spend"] = float(row["spend"] or 0) if row else 0.0
        rates = entry["contacted_rate"], entry["control_rate"]
        entry["uplift_points"] = (
            100 * (rates[0] - rates[1]) if None not in rates else None  # type: ignore[operator]
        )
        summary[f"{months}m"] = entry
    return summary
