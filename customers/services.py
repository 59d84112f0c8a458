"""Writes on customers: what the department learns about a customer's situation (R1.2)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from customers.models import Customer, ProfileObservation


@transaction.atomic
def profile_observation_create(
    *,
    customer: Customer,
    by: Any,
    attribute: str,
    value: str,
    observed_on: dt.date,
    observation_source: str,
    note: str = "",
) -> ProfileObservation:
    """Record one dated observation of a customer's situation, observed by ``by`` (a user, or
    None for a system). Observations are added, never overwritten, so every past profile can
    be read back. Validated (``full_clean``); raises ``ValidationError`` for bad input."""
    observation = ProfileObservation(
        customer=customer,
        observed_by=by,
        attribute=attribute,
        value=value,
        observed_on=observed_on,
        observation_source=observation_source,
        note=note,
    )
    observation.full_clean()
    observation.save()
    return observation
