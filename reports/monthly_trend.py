"""The twelve-month trend of the monthly win-back report (R6.1): per month, the round targets
contacted and held back, their uplift after one and after three months, the status moves of
the month's scoring run and the contacts logged. One grouped query over the targets (a round's
counts are cached once final), the stored run summaries and one grouped query over the
contacts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accounts.roles import sees_all_customers
from contacts.models import ContactLog
from core.local_time import local_moment
from core.months import add_months, month_start
from customers.models import visible_customers_q
from reports.monthly_calendar import FINAL_REPORT_SECONDS, WINDOW_MONTHS
from segmentation.summaries import run_summaries, status_changes
from winback.models import Round, Target, TargetGroup

#: Months in the trend table.
TREND_MONTHS = 12


@dataclass(frozen=True)
class TrendRow:
    month: dt.date
    contacted: int
    control: int
    uplift_1m: float | None
    uplift_3m: float | None
    back_from_lost: int | None
    newly_lost: int | None
    contacts: int


def monthly_trend(user: Any, month: dt.date) -> list[TrendRow]:
    """The :data:`TREND_MONTHS` months up to ``month``, oldest first, as ``user`` may see them."""
    first = add_months(month, -(TREND_MONTHS - 1))
    end = add_months(month, 1)
    months = [add_months(first, i) for i in range(TREND_MONTHS)]
    rounds = dict(
        Round.objects.filter(starts_on__gte=first, starts_on__lt=end).values_list("id", "starts_on")
    )
    aggregates: dict[str, Any] = {}
    for months_after in (1, 3):
        for group in TargetGroup.values:
            in_group = Q(group=group)
            aggregates[f"{group}_{months_after}m_n"] = Count(
                "id", filter=in_group & Q(**{f"returned_{months_after}m__isnull": False})
            )
            aggregates[f"{group}_{months_after}m_back"] = Count(
                "id", filter=in_group & Q(**{f"returned_{months_after}m": True})
            )
    aggregates["contacted"] = Count("id", filter=Q(group=TargetGroup.CONTACTED))
    aggregates["control"] = Count("id", filter=Q(group=TargetGroup.CONTROL))
    per_month: dict[dt.date, dict[str, int]] = {m: dict.fromkeys(aggregates, 0) for m in months}
    # A round's figures are final once its last horizon is measured: those are kept for a day,
    # so a report counts again only the rounds of the last few months.
    scope = "all" if sees_all_customers(user) else f"user-{user.pk}"
    keys = {pk: f"report:round-trend:{scope}:{pk}" for pk in rounds}
    cached = cache.get_many(list(keys.values()))
    counted: dict[int, dict[str, int]] = {
        pk: cached[key] for pk, key in keys.items() if key in cached
    }
    missing = [pk for pk in rounds if pk not in counted]
    if missing:
        rows = (
            Target.objects.filter(visible_customers_q(user), round_id__in=missing)
            .values("round_id")
            .annotate(**aggregates)
            .order_by()
        )
        fresh = {row.pop("round_id"): row for row in rows}
        today = timezone.localdate()
        for pk in missing:
            counted[pk] = fresh.get(pk, dict.fromkeys(aggregates, 0))
            if add_months(rounds[pk], WINDOW_MONTHS + 1) <= today:
                cache.set(keys[pk], counted[pk], FINAL_REPORT_SECONDS)
    for pk, row in counted.items():
        sums = per_month[month_start(rounds[pk])]
        for key in aggregates:
            sums[key] += row[key]
    contacts = {
        timezone.localtime(row["m"]).date(): row["n"]
        for row in ContactLog.objects.filter(
            visible_customers_q(user),
            contacted_at__gte=local_moment(first),
            contacted_at__lt=local_moment(end),
        )
        .annotate(m=TruncMonth("contacted_at"))
        .values("m")
        .annotate(n=Count("*"))
        .order_by()
    }
    moves = {}
    for summary in run_summaries(last=TREND_MONTHS + 1):
        if summary.get("previous_run") is not None:
            moves[dt.date.fromisoformat(f"{summary['month']}-01")] = status_changes(summary)

    def uplift(sums: dict[str, int], months_after: int) -> float | None:
        rates = []
        for group in (TargetGroup.CONTACTED, TargetGroup.CONTROL):
            measured = sums[f"{group}_{months_after}m_n"]
            if not measured:
                return None
            rates.append(sums[f"{group}_{months_after}m_back"] / measured)
        return 100 * (rates[0] - rates[1])

    trend = []
    for m in months:
        sums = per_month[m]
        move = moves.get(m)
        trend.append(
            TrendRow(
                month=m,
                contacted=sums["contacted"],
                control=sums["control"],
                uplift_1m=uplift(sums, 1),
                uplift_3m=uplift(sums, 3),
                back_from_lost=move["recovered"] if move else None,
                newly_lost=move["newly_lost"] if move else None,
                contacts=contacts.get(m, 0),
            )
        )
    return trend
