"""The timeline of the customer 360° page (R7.2): the customer's latest service visits,
contacts, surveys, complaints and value events merged newest first, each source one indexed
read of at most :data:`TIMELINE_LIMIT` rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

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
from core.local_time import local_moment
from customers.models import Customer, ValueEvent, ValueLayer
from reports.customer_labels import advisor_name
from vehicles.models import ServiceOrder

#: Events on the 360° timeline, newest first; each source reads at most this many.
TIMELINE_LIMIT = 50


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


def customer_timeline(customer: Customer) -> list[TimelineEvent]:
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
                at=local_moment(order.opened_on),
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
                at=local_moment(survey.surveyed_on),
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
                at=local_moment(event.occurred_on),
                day_only=True,
                kind=_("Value event"),
                title=str(layers.get(event.layer, "")),
                detail=event.description,
            )
        )
    events.sort(key=lambda event: event.at, reverse=True)
    return events[:n]
