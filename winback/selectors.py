"""Reads of the follow-up work: every list goes through the customer scoping
(``Customer.objects.visible_to`` via ``Task.objects.visible_to``) and :class:`TaskFilter`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db.models import Count, QuerySet
from django.http import Http404

from customers.filters import filter_apply
from winback.filters import TaskFilter
from winback.models import Task

#: The rows an advisor's phone list shows at most.
DAILY_LIST_LIMIT = 50
#: Channels that are a visit, for the calendar of planned visits.
VISIT_CHANNELS = ("visit_office", "visit_home")


def task_list(*, user: Any, filters: Mapping) -> QuerySet[Task]:
    """Tasks of the customers ``user`` may see, filtered; raises ``ValidationError`` for bad
    filters."""
    tasks = filter_apply(TaskFilter, filters, Task.objects.visible_to(user))
    return tasks.select_related("customer", "run", "offer")


def task_get(*, user: Any, pk: int) -> Task:
    """One task the user may see; 404 for tasks that do not exist or are not theirs."""
    task = Task.objects.visible_to(user).select_related("customer", "run").filter(pk=pk).first()
    if task is None:
        raise Http404
    return task


def task_list_daily(*, user: Any, today: dt.date, limit: int = DAILY_LIST_LIMIT) -> list[Task]:
    """The user's own open tasks due today or overdue, most urgent first (R5.1): one query on
    the partial index of open tasks by assignee and due day."""
    return list(
        Task.objects.assigned_to(user)
        .due_by(today)
        .select_related("customer", "target")
        .by_priority()[:limit]
    )


def task_calendar(
    *, user: Any, start: dt.date, days: int = 7, visits_only: bool = False
) -> dict[dt.date, int]:
    """Open tasks of ``user`` per due day from ``start`` (R5.1's calendar of planned visits,
    with ``visits_only``); every day is present, 0 when nothing is planned."""
    end = start + dt.timedelta(days=days)
    tasks = Task.objects.assigned_to(user).open().filter(due_on__gte=start, due_on__lt=end)
    if visits_only:
        tasks = tasks.filter(channel__in=VISIT_CHANNELS)
    counts = dict(tasks.values_list("due_on").annotate(n=Count("id")).values_list("due_on", "n"))
    return {
        start + dt.timedelta(days=i): counts.get(start + dt.timedelta(days=i), 0)
        for i in range(days)
    }
