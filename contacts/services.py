"""Writes on contacts: complaint handling (R3.3)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from contacts.models import Complaint, ComplaintStatus, ComplaintStatusChange


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
