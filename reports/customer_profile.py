"""Reads of the customer pages (R3.6, R7.2): the scored-customer list and the 360° profile.

- :func:`customer_page`: one keyset page of a month's scored customers through
  ``segmentation.selectors.score_list`` (scoped by ``visible_to``), ordered by customer id
  inside the run, the order of the scores' only index ``(run, customer)``: a page reads its
  rows in index order and never counts or sorts the run.
- :func:`customer_profile`: everything the 360° page shows about one customer, read with a
  fixed number of queries however long the customer's history is (each history list is
  bounded and served by its ``(customer, date)`` index).

The label helpers turn scoring codes (``7+/low``, value tier ``1``) into words.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import sees_all_customers
from contacts.models import (
    Complaint,
    ComplaintCategory,
    ComplaintStatus,
    ContactChannel,
    ContactLog,
    ContactOutcome,
    ContactType,
    SatisfactionSurvey,
)
from customers.filters import month_clean
from customers.masking import CONTACT_FIELDS, contact_display
from customers.models import (
    PROFILE_VALUE_CHOICES,
    ChannelOptOut,
    Customer,
    ProfileAttribute,
    ValueEvent,
    ValueLayer,
)
from customers.selectors import profile_as_of
from customers.validators import normalize_mobile
from segmentation.models import (
    ChurnIndicator,
    CustomerScore,
    RfmSegment,
    RunKind,
    ScoringRun,
    Status,
)
from segmentation.scoring_settings import ScoringSettings
from segmentation.selectors import score_list, scoring_run_current
from segmentation.summaries import nine_cell_label
from vehicles.models import Purchase, ServiceOrder, Vehicle
from winback.models import Target, Task, TaskStatus

#: Rows of a list page.
PAGE_SIZE = 50
#: Customer ids a list page looks through at most (see :func:`customer_page`).
SCAN_WINDOW = 50_000
_MAX_ID = 2**63 - 1
#: Events on the 360° timeline, newest first; each source reads at most this many.
TIMELINE_LIMIT = 50
#: Months of score history on the 360° page.
HISTORY_MONTHS = 12
#: Bounds of the smaller lists of the 360° page (a customer has a handful of each).
VEHICLE_LIMIT = 20
TASK_LIMIT = 20
TARGET_LIMIT = 10

#: The badge colour of each churn status.
STATUS_BADGES = {"active": "good", "at_risk": "warn", "lost": "bad"}


def value_tier_label(tier: int | None) -> str:
    """Value tier 1 (the most valuable) to 5 as words; a dash for none."""
    if tier is None:
        return "—"
    if tier == 1:
        return _("Tier 1 (most valuable)")
    return _("Tier %(tier)s") % {"tier": tier}


def advisor_name(user: Any) -> str:
    """A staff member as people know them: full name, else the user name; a dash for none."""
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()


# --- the list ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerRow:
    """One row of the customer list, contact data masked."""

    score: CustomerScore
    mobile: str
    advisor: str
    nine_cell: str
    value_tier: str
    badge: str


@dataclass(frozen=True)
class CustomerPage:
    """One keyset page: its rows, the run read, and the cursor of the next page (None on the
    last page)."""

    rows: list[CustomerRow]
    run: ScoringRun | None
    next_after: int | None
    #: The page holds ``size`` rows (else the scan window ended first, or the list did).
    full: bool = False


def _search_clean(value: str) -> str:
    mobile = normalize_mobile(value)
    if not (len(mobile) == 11 and mobile.isdigit()):
        raise ValidationError({"q": [_("Enter the customer's full 11-digit mobile number.")]})
    return mobile


def _after_clean(value: str | None) -> int | None:
    if value in (None, ""):
        return None
    try:
        after = int(value)
    except ValueError:
        after = -1
    if after < 0 or after >= _MAX_ID:
        raise ValidationError({"after": [_("This page link is not valid.")]})
    return after


def customer_scores(*, user: Any, filters: Mapping) -> Any:
    """The scores the list and its export show: ``score_list``'s filters plus ``q``, a full
    mobile number (served by the customers' mobile index), in customer order with the
    customer and advisor joined. Raises ``ValidationError`` for a bad filter value."""
    # The customer is not joined: PostgreSQL would merge-join the whole customer table in id
    # order instead of looking up one page of customers (callers join or fetch them).
    queryset = score_list(user=user, filters=filters).select_related(None).select_related("run")
    query = (filters.get("q") or "").strip()
    if query:
        queryset = queryset.filter(customer__mobile=_search_clean(query))
    return queryset.order_by("customer_id")


def customer_rows(scores: Any, user: Any) -> list[CustomerRow]:
    """List rows of ``scores`` as ``user`` may see them (contact data masked)."""
    return [
        CustomerRow(
            score=score,
            mobile=contact_display(score.customer, user)["mobile"] or "—",
            advisor=advisor_name(score.customer.sales_advisor),
            nine_cell=nine_cell_label(score.nine_cell),
            value_tier=value_tier_label(score.value_tier),
            badge=STATUS_BADGES.get(score.status, ""),
        )
        for score in scores
    ]


def customer_page(*, user: Any, filters: Mapping, size: int = PAGE_SIZE) -> CustomerPage:
    """The page of scored customers after the cursor ``filters["after"]`` (a customer id):
    ``size`` rows plus one read to know whether a next page exists, never a count.

    A page looks at most :data:`SCAN_WINDOW` customer ids past the cursor, so a filter that
    matches few customers costs a bounded read too: when the window ends before the page is
    full, the page shows what it found and the next page starts after the window.

    Raises ``ValidationError`` for a bad filter value or cursor.
    """
    after = _after_clean(filters.get("after")) or 0
    if scoring_run_current(month_clean(filters.get("month"))) is None:
        return CustomerPage(rows=[], run=None, next_after=None)
    window_end = min(after + SCAN_WINDOW, _MAX_ID)
    queryset = customer_scores(user=user, filters=filters).filter(
        customer_id__gt=after, customer_id__lte=window_end
    )
    if not sees_all_customers(user):
        # PostgreSQL does not carry the window over to the subquery of the user's own
        # customers: bounded here, it reads the window's customers, not all of them.
        window = Customer.objects.visible_to(user).filter(pk__gt=after, pk__lte=window_end)
        queryset = queryset.filter(customer_id__in=window.values("pk"))
    scores = list(queryset[: size + 1])
    if len(scores) > size:
        scores = scores[:size]
        next_after: int | None = scores[-1].customer_id
    elif Customer.objects.filter(pk__gt=window_end).exists():
        next_after = window_end
    else:
        next_after = None
    customers = Customer.objects.select_related("sales_advisor").in_bulk(
        [score.customer_id for score in scores]
    )
    for score in scores:
        score.customer = customers[score.customer_id]
    return CustomerPage(
        rows=customer_rows(scores, user),
        run=scores[0].run if scores else None,
        next_after=next_after,
        full=len(scores) == size,
    )


@dataclass(frozen=True)
class CustomerExport:
    """The rows of a list export (contact data masked) and whether the cap cut the list."""

    run: ScoringRun | None
    rows: list[tuple]
    capped: bool


class _ContactRow:
    """The one contact field an export row carries, shaped for ``contact_display``."""

    __slots__ = ("mobile",)

    def __init__(self, mobile: str) -> None:
        self.mobile = mobile


def customer_export_rows(*, user: Any, filters: Mapping, limit: int) -> CustomerExport:
    """At most ``limit`` rows of the list as the export writes them (labels, masked mobile),
    read as plain values: (customer id, name, mobile, advisor, 9-cell, RFM segment, status,
    churn score, future value, value tier, days since last visit).

    Raises ``ValidationError`` for a bad filter value.
    """
    values = list(
        customer_scores(user=user, filters=filters).values_list(
            "customer_id",
            "customer__name",
            "customer__mobile",
            "customer__sales_advisor__first_name",
            "customer__sales_advisor__last_name",
            "customer__sales_advisor__username",
            "nine_cell",
            "rfm_segment",
            "status",
            "churn_score",
            "future_value",
            "value_tier",
            "recency_days",
        )[: limit + 1]
    )
    statuses, segments = dict(Status.choices), dict(RfmSegment.choices)
    cells: dict[str | None, str] = {}
    tiers: dict[int | None, str] = {}
    rows = []
    for (
        customer_id,
        name,
        mobile,
        first_name,
        last_name,
        username,
        nine_cell,
        rfm_segment,
        status,
        churn_score,
        future_value,
        value_tier,
        recency_days,
    ) in values[:limit]:
        if nine_cell not in cells:
            cells[nine_cell] = nine_cell_label(nine_cell)
        if value_tier not in tiers:
            tiers[value_tier] = value_tier_label(value_tier)
        advisor = f"{first_name} {last_name}".strip() or username or "—"
        rows.append(
            (
                customer_id,
                name,
                contact_display(_ContactRow(mobile), user)["mobile"],
                advisor,
                cells[nine_cell],
                str(segments.get(rfm_segment, rfm_segment)),
                str(statuses.get(status, status)),
                churn_score,
                future_value,
                tiers[value_tier],
                recency_days,
            )
        )
    run = scoring_run_current(month_clean(filters.get("month")))
    return CustomerExport(run=run, rows=rows, capped=len(values) > limit)


# --- the 360° profile -------------------------------------------------------------------------


@dataclass(frozen=True)
class ChurnComponent:
    """One churn indicator of a score: its sub-score, its weight and why, in words."""

    name: str
    value: float
    weight: float | None
    explanation: str


@dataclass(frozen=True)
class TimelineEvent:
    """One thing that happened with the customer. ``at`` orders the timeline; ``day_only``
    events (a visit, a survey) have a date but no time."""

    at: dt.datetime
    day_only: bool
    kind: str
    title: str
    detail: str = ""
    amount: Decimal | None = None
    badge: str = ""


@dataclass(frozen=True)
class VehicleCard:
    """A vehicle the customer owns, with its purchase (and financing) when the dealership
    sold it."""

    vehicle: Vehicle
    purchase: Purchase | None


@dataclass(frozen=True)
class ContactField:
    """A contact field as the user sees it without a reveal."""

    name: str
    label: str
    masked: str


@dataclass
class CustomerProfile:
    """Everything the 360° page shows about one customer."""

    customer: Customer
    contacts: list[ContactField]
    preferred_channels: list[str]
    disliked_channels: list[str]
    do_not_contact: bool
    opt_outs: list[ChannelOptOut]
    profile: list[tuple[str, str]]
    score: CustomerScore | None
    churn_components: list[ChurnComponent]
    history: list[CustomerScore]
    vehicles: list[VehicleCard]
    other_purchases: list[Purchase]
    timeline: list[TimelineEvent]
    tasks: list[Task]
    targets: list[Target]
    nine_cell: str = "—"
    value_tier: str = "—"
    badge: str = ""
    #: Future value change as a share of the previous month's future value.
    growth: float | None = None
    history_rows: list[dict[str, Any]] = field(default_factory=list)


def _channel_labels(codes: Any) -> list[str]:
    labels = dict(ContactChannel.choices)
    return [str(labels.get(code, code)) for code in codes or []]


def _churn_weights(run: ScoringRun) -> dict[str, float]:
    """The churn weights the run scored with (its kept copy of the settings), normalised so
    the weighted sub-scores add up to the churn score."""
    weights = ScoringSettings().churn_weights
    stored = (run.settings or {}).get("churn_weights")
    if isinstance(stored, dict):
        weights = {name: float(stored.get(name, 0.0)) for name in weights}
    total = sum(weights.values()) or 1.0
    return {name: weight / total for name, weight in weights.items()}


def _days(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def churn_components(score: CustomerScore) -> list[ChurnComponent]:
    """Each churn indicator of ``score`` with its sub-score (0–1), its weight in the run and
    the facts behind it, in words."""
    weights = _churn_weights(score.run)
    satisfaction = (
        _("latest surveys average %(score)s / 10") % {"score": f"{score.satisfaction:.1f}"}
        if score.satisfaction_known and score.satisfaction is not None
        else _("not surveyed recently")
    )
    p_alive = (
        _("no visits to judge by")
        if score.p_alive is None
        else _("probability still active: %(p)s") % {"p": f"{score.p_alive * 100:.0f}%"}
    )
    recency = (
        _("never visited the workshop")
        if score.recency_days is None
        else _("last visit %(days)s days ago") % {"days": _days(score.recency_days)}
    )
    explanations = {
        ChurnIndicator.OVERDUE: _(
            "%(recency)s; usual interval between visits %(interval)s days; overdue ratio "
            "%(ratio)s (1 = due now)"
        )
        % {
            "recency": recency,
            "interval": _days(score.visit_interval_days),
            "ratio": f"{score.overdue_ratio:.2f}",
        },
        ChurnIndicator.NOT_ALIVE: p_alive,
        ChurnIndicator.FALLING_FREQUENCY: _(
            "%(visits)s visits in the scoring window; fewer visits in the last 12 months than "
            "in the 12 before raise this"
        )
        % {"visits": score.frequency},
        ChurnIndicator.UNRESOLVED_COMPLAINTS: _("%(n)s unresolved complaint(s)")
        % {"n": score.unresolved_complaints},
        ChurnIndicator.FALLING_SATISFACTION: _(
            "%(satisfaction)s; a latest survey below the earlier ones raises this"
        )
        % {"satisfaction": satisfaction},
        ChurnIndicator.NO_ENGAGEMENT: _(
            "value-layer score %(score)s (referrals, reviews, events, surveys); none in the "
            "last 12 months gives 100%%"
        )
        % {"score": f"{score.value_layer_score * 100:.0f}%"},
    }
    return [
        ChurnComponent(
            name=str(indicator.label),
            value=float(getattr(score, f"churn_{indicator.value}")),
            weight=weights.get(indicator.value),
            explanation=explanations[indicator],
        )
        for indicator in ChurnIndicator
    ]


def _at(day: dt.date) -> dt.datetime:
    """A date as the start of that day in Beijing, to order it among timed events."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _timeline(customer: Customer) -> list[TimelineEvent]:
    """The latest events of every kind, merged newest first: five indexed reads of at most
    :data:`TIMELINE_LIMIT` rows each."""
    n = TIMELINE_LIMIT
    events: list[TimelineEvent] = []
    orders = (
        ServiceOrder.objects.with_total()
        .filter(customer=customer)
        .select_related("vehicle")
        .order_by("-opened_on", "-id")[:n]
    )
    for order in orders:
        events.append(
            TimelineEvent(
                at=_at(order.opened_on),
                day_only=True,
                kind=_("Service visit"),
                title=order.vehicle.plate or order.vehicle.vin,
                detail=" · ".join(
                    part
                    for part in (
                        _("%(km)s km") % {"km": f"{order.odometer_km:,}"}
                        if order.odometer_km
                        else "",
                        order.advisor_name,
                        order.note,
                    )
                    if part
                ),
                amount=order.total,
            )
        )
    channels, types, outcomes = (
        dict(ContactChannel.choices),
        dict(ContactType.choices),
        dict(ContactOutcome.choices),
    )
    contacts = (
        ContactLog.objects.filter(customer=customer)
        .select_related("staff")
        .order_by("-contacted_at", "-id")[:n]
    )
    for log in contacts:
        events.append(
            TimelineEvent(
                at=log.contacted_at,
                day_only=False,
                kind=_("Contact"),
                title=f"{types.get(log.contact_type, '')} · {channels.get(log.channel, '')}",
                detail=" · ".join(
                    part
                    for part in (
                        advisor_name(log.staff) if log.staff else "",
                        log.feedback,
                        log.next_step,
                    )
                    if part
                ),
                badge=str(outcomes.get(log.outcome, "")),
            )
        )
    surveys = SatisfactionSurvey.objects.filter(customer=customer).order_by("-surveyed_on", "-id")[
        :n
    ]
    for survey in surveys:
        events.append(
            TimelineEvent(
                at=_at(survey.surveyed_on),
                day_only=True,
                kind=_("Survey"),
                title=_("Overall %(score)s / 10") % {"score": survey.overall},
                detail=survey.comment,
            )
        )
    categories, statuses = dict(ComplaintCategory.choices), dict(ComplaintStatus.choices)
    complaints = Complaint.objects.filter(customer=customer).order_by("-opened_at", "-id")[:n]
    for complaint in complaints:
        events.append(
            TimelineEvent(
                at=complaint.opened_at,
                day_only=False,
                kind=_("Complaint"),
                title=str(categories.get(complaint.category, "")),
                detail=complaint.description,
                badge=str(statuses.get(complaint.status, "")),
            )
        )
    layers = dict(ValueLayer.choices)
    value_events = ValueEvent.objects.filter(customer=customer).order_by("-occurred_on", "-id")[:n]
    for event in value_events:
        events.append(
            TimelineEvent(
                at=_at(event.occurred_on),
                day_only=True,
                kind=_("Value event"),
                title=str(layers.get(event.layer, "")),
                detail=event.description,
            )
        )
    events.sort(key=lambda event: event.at, reverse=True)
    return events[:n]


def _history(customer: Customer) -> list[CustomerScore]:
    """The customer's scores of the last :data:`HISTORY_MONTHS` scored months, newest first:
    the runs' ids are read first and spelled out, as the scores' (run, customer) index needs."""
    runs = list(
        ScoringRun.objects.current()
        .filter(kind=RunKind.MONTHLY)
        .order_by("-month")
        .values_list("pk", flat=True)[:HISTORY_MONTHS]
    )
    return list(
        CustomerScore.objects.filter(run_id__in=runs, customer=customer)
        .select_related("run")
        .order_by("-run__month")
    )


def _growth(score: CustomerScore | None) -> float | None:
    if score is None or score.future_value_change is None or not score.previous_future_value:
        return None
    return score.future_value_change / score.previous_future_value


def customer_profile(*, user: Any, pk: int) -> CustomerProfile:
    """The 360° view of customer ``pk`` as ``user`` may see it (contact data masked).

    Raises ``Http404`` for a customer that does not exist or that ``user`` may not see.
    """
    customer = get_object_or_404(
        Customer.objects.visible_to(user).select_related(
            "sales_advisor", "service_owner", "contact_preference"
        ),
        pk=pk,
    )
    masked = contact_display(customer, user)
    contacts = [
        ContactField(
            name=name,
            label=str(Customer._meta.get_field(name).verbose_name),
            masked=masked[name],
        )
        for name in CONTACT_FIELDS
    ]
    preference = getattr(customer, "contact_preference", None)
    observed = profile_as_of(customer=customer, date=timezone.localdate())
    attributes = dict(ProfileAttribute.choices)
    profile = []
    for attribute, value in observed.items():
        choices = PROFILE_VALUE_CHOICES.get(attribute)
        text = dict(choices.choices).get(value, value) if choices is not None else value
        profile.append((str(attributes.get(attribute, attribute)), str(text)))
    history = _history(customer)
    score = history[0] if history else None
    vehicles = list(
        Vehicle.objects.filter(owner=customer)
        .select_related("model__brand")
        .order_by("-id")[:VEHICLE_LIMIT]
    )
    purchases = list(
        Purchase.objects.filter(customer=customer)
        .select_related("vehicle__model__brand")
        .order_by("-purchased_on", "-id")[:VEHICLE_LIMIT]
    )
    latest_purchase: dict[int, Purchase] = {}
    for purchase in purchases:
        latest_purchase.setdefault(purchase.vehicle_id, purchase)
    owned = {vehicle.pk for vehicle in vehicles}
    tasks = list(
        Task.objects.visible_to(user)
        .filter(customer=customer, status=TaskStatus.OPEN)
        .select_related("assignee", "offer")
        .order_by("due_on", "id")[:TASK_LIMIT]
    )
    targets = list(
        Target.objects.filter(customer=customer)
        .select_related("round", "campaign", "plan", "offer")
        .order_by("-anchor_on", "-id")[:TARGET_LIMIT]
    )
    return CustomerProfile(
        customer=customer,
        contacts=contacts,
        preferred_channels=_channel_labels(preference and preference.preferred_channels),
        disliked_channels=_channel_labels(preference and preference.disliked_channels),
        do_not_contact=bool(preference and preference.do_not_contact),
        opt_outs=list(customer.opt_outs.order_by("-opted_out_on")[:VEHICLE_LIMIT]),
        profile=profile,
        score=score,
        churn_components=churn_components(score) if score else [],
        history=history,
        vehicles=[VehicleCard(v, latest_purchase.get(v.pk)) for v in vehicles],
        other_purchases=[p for p in purchases if p.vehicle_id not in owned],
        timeline=_timeline(customer),
        tasks=tasks,
        targets=targets,
        nine_cell=nine_cell_label(score.nine_cell) if score else "—",
        value_tier=value_tier_label(score.value_tier) if score else "—",
        badge=STATUS_BADGES.get(score.status, "") if score else "",
        growth=_growth(score),
        history_rows=[
            {
                "score": row,
                "nine_cell": nine_cell_label(row.nine_cell),
                "value_tier": value_tier_label(row.value_tier),
                "badge": STATUS_BADGES.get(row.status, ""),
            }
            for row in history
        ],
    )
