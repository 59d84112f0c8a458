"""The manager's monthly win-back report (R6.1): what the work of one calendar month brought
back, what it cost, whether it beat the control group, and whether each campaign and each kind
of rule-based work is worth continuing.

A month's *work* is the rounds whose work starts in the month (the monthly round made from the
previous month's scores, and the daily early-warning rounds) and the campaigns whose period
overlaps it. Its figures:

- **recovered**: lost or at-risk customers, targets of the work of the month or of the three
  months before (the measurement window of R5.6), contacted, who came back (a paid service
  visit or a car purchase, as :mod:`winback.outcomes` counts a return) for the first time since
  their first contact in this month; control targets who did the same are counted apart;
- **revenue recovered**: what those customers spent on service in the month;
- **status moves** from the month's scoring run (:func:`segmentation.summaries.status_changes`):
  lost customers scored active or at risk again, and the newly lost;
- **effort**: contacts logged in the month per channel, and the hours they took at
  :data:`MINUTES_PER_CONTACT` (named on the page);
- **cost**: offers made to the month's targets, taken up (later spending matched the offer) and
  the price of the packages taken up;
- **uplift**: what :func:`winback.outcomes.outcome_summary` gives for the month's round
  targets, all and per task kind, judged by :func:`winback.campaign_results.campaign_verdict` (the
  sizes, offers and outcomes come from one grouped pass over the targets, not one per figure);
  per campaign :func:`winback.campaign_results.campaign_progress` and the same verdict;
- **trend**: the last twelve months in one grouped query over the targets, the stored run
  summaries and one grouped query over the contacts.

Every figure is an aggregate query filtered by indexed columns: targets by their round or
campaign (the unique indexes lead with them), service orders and purchases by customer and
date, contacts by time. The query count does not grow with the data: about twenty, plus one
per campaign of the month; the result is cached for ten minutes (a day once final).

This module counts the month and assembles :class:`MonthlyReport`; the months and the cache
lifetimes are in :mod:`reports.monthly_calendar`, who counts as recovered in
:mod:`reports.monthly_recovered`, the trend in :mod:`reports.monthly_trend` and the Excel file in
:mod:`reports.monthly_workbook`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from accounts.roles import ROLES_SEEING_ALL, sees_all_customers
from contacts.models import ContactChannel, ContactLog
from core.local_time import local_moment
from core.months import add_months, month_start
from customers.bulk import interpreted
from customers.models import visible_customers_q
from reports.monthly_calendar import (
    FINAL_REPORT_SECONDS,
    REPORT_SECONDS,
    WINDOW_MONTHS,
    month_bounds,
    report_months,
)
from reports.monthly_recovered import recovered_figures
from reports.monthly_trend import TrendRow, monthly_trend
from segmentation.models import RunKind, ScoringRun
from segmentation.summaries import run_summary, status_changes
from winback.campaign_results import campaign_progress, campaign_verdict
from winback.models import Campaign, CampaignStatus, Round, Target, TargetGroup, TaskKind
from winback.outcomes import HORIZONS

#: Minutes a contact takes on each channel (talking, preparing and logging it): the effort
#: estimate of the report, named in its footnote.
MINUTES_PER_CONTACT: dict[str, int] = {
    ContactChannel.PHONE: 8,
    ContactChannel.SMS: 2,
    ContactChannel.EMAIL: 5,
    ContactChannel.POST: 10,
    ContactChannel.WECHAT: 5,
    ContactChannel.VISIT_OFFICE: 60,
    ContactChannel.VISIT_HOME: 90,
    ContactChannel.IN_STORE: 15,
}


@dataclass(frozen=True)
class ChannelEffort:
    channel: str
    contacts: int
    minutes_each: int

    @property
    def hours(self) -> float:
        return self.contacts * self.minutes_each / 60


@dataclass(frozen=True)
class Verdict:
    code: str
    label: str
    reason: str


@dataclass(frozen=True)
class KindResult:
    """The month's round targets of one task kind: groups, outcomes and verdict."""

    kind: str
    contacted: int
    control: int
    outcomes: dict[str, dict[str, Any]]
    verdict: Verdict

    @property
    def judged(self) -> dict[str, Any] | None:
        """The longest horizon measured (what the row shows)."""
        return _longest_measured(self.outcomes)


@dataclass(frozen=True)
class CampaignResult:
    campaign: Campaign
    progress: dict[str, Any]
    verdict: Verdict

    @property
    def judged(self) -> dict[str, Any] | None:
        return _longest_measured(self.progress)


