"""Writes on customers: what the department learns about a customer's situation (R1.2), and
the audit of who saw or took their personal data (R7.2)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.module_loading import import_string

from customers.masking import CONTACT_FIELDS, may_reveal
from customers.models import Customer, DataAccessAction, DataAccessLog, ProfileObservation


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


@transaction.atomic
def data_access_record(
    *,
    user: Any,
    action: str,
    what: str,
    rows: int = 0,
    filters: dict | None = None,
    customer: Customer | None = None,
) -> DataAccessLog:
    """Log one access to personal data (a reveal, an export, a bulk read) for the managers'
    audit (R7.2). After an export, the hooks in ``settings.DATA_ACCESS_EXPORT_FOLLOW_UPS`` are
    called with the entry (the apps above customers alert on large exports there)."""
    entry = DataAccessLog.objects.create(
        user=user,
        action=action,
        what=what[:128],
        rows=rows,
        filters=filters or {},
        customer=customer,
    )
    if action == DataAccessAction.EXPORT:
        for path in settings.DATA_ACCESS_EXPORT_FOLLOW_UPS:
            import_string(path)(entry)
    return entry


def customer_contact_reveal(*, user: Any, customer: Customer, field: str) -> str:
    """The unmasked value of one contact field, logged. The caller fetched ``customer``
    through ``visible_to``; raises ``PermissionDenied`` for users who may not reveal and
    ``ValueError`` for a field the policy does not cover."""
    if field not in CONTACT_FIELDS:
        raise ValueError(f"not a contact field: {field}")
    if not may_reveal(user):
        raise PermissionDenied
    value = getattr(customer, field) or ""
    data_access_record(
        user=user,
        action=DataAccessAction.REVEAL,
        what=str(Customer._meta.get_field(field).verbose_name),
        rows=1,
        customer=customer,
    )
    return value
