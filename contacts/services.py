"""Writes on contacts: logging a contact (R3.1) and complaint handling (R3.3)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from contacts.models import (
    Complaint,
    ComplaintStatus,
    ComplaintStatusChange,
    ContactLog,
    ContactOutcome,
)
from customers.models import Customer


@transaction.atomic
def contact_log_create(
    *,
    customer: Customer,
    by: Any,
    channel: str,
    contact_type: str,
    outcome: str = ContactOutcome.REACHED,
    contacted_at: dt.datetime | None = None,
    feedback: str = "",
    next_step: str = "",
    next_step_due: dt.date | None = None,
) -> ContactLog:
    """Log one contact with a customer by ``by`` (a user, or None for a system), validated as
    the admin validates it (``full_clean``); raises ``ValidationError`` for bad input."""
    log = ContactLog(
        customer=customer,
        staff=by,
        channel=channel,
        contact_type=contact_type,
        outcome=outcome,
        contacted_at=contacted_at or timezone.now(),
        feedback=feedback,
        next_step=next_step,
        next_step_due=next_step_due,
    )
    # The customer and user are objects already: no query to check they exist; a log made
    # here has no DMS id, so the (source, external_id) constraint needs no check either.
    log.full_clean(exclude=["customer", "staff"], validate_constraints=False)
    log.save()
    return log


@transaction.atomic
def complaint_escalate(*, complaint: Complaint, by: Any, note: str = "") -> Complaint:
    """Escalate a complaint one level and record the step in its status history.

    Resolved and closed complaints are not escalated; the complaint is returned unchanged.
    """
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if complaint.is_resolved:
        return complaint
    complaint.escalation_level += 1
    complaint.status = ComplaintStatus.ESCALATED
    complaint.save(update_fields=["escalation_level", "status", "updated_at"])
    ComplaintStatusChange.objects.create(
        complaint=complaint,
        status=ComplaintStatus.ESCALATED,
        changed_at=timezone.now(),
        changed_by=by,
        note=note,
    )
    return complaint