@dataclass(frozen=True)
class MonthlyReport:
    """Everything the page and the Excel file show about one month."""

    month: dt.date
    rounds: list[Round]
    recovered: int
    recovered_lost: int
    recovered_at_risk: int
    control_returned: int
    revenue_recovered: Decimal
    status_moves: dict[str, int] | None
    contacted: int
    control: int
    effort: list[ChannelEffort]
    offers_made: int
    offers_taken_up: int
    offers_value: Decimal
    outcomes: dict[str, dict[str, Any]]
    verdict: Verdict
    kinds: list[KindResult]
    campaigns: list[CampaignResult]
    trend: list[TrendRow] = field(default_factory=list)
    counted_at: dt.datetime | None = None

    @property
    def contacts(self) -> int:
        return sum(e.contacts for e in self.effort)

    @property
    def hours(self) -> float:
        return sum(e.hours for e in self.effort)

    @property
    def newly_lost(self) -> int | None:
        return self.status_moves["newly_lost"] if self.status_moves else None

    @property
    def back_from_lost(self) -> int | None:
        return self.status_moves["recovered"] if self.status_moves else None

    @property
    def judged(self) -> dict[str, Any] | None:
        return _longest_measured(self.outcomes)

    @property
    def revenue_per_hour(self) -> Decimal | None:
        hours = self.hours
        return self.revenue_recovered / Decimal(str(round(hours, 4))) if hours else None


def _longest_measured(summary: dict[str, Any]) -> dict[str, Any] | None:
    """The entry of the longest horizon with both groups measured, with its ``months``."""
    for months in reversed(HORIZONS):
        entry = summary.get(f"{months}m") or {}
        if entry.get("contacted_n") and entry.get("control_n"):
            return {**entry, "months": months}
    return None


def _effort(user: Any, month: dt.date) -> list[ChannelEffort]:
    start, end = month_bounds(month)
    rows = (
        ContactLog.objects.filter(
            visible_customers_q(user),
            contacted_at__gte=local_moment(start),
            contacted_at__lt=local_moment(end),
        )
        .values("channel")
        # COUNT(*): the (contacted_at, channel) index answers it alone.
        .annotate(n=Count("*"))
        .order_by()
    )
    by_channel = {row["channel"]: row["n"] for row in rows}
    return [
        ChannelEffort(channel=channel, contacts=by_channel.get(channel, 0), minutes_each=minutes)
        for channel, minutes in MINUTES_PER_CONTACT.items()
        if by_channel.get(channel)
    ]


_COUNTED = ("n", "offers", "offers_taken_up", "offers_value") + tuple(
    f"{what}_{months}m" for months in HORIZONS for what in ("measured", "back", "spend")
)


@dataclass(frozen=True)
class _MonthTargets:
    """The month's round targets counted in one pass: per task kind and group."""

    by_kind: dict[str, dict[str, dict[str, Any]]]

    def groups(self, kind: str | None = None) -> dict[str, int]:
        return {group: row["n"] for group, row in self._rows(kind).items()}

    def total(self, key: str) -> Any:
        return sum(row[key] or 0 for kind in self.by_kind for row in self.by_kind[kind].values())

    def outcomes(self, kind: str | None = None) -> dict[str, dict[str, Any]]:
        """Exactly what :func:`winback.outcomes.outcome_summary` gives for the same targets
        (all of them, or one kind's)."""
        by_group = self._rows(kind)
        summary: dict[str, dict[str, Any]] = {}
        for months in HORIZONS:
            entry: dict[str, Any] = {}
            for group in (TargetGroup.CONTACTED, TargetGroup.CONTROL):
                row = by_group.get(group)
                measured = row[f"measured_{months}m"] if row else 0
                entry[f"{group}_n"] = measured
                entry[f"{group}_rate"] = row[f"back_{months}m"] / measured if measured else None
                entry[f"{group}_spend"] = float(row[f"spend_{months}m"] or 0) if row else 0.0
            rates = entry["contacted_rate"], entry["control_rate"]
            entry["uplift_points"] = 100 * (rates[0] - rates[1]) if None not in rates else None
            summary[f"{months}m"] = entry
        return summary

    def kinds(self) -> list[str]:
        order = list(TaskKind.values)
        return sorted(self.by_kind, key=lambda k: order.index(k) if k in order else len(order))

    def _rows(self, kind: str | None) -> dict[str, dict[str, Any]]:
        if kind is not None:
            return self.by_kind.get(kind, {})
        summed: dict[str, dict[str, Any]] = {}
        for rows in self.by_kind.values():
            for group, row in rows.items():
                into = summed.setdefault(group, dict.fromkeys(_COUNTED, 0))
                for key in _COUNTED:
                    into[key] += row[key] or 0
        return summed


def _month_targets_count(targets: QuerySet[Target]) -> _MonthTargets:
    """One grouped query over the month's targets (by kind and group): sizes, offers made and
    taken up, and per horizon the targets measured, those back and their spend — instead of a
    pass per figure over half a million rows."""
    aggregates: dict[str, Any] = {
        "n": Count("id"),
        "offers": Count("id", filter=Q(offer__isnull=False)),
        "offers_taken_up": Count("id", filter=Q(offer__isnull=False, offer_matched=True)),
        "offers_value": Sum("offer__price", filter=Q(offer_matched=True)),
    }
    for months in HORIZONS:
        returned = f"returned_{months}m"
        aggregates[f"measured_{months}m"] = Count("id", filter=Q(**{f"{returned}__isnull": False}))
        aggregates[f"back_{months}m"] = Count("id", filter=Q(**{returned: True}))
        aggregates[f"spend_{months}m"] = Sum(f"spend_{months}m")
    by_kind: dict[str, dict[str, dict[str, Any]]] = {}
    for row in targets.values("kind", "group").annotate(**aggregates).order_by():
        by_kind.setdefault(row["kind"], {})[row["group"]] = row
    return _MonthTargets(by_kind=by_kind)


