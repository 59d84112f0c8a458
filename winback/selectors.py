"""Reads of the follow-up work: every list goes through the customer scoping
(``Customer.objects.visible_to`` via ``Task.objects.visible_to``) and :class:`TaskFilter`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from customers.filters import filter_apply
from segmentation.models import CustomerScore, RunKind, ScoringRun
from winback.filters import TaskFilter
from winback.models import LeadStatus, Task, TaskKind

#: The rows an advisor's phone list shows at most.
DAILY_LIST_LIMIT = 50
#: Channels that are a visit, for the calendar of planned visits.
VISIT_CHANNELS = ("visit_office", "visit_home")
#: The lead calls an advisor's day lists with their countdown at most.
LEAD_DEADLINE_LIMIT = 10


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


def task_week(*, user: Any, start: dt.date, days: int = 7) -> dict[dt.date, tuple[int, int]]:
    """The user's open tasks and planned visits per due day from ``start`` (R5.1's calendar),
    in one query: ``{day: (tasks, visits)}``, every day present. Reads only the assignee, due
    day and channel (no ``COUNT(id)``), so an index of open tasks on those answers it alone."""
    end = start + dt.timedelta(days=days)
    rows = (
        Task.objects.assigned_to(user)
        .open()
        .filter(due_on__gte=start, due_on__lt=end)
        .values("due_on")
        .annotate(tasks=Count("*"), visits=Count("channel", filter=Q(channel__in=VISIT_CHANNELS)))
        .values_list("due_on", "tasks", "visits")
    )
    counts = {day: (tasks, visits) for day, tasks, visits in rows}
    return {
        start + dt.timedelta(days=i): counts.get(start + dt.timedelta(days=i), (0, 0))
        for i in range(days)
    }


def task_scores_current(*, tasks: list[Task]) -> dict[int, CustomerScore]:
    """The latest monthly scores of the tasks' customers, by customer id, in one query
    whatever the number of tasks (the components behind a task's churn score, in words on
    the advisor's day). The tasks are already scoped; customers not scored are absent."""
    customer_ids = {task.customer_id for task in tasks}
    if not customer_ids:
        return {}
    # The latest current monthly run, as a subquery: the one index on scores leads with it.
    latest_run = (
        ScoringRun.objects.current()
        .filter(kind=RunKind.MONTHLY)
        .order_by("-month")
        .values("pk")[:1]
    )
    scores = CustomerScore.objects.filter(run_id=latest_run, customer_id__in=customer_ids)
    return {score.customer_id: score for score in scores}


def lead_deadlines(*, user: Any, limit: int = LEAD_DEADLINE_LIMIT) -> list[Task]:
    """The next open calls of the user's open leads (R5.8), soonest due first, with their
    customers: the lead cadence counts down from these ``due_at`` times. Read through the
    user's leads (few, indexed by owner) and each lead's tasks, never the user's open tasks."""
    return list(
        Task.objects.open()
        .filter(
            kind=TaskKind.LEAD_CADENCE,
            lead__owner=user,
            lead__status=LeadStatus.OPEN,
        )
        .select_related("customer")
        .order_by("due_at", "id")[:limit]
    )
