"""Reads about customers: profile history and its trend (R1.2)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from customers.models import ORDINAL_ATTRIBUTES, Customer, ProfileObservation


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
