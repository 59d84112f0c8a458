"""Reads about customers: lists of customers and value-layer events as a user may see them,
profile history and its trend (R1.2)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet

from customers.filters import CustomerFilter, ValueEventFilter, filter_apply
from customers.models import (
    ORDINAL_ATTRIBUTES,
    Customer,
    ProfileObservation,
    ValueEvent,
    visible_customers_q,
)


def customer_list(*, user: Any, filters: Mapping) -> QuerySet[Customer]:
    """The customers ``user`` may see matching ``filters`` (:class:`CustomerFilter`), with
    their contact preference, advisor, owner and profile history joined.

    Raises ``ValidationError`` for an invalid filter value.
    """
    queryset = filter_apply(CustomerFilter, filters, Customer.objects.visible_to(user))
    return queryset.select_related(
        "contact_preference", "sales_advisor", "service_owner"
    ).prefetch_related(
        Prefetch(
            "profile_observations",
            queryset=ProfileObservation.objects.order_by("attribute", "observed_on", "id"),
        )
    )


def value_event_list(*, user: Any, filters: Mapping) -> QuerySet[ValueEvent]:
    """Value-layer events of the customers ``user`` may see, matching ``filters``
    (:class:`ValueEventFilter`). Raises ``ValidationError`` for an invalid filter value."""
    queryset = ValueEvent.objects.filter(visible_customers_q(user, "customer"))
    return filter_apply(ValueEventFilter, filters, queryset).select_related(
        "customer", "referred_customer"
    )


def profile_history(*, customer: Customer, attribute: str) -> list[ProfileObservation]:
    """Every observation of one attribute of a customer, oldest first."""
    return list(
        ProfileObservation.objects.filter(customer=customer, attribute=attribute).order_by(
            "observed_on", "id"
        )
    )


def profile_as_of(*, customer: Customer, date: dt.date) -> dict[str, str]:
    """The customer's profile as it was known on ``date``: {attribute: value}."""
    rows = ProfileObservation.objects.filter(customer=customer).as_of(date)
    return dict(rows.values_list("attribute", "value"))


@dataclass(frozen=True)
class ProfileTrend:
    """How an ordinal attribute moved between two observations."""

    attribute: str
    first_value: str
    first_observed_on: dt.date
    last_value: str
    last_observed_on: dt.date
    steps: int

    @property
    def direction(self) -> str:
        """ "up", "down" or "flat"."""
        return "up" if self.steps > 0 else "down" if self.steps < 0 else "flat"


def profile_trend(
    *, customer: Customer, attribute: str, since: dt.date | None = None
) -> ProfileTrend | None:
    """Direction and size of change of an ordinal attribute (income band, children) (R1.2).

    Compares the last observation made on or before ``since`` (or the first one ever) with the
    latest one. ``None`` when fewer than two observations exist or the attribute has no order.
    """
    ranks = ORDINAL_ATTRIBUTES.get(attribute)
    if ranks is None:
        return None
    history = profile_history(customer=customer, attribute=attribute)
    if since is not None:
        before = [o for o in history if o.observed_on <= since]
        history = ([before[-1]] if before else []) + [o for o in history if o.observed_on > since]
    if len(history) < 2:
        return None
    first, last = history[0], history[-1]
    return ProfileTrend(
        attribute=attribute,
        first_value=first.value,
        first_observed_on=first.observed_on,
        last_value=last.value,
        last_observed_on=last.observed_on,
        steps=ranks[last.value] - ranks[first.value],
    )