def _verdict(summary: dict[str, Any]) -> Verdict:
    code, label, reason = campaign_verdict(summary)
    return Verdict(code=code, label=label, reason=reason)


def _month_run(month: dt.date) -> ScoringRun | None:
    return (
        ScoringRun.objects.current()
        .filter(kind=RunKind.MONTHLY, month=month)
        .only("id", "month", "kind", "summary", "settings")
        .first()
    )


def monthly_report(
    *, user: Any, month: dt.date, today: dt.date | None = None, fresh: bool = False
) -> MonthlyReport:
    """The report of ``month`` (its first day) as ``user`` may see it (``visible_to``).

    At a million customers the figures aggregate millions of targets, so a report is kept in
    Django's cache (:attr:`MonthlyReport.counted_at` says when it was counted): for
    :data:`REPORT_SECONDS` while its outcomes may still be measured (the month and the
    :data:`WINDOW_MONTHS` + 1 after it), for :data:`FINAL_REPORT_SECONDS` once they are final.
    ``fresh`` counts again."""
    month = month_start(month)
    today = today or timezone.localdate()
    scope = "all" if sees_all_customers(user) else f"user-{user.pk}"
    key = f"report:monthly:{scope}:{month:%Y-%m}"
    report = None if fresh else cache.get(key)
    if report is None:
        with interpreted():
            report = _monthly_report_build(user, month)
        final = add_months(month, WINDOW_MONTHS + 2) <= month_start(today)
        cache.set(key, report, FINAL_REPORT_SECONDS if final else REPORT_SECONDS)
    return report


def monthly_reports_refresh(*, today: dt.date | None = None, months: int = 2) -> list[dt.date]:
    """Count the latest ``months`` reports again into the cache, as read by the users who see
    every customer: for the morning after the outcomes are measured, so no manager waits for
    the first count of the day (1–2 s at a million customers). Returns the months counted;
    none without a reader who sees all (a fresh install) or without rounds."""
    reader = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name__in=[r.value for r in ROLES_SEEING_ALL]))
        .order_by("-is_superuser", "pk")
        .first()
    )
    if reader is None:
        return []
    counted = report_months(today=today)[:months]
    for month in counted:
        monthly_report(user=reader, month=month, today=today, fresh=True)
    return counted


def _monthly_report_build(user: Any, month: dt.date) -> MonthlyReport:
    start, end = month_bounds(month)
    rounds = list(
        Round.objects.filter(starts_on__gte=start, starts_on__lt=end).order_by("starts_on")
    )
    month_targets = Target.objects.filter(
        visible_customers_q(user), round_id__in=[r.pk for r in rounds]
    )
    counted = _month_targets_count(month_targets)
    groups = counted.groups()
    outcomes = counted.outcomes()
    kinds = []
    for kind in counted.kinds():
        sizes, kind_outcomes = counted.groups(kind), counted.outcomes(kind)
        kinds.append(
            KindResult(
                kind=kind,
                contacted=sizes.get(TargetGroup.CONTACTED, 0),
                control=sizes.get(TargetGroup.CONTROL, 0),
                outcomes=kind_outcomes,
                verdict=_verdict(kind_outcomes),
            )
        )
    campaigns = [
        CampaignResult(campaign=campaign, progress=progress, verdict=_verdict(progress))
        for campaign in Campaign.objects.filter(
            status__in=[CampaignStatus.RUNNING, CampaignStatus.CLOSED],
            starts_on__lt=end,
            ends_on__gte=start,
        )
        .select_related("offer", "owner")
        .order_by("starts_on", "id")
        for progress in (campaign_progress(campaign),)
    ]
    run = _month_run(month)
    summary = run_summary(run) if run is not None else None
    recovered = recovered_figures(user, month)
    return MonthlyReport(
        month=month,
        rounds=rounds,
        recovered=recovered["recovered"],
        recovered_lost=recovered["lost"],
        recovered_at_risk=recovered["at_risk"],
        control_returned=recovered["control"],
        revenue_recovered=recovered["revenue"],
        status_moves=status_changes(summary)
        if summary and summary.get("previous_run") is not None
        else None,
        contacted=groups.get(TargetGroup.CONTACTED, 0),
        control=groups.get(TargetGroup.CONTROL, 0),
        effort=_effort(user, month),
        offers_made=counted.total("offers"),
        offers_taken_up=counted.total("offers_taken_up"),
        offers_value=Decimal(counted.total("offers_value") or 0),
        outcomes=outcomes,
        verdict=_verdict(outcomes),
        kinds=kinds,
        campaigns=campaigns,
        trend=monthly_trend(user, month),
        counted_at=timezone.now(),
    )
