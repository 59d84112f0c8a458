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
  targets, all and per task kind, judged by :func:`winback.campaigns.campaign_verdict` (the
  sizes, offers and outcomes come from one grouped pass over the targets, not one per figure);
  per campaign :func:`winback.campaigns.campaign_progress` and the same verdict;
- **trend**: the last twelve months in one grouped query over the targets, the stored run
  summaries and one grouped query over the contacts.

Every figure is an aggregate query filtered by indexed columns: targets by their round or
campaign (the unique indexes lead with them), service orders and purchases by customer and
date, contacts by time. The query count does not grow with the data: about twenty, plus one
per campaign of the month; the result is cached for ten minutes (a day once final).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import (
    Count,
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
from django.db.models.functions import Greatest, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import ROLES_SEEING_ALL, sees_all_customers
from contacts.models import ContactChannel, ContactLog
from core.months import add_months, month_start
from customers.bulk import interpreted
from customers.masking import mask_value
from customers.models import visible_customers_q
from reports.excel import DATETIME, INTEGER, MONEY, PERCENT, Sheet
from segmentation.models import RunKind, ScoringRun, Status
from segmentation.summaries import run_summaries, run_summary, status_changes
from vehicles.models import Purchase, ServiceOrder, ServiceOrderLine
from winback.campaigns import campaign_progress, campaign_verdict
from winback.models import (
    Campaign,
    CampaignStatus,
    ChurnReason,
    PlanStatus,
    Round,
    Target,
    TargetGroup,
    TaskKind,
)
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
#: A target still counts as the work's for this many months after its round started.
WINDOW_MONTHS = HORIZONS[-1]
#: Seconds a report is kept in the cache while its figures may change, and once final.
REPORT_SECONDS, FINAL_REPORT_SECONDS = 600, 86_400
#: Months in the trend table.
TREND_MONTHS = 12
#: Score statuses of the customers the win-back work is for.
WINBACK_STATUSES = (Status.LOST, Status.AT_RISK)
_MONEY = DecimalField(max_digits=14, decimal_places=2)


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
class TrendRow:
    month: dt.date
    contacted: int
    control: int
    uplift_1m: float | None
    uplift_3m: float | None
    back_from_lost: int | None
    newly_lost: int | None
    contacts: int


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


def _bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    return month, add_months(month, 1)


def _moment(day: dt.date) -> dt.datetime:
    """Midnight of ``day`` in the dealership's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def report_months(*, today: dt.date | None = None) -> list[dt.date]:
    """Months with results, newest first: months in which a round's work started, up to the
    current month."""
    today = today or timezone.localdate()
    starts = Round.objects.filter(starts_on__lt=add_months(month_start(today), 1)).dates(
        "starts_on", "month", order="DESC"
    )
    return list(starts)


def report_month_latest(*, today: dt.date | None = None) -> dt.date | None:
    """The latest month with results, or None before the first round."""
    today = today or timezone.localdate()
    latest = (
        Round.objects.filter(starts_on__lt=add_months(month_start(today), 1))
        .order_by("-starts_on")
        .values_list("starts_on", flat=True)
        .first()
    )
    return month_start(latest) if latest else None


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
    start, end = _bounds(month)
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


def _month_spend(month: dt.date) -> Subquery:
    """What ``OuterRef("customer_id")`` spent on paid service lines in ``month``."""
    start, end = _bounds(month)
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


def _recovered_figures(user: Any, month: dt.date) -> dict[str, Any]:
    """Counts of distinct customers and their spend, from one read of the recovered targets
    (a few thousand rows at a million customers: those of the month's returners who were
    targets), so the month's returners are found once."""
    rows = (
        recovered_targets(user=user, month=month)
        .annotate(month_spend=_month_spend(month))
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


def _effort(user: Any, month: dt.date) -> list[ChannelEffort]:
    start, end = _bounds(month)
    rows = (
        ContactLog.objects.filter(
            visible_customers_q(user),
            contacted_at__gte=_moment(start),
            contacted_at__lt=_moment(end),
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


def _trend(user: Any, month: dt.date) -> list[TrendRow]:
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
            contacted_at__gte=_moment(first),
            contacted_at__lt=_moment(end),
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
    start, end = _bounds(month)
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
    recovered = _recovered_figures(user, month)
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
        trend=_trend(user, month),
        counted_at=timezone.now(),
    )


# --- the Excel file ---------------------------------------------------------------------------

#: At most this many customer rows per list in the Excel file (the sheet says when cut).
MAX_EXPORT_ROWS = 50_000


@dataclass
class ReportExport:
    """The sheets of a report's Excel file; ``customer_rows`` counts the customer rows written
    (known once the file is written), for the data access log."""

    sheets: list[Sheet]
    customer_rows: int = 0


def _labels(choices: Any) -> dict[str, str]:
    return {code: str(label) for code, label in choices.choices}


def _yes_no(value: bool | None) -> str:
    if value is None:
        return _("not measured yet")
    return _("Yes") if value else _("No")


def _capped(queryset: QuerySet, limit: int) -> tuple[int, bool]:
    """``(rows, cut)``: the rows the list will hold and whether it was cut at ``limit``."""
    count = Target.objects.filter(pk__in=queryset.values("pk")[: limit + 1]).count()
    return min(count, limit), count > limit


def _cut_note(cut: bool, limit: int) -> str:
    if not cut:
        return ""
    return _("Only the first %(rows)s rows are listed; the figures count everyone.") % {
        "rows": f"{limit:,}"
    }


def _summary_sheet(report: MonthlyReport) -> Sheet:
    judged = report.judged
    rows: list[list[Any]] = [
        [_("Month"), f"{report.month:%Y-%m}", None, None, ""],
        [_("Recovered customers (contacted, came back)"), report.recovered, None, None, ""],
        [_("… of them lost when chosen"), report.recovered_lost, None, None, ""],
        [_("… of them at risk when chosen"), report.recovered_at_risk, None, None, ""],
        [_("Came back without contact (control group)"), report.control_returned, None, None, ""],
        [_("Revenue recovered"), None, report.revenue_recovered, None, ""],
        [_("Lost customers active again (scores)"), report.back_from_lost, None, None, ""],
        [_("Newly lost (scores)"), report.newly_lost, None, None, ""],
        [_("Targets contacted this month"), report.contacted, None, None, ""],
        [_("Targets held back (control group)"), report.control, None, None, ""],
        [_("Contacts logged"), report.contacts, None, None, ""],
        [_("Estimated hours"), round(report.hours, 1), None, None, ""],
        [_("Offers made"), report.offers_made, None, None, ""],
        [_("Offers taken up"), report.offers_taken_up, None, None, ""],
        [_("Value of the packages taken up"), None, report.offers_value, None, ""],
    ]
    if judged:
        horizon = _("after %(months)s months") % {"months": judged["months"]}
        rows += [
            [
                _("Came back, contacted"),
                judged["contacted_n"],
                None,
                judged["contacted_rate"],
                horizon,
            ],
            [
                _("Came back, control group"),
                judged["control_n"],
                None,
                judged["control_rate"],
                horizon,
            ],
            [
                _("Uplift (percentage points)"),
                round(judged["uplift_points"], 1),
                None,
                None,
                horizon,
            ],
        ]
    rows.append(
        [
            _("Worth continuing?"),
            None,
            None,
            None,
            f"{report.verdict.label}: {report.verdict.reason}",
        ]
    )
    if report.counted_at is not None:
        counted_at = timezone.localtime(report.counted_at).strftime("%Y-%m-%d %H:%M")
        rows.append([_("Counted at"), None, None, None, counted_at])
    return Sheet(
        title=_("Summary"),
        headers=[_("Figure"), _("Number"), _("Amount"), _("Share"), _("Note")],
        rows=rows,
        formats={1: "#,##0.##", 2: MONEY, 3: PERCENT},
    )


def _work_sheet(report: MonthlyReport) -> Sheet:
    kinds = _labels(TaskKind)
    rows: list[list[Any]] = []
    for item in report.kinds:
        judged = item.judged or {}
        rows.append(
            [
                kinds.get(item.kind, item.kind),
                _("Rule-based work"),
                item.contacted,
                item.control,
                judged.get("months"),
                judged.get("contacted_rate"),
                judged.get("control_rate"),
                round(judged["uplift_points"], 1) if judged else None,
                judged.get("contacted_spend"),
                item.verdict.label,
                item.verdict.reason,
            ]
        )
    for item in report.campaigns:
        judged = item.judged or {}
        rows.append(
            [
                item.campaign.name,
                _("Campaign"),
                item.progress["contacted_group"],
                item.progress["control"],
                judged.get("months"),
                judged.get("contacted_rate"),
                judged.get("control_rate"),
                round(judged["uplift_points"], 1) if judged else None,
                item.progress["revenue"],
                item.verdict.label,
                item.verdict.reason,
            ]
        )
    return Sheet(
        title=_("Campaigns and work"),
        headers=[
            _("Work"),
            _("Type"),
            _("Contacted"),
            _("Control group"),
            _("Measured after (months)"),
            _("Came back, contacted"),
            _("Came back, control group"),
            _("Uplift (percentage points)"),
            _("Revenue of the contacted"),
            _("Worth continuing?"),
            _("Why"),
        ],
        rows=rows,
        formats={2: INTEGER, 3: INTEGER, 5: PERCENT, 6: PERCENT, 8: MONEY},
    )


def _trend_sheet(report: MonthlyReport) -> Sheet:
    rows = [
        [
            f"{row.month:%Y-%m}",
            row.contacted,
            row.control,
            None if row.uplift_1m is None else round(row.uplift_1m, 1),
            None if row.uplift_3m is None else round(row.uplift_3m, 1),
            row.back_from_lost,
            row.newly_lost,
            row.contacts,
        ]
        for row in report.trend
    ]
    return Sheet(
        title=_("Trend"),
        headers=[
            _("Month"),
            _("Targets contacted"),
            _("Control group"),
            _("Uplift after 1 month (points)"),
            _("Uplift after 3 months (points)"),
            _("Lost customers active again"),
            _("Newly lost"),
            _("Contacts logged"),
        ],
        rows=rows,
        formats={1: INTEGER, 2: INTEGER, 5: INTEGER, 6: INTEGER, 7: INTEGER},
    )


def _counted(rows: Iterable[list[Any]], export: ReportExport) -> Iterator[list[Any]]:
    for row in rows:
        export.customer_rows += 1
        yield row


def _recovered_sheet(user: Any, report: MonthlyReport, export: ReportExport) -> Sheet:
    targets = recovered_targets(user=user, month=report.month)
    _rows, cut = _capped(targets, MAX_EXPORT_ROWS)
    kinds, groups, statuses = _labels(TaskKind), _labels(TargetGroup), _labels(Status)
    values = (
        targets.annotate(month_spend=_month_spend(report.month))
        .order_by("customer_id", "id")
        .values_list(
            "customer_id",
            "customer__name",
            "customer__mobile",
            "kind",
            "group",
            "score_status",
            "first_contact_at",
            "month_spend",
        )[:MAX_EXPORT_ROWS]
    )
    rows = (
        [
            customer_id,
            name,
            mask_value("mobile", mobile),
            kinds.get(kind, kind),
            groups.get(group, group),
            statuses.get(status, status),
            first_contact,
            month_spend or Decimal("0"),
        ]
        for customer_id, name, mobile, kind, group, status, first_contact, month_spend in values.iterator(
            chunk_size=2000
        )
    )
    return Sheet(
        title=_("Recovered customers"),
        headers=[
            _("Customer no."),
            _("Customer"),
            _("Mobile"),
            _("Kind"),
            _("Group"),
            _("Churn status when chosen"),
            _("First contact"),
            _("Spent this month"),
        ],
        rows=_counted(rows, export),
        formats={6: DATETIME, 7: MONEY},
        note=_cut_note(cut, MAX_EXPORT_ROWS),
    )


def _targets_sheet(user: Any, report: MonthlyReport, export: ReportExport) -> Sheet:
    targets = Target.objects.filter(
        visible_customers_q(user), round_id__in=[r.pk for r in report.rounds]
    )
    _rows, cut = _capped(targets, MAX_EXPORT_ROWS)
    kinds, groups, statuses = _labels(TaskKind), _labels(TargetGroup), _labels(Status)
    plans, reasons = _labels(PlanStatus), _labels(ChurnReason)
    values = targets.order_by("id").values_list(
        "customer_id",
        "customer__name",
        "customer__mobile",
        "kind",
        "group",
        "plan_status",
        "score_status",
        "churn_reason",
        "offer__name",
        "first_contact_at",
        "returned_1m",
        "returned_3m",
        "spend_3m",
        "offer_matched",
    )[:MAX_EXPORT_ROWS]
    rows = (
        [
            row[0],
            row[1],
            mask_value("mobile", row[2]),
            kinds.get(row[3], row[3]),
            groups.get(row[4], row[4]),
            plans.get(row[5], row[5]),
            statuses.get(row[6], row[6]),
            reasons.get(row[7], ""),
            row[8] or "",
            row[9],
            _yes_no(row[10]),
            _yes_no(row[11]),
            row[12],
            "" if row[8] is None else _yes_no(row[13]),
        ]
        for row in values.iterator(chunk_size=2000)
    )
    return Sheet(
        title=_("Targets of the month"),
        headers=[
            _("Customer no."),
            _("Customer"),
            _("Mobile"),
            _("Kind"),
            _("Group"),
            _("Plan status"),
            _("Churn status when chosen"),
            _("Churn reason"),
            _("Offer made"),
            _("First contact"),
            _("Came back within 1 month"),
            _("Came back within 3 months"),
            _("Spent within 3 months"),
            _("Spending matched the offer"),
        ],
        rows=_counted(rows, export),
        formats={9: DATETIME, 12: MONEY},
        note=_cut_note(cut, MAX_EXPORT_ROWS),
    )


def monthly_report_sheets(*, user: Any, report: MonthlyReport) -> ReportExport:
    """The Excel file of ``report``: summary, campaigns and work, trend, then the customers
    behind the figures (recovered customers, the month's targets with their outcome), contact
    data masked (:func:`customers.masking.mask_value`), each list cut at
    :data:`MAX_EXPORT_ROWS`. The customer rows are read while the file is written."""
    export = ReportExport(sheets=[])
    export.sheets = [
        _summary_sheet(report),
        _work_sheet(report),
        _trend_sheet(report),
        _recovered_sheet(user, report, export),
        _targets_sheet(user, report, export),
    ]
    return export
