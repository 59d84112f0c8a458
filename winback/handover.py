"""A leaver's handover (R7.2): deactivate the user, spread their customers, open tasks, open
leads and unresolved complaints over one or several successors, in bulk, and log what moved. Nothing stays
assigned to an inactive user, so a departing advisor keeps no customer list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts.models import Complaint
from customers.models import Customer
from winback.models import Lead, LeadStatus, Reassignment, Task, TaskStatus

#: Ids per UPDATE … WHERE id IN (…): well under SQLite's variable limit.
_CHUNK = 900


def _spread(ids: list[int], successors: Sequence[Any]) -> dict[int, list[int]]:
    """Ids dealt round-robin over the successors (in id order, so the split is stable)."""
    dealt: dict[int, list[int]] = {s.pk: [] for s in successors}
    for i, pk in enumerate(sorted(ids)):
        dealt[successors[i % len(successors)].pk].append(pk)
    return dealt


def _assign(queryset, field: str, dealt: dict[int, list[int]], **also: Any) -> None:
    for user_id, ids in dealt.items():
        for start in range(0, len(ids), _CHUNK):
            queryset.filter(pk__in=ids[start : start + _CHUNK]).update(**{field: user_id}, **also)


def handover_check(*, leaver: Any, successors: Sequence[Any]) -> None:
    """Raise ``ValidationError`` unless ``successors`` can take over from ``leaver``: at least
    one, all active, the leaver not among them."""
    if not successors:
        raise ValidationError({"successors": _("Name at least one successor.")})
    if any(s.pk == leaver.pk for s in successors):
        raise ValidationError({"successors": _("The leaver cannot be their own successor.")})
    if any(not s.is_active for s in successors):
        raise ValidationError({"successors": _("Successors must be active users.")})


@transaction.atomic
def advisor_leave(
    *, leaver: Any, successors: Sequence[Any], by: Any, at: dt.datetime | None = None
) -> Reassignment:
    """Deactivate ``leaver`` and hand everything assigned to them to ``successors``.

    Customers (as sales advisor and as service-marketing owner) are dealt round-robin; each
    open task follows its customer to the customer's new advisor or owner (tasks of customers
    the leaver did not own, e.g. a manager's escalations, go to the first successor); open
    leads follow their customer to the new advisor. Raises ``ValidationError`` when the
    successors are missing, inactive or include the leaver.
    """
    at = at or timezone.now()
    successors = list(dict.fromkeys(successors))
    handover_check(leaver=leaver, successors=successors)
    get_user_model().objects.filter(pk=leaver.pk).update(is_active=False)
    counts: dict[str, int] = {}
    heir: dict[str, dict[int, int]] = {}
    for field in ("sales_advisor", "service_owner"):
        ids = list(Customer.objects.filter(**{field: leaver}).values_list("pk", flat=True))
        dealt = _spread(ids, successors)
        _assign(Customer.objects.all(), f"{field}_id", dealt, updated_at=at)
        heir[field] = {pk: user_id for user_id, pks in dealt.items() for pk in pks}
        counts[f"customers_as_{field}"] = len(ids)

    def follow(rows: list[tuple[int, int]]) -> dict[int, list[int]]:
        """Rows (id, customer id) grouped by who takes them: the customer's new advisor, else
        new owner, else the first successor."""
        taken: dict[int, list[int]] = {}
        for pk, customer_id in rows:
            user_id = heir["sales_advisor"].get(
                customer_id, heir["service_owner"].get(customer_id, successors[0].pk)
            )
            taken.setdefault(user_id, []).append(pk)
        return taken

    tasks = list(
        Task.objects.filter(assignee=leaver, status=TaskStatus.OPEN).values_list(
            "pk", "customer_id"
        )
    )
    _assign(Task.objects.all(), "assignee_id", follow(tasks), updated_at=at)
    counts["open_tasks"] = len(tasks)
    leads = list(
        Lead.objects.filter(owner=leaver, status=LeadStatus.OPEN).values_list("pk", "customer_id")
    )
    _assign(Lead.objects.all(), "owner_id", follow(leads))
    counts["open_leads"] = len(leads)
    complaints = list(
        Complaint.objects.unresolved().filter(handler=leaver).values_list("pk", "customer_id")
    )
    _assign(Complaint.objects.all(), "handler_id", follow(complaints), updated_at=at)
    counts["open_complaints"] = len(complaints)
    record = Reassignment.objects.create(leaver=leaver, by=by, done_at=at, counts=counts)
    record.successors.set(successors)
    leaver.is_active = False
    return record
