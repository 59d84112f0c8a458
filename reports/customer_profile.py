"""The customer 360° page (R7.2): everything it shows about one customer, read with a fixed
number of queries however long the customer's history is (each history list is bounded and
served by its ``(customer, date)`` index): contact data masked, contact preferences, the
observed profile, the latest score with its churn explanation (:mod:`reports.customer_churn`)
and score history, vehicles and purchases, the timeline (:mod:`reports.customer_timeline`),
open tasks and win-back targets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone

from contacts.models import ContactChannel
from customers.masking import CONTACT_FIELDS, contact_display
from customers.models import PROFILE_VALUE_CHOICES, ChannelOptOut, Customer, ProfileAttribute
from customers.selectors import profile_as_of
from reports.customer_churn import ChurnComponent, churn_components
from reports.customer_labels import STATUS_BADGES, value_tier_label
from reports.customer_timeline import TimelineEvent, customer_timeline
from segmentation.models import CustomerScore, RunKind, ScoringRun
from segmentation.summaries import nine_cell_label
from vehicles.models import Purchase, Vehicle
from winback.models import Target, Task, TaskStatus

#: Months of score history on the 360° page.
HISTORY_MONTHS = 12
#: Bounds of the smaller lists of the 360° page (a customer has a handful of each).
VEHICLE_LIMIT = 20
TASK_LIMIT = 20
TARGET_LIMIT = 10


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
        timeline=customer_timeline(customer),
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
