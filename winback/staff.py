"""Who a piece of work goes to when it must go up: the manager of a staff member."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model

from accounts.roles import Role
from winback.models import ReportingLine


def fallback_manager_id() -> int | None:
    """The active manager escalations go to when nobody's reporting line is known: the
    longest-serving one (lowest id), so the choice is stable."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=Role.MANAGER)
        .order_by("id")
        .values_list("id", flat=True)
        .first()
    )


def managers_of(user_ids: Iterable[int | None]) -> dict[int | None, int | None]:
    """The active manager of each user (by reporting line, else the fallback manager), in two
    queries whatever the number of users."""
    wanted = {u for u in user_ids if u is not None}
    lines = dict(
        ReportingLine.objects.filter(user_id__in=wanted, manager__is_active=True).values_list(
            "user_id", "manager_id"
        )
    )
    fallback = fallback_manager_id()
    return {u: lines.get(u, fallback) for u in [*wanted, None]}
