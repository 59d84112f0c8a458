"""Writes on contacts: logging a contact (R3.1) and complaint handling (R3.3).

A complaint's status changes only through :func:`complaint_status_change` (and
:func:`complaint_escalate`, which uses it): the new status and its step in the status history
are written together, so the history always ends with the current status.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts.models import (
    Complaint,
    ComplaintStatus,
    ComplaintStatusChange,
    ContactLog,
    ContactOutcome,
    complaint_resolved_at,
)
from customers.models import Customer

#: Statuses that are not an answer to the customer: the first status outside these records
#: the first response. An escalation is internal, so an overdue complaint stays overdue.
_NOT_A_RESPONSE = (ComplaintStatus.OPEN, ComplaintStatus.ESCALATED)


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


def complaint_status_check(
    *, complaint: Complaint, status: str, at: dt.datetime | None = None
) -> Complaint:
    """``complaint`` as :func:`complaint_status_change` would leave it, validated, in memory
    only: for forms that want the errors before anything is written.

    Sets the status, the first response time (the first status that answers the customer,
    when none is recorded) and the resolution time (:func:`complaint_resolved_at`). Raises
    ``ValidationError`` when the complaint would be invalid (resolved without a resolution…)
    or the step is dated before the last recorded one.
    """
    at = at or timezone.now()
    latest = complaint.status_changes.order_by("-changed_at", "-id").first()
    if latest is not None and at < latest.changed_at:
        raise ValidationError(
            {
                "changed_at": _("A status change cannot be dated before the last one, of %(last)s.")
                % {"last": timezone.localtime(latest.changed_at).strftime("%Y-%m-%d %H:%M")}
            }
        )
    complaint.status = status
    if complaint.first_response_at is None and status not in _NOT_A_RESPONSE:
        complaint.first_response_at = at
    complaint.resolved_at = complaint_resolved_at(status, complaint.resolved_at, at)
    complaint.full_clean()
    return complaint


@transaction.atomic
def complaint_status_change(
    *,
    complaint: Complaint,
    status: str,
    by: Any,
    note: str = "",
    at: dt.datetime | None = None,
) -> ComplaintStatusChange:
    """Move a complaint to ``status`` at ``at`` (default: now) and record the step, by ``by``
    with ``note``, in its status history; both or neither are written.

    The complaint is re-read under a row lock, changed as :func:`complaint_status_check`
    describes and validated with the step (``full_clean``); raises ``ValidationError``.
    Returns the step; its ``complaint`` is the saved complaint.
    """
    at = at or timezone.now()
    locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    locked = complaint_status_check(complaint=locked, status=status, at=at)
    step = ComplaintStatusChange(
        complaint=locked, status=status, changed_at=at, changed_by=by, note=note
    )
    step.full_clean()
    locked.save()
    step.save()
    return step


@transaction.atomic
def complaint_escalate(*, complaint: Complaint, by: Any, note: str = "") -> Complaint:
    """Escalate a complaint one level and record the step in its status history.

    Resolved and closed complaints are not escalated; the complaint is returned unchanged.
    """
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if complaint.is_resolved:
        return complaint
    complaint.escalation_level += 1
    complaint.save(update_fields=["escalation_level", "updated_at"])
    return complaint_status_change(
        complaint=complaint, status=ComplaintStatus.ESCALATED, by=by, note=note
    ).complaint
