"""Reads of the follow-up work (R5.1, R7.1): lists scoped to the customers a user may see, an
advisor's daily list in a bounded number of queries, and the calendar of planned work."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from tests.factories import (
    CustomerFactory,
    ScoringRunFactory,
    TargetFactory,
    TaskFactory,
    UserFactory,
)
from winback.models import Task, TaskKind, TaskStatus
from winback.selectors import task_calendar, task_get, task_list, task_list_daily

pytestmark = pytest.mark.django_db


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def tasks(advisor, other_advisor, marketing):
    """Two tasks on the advisor's customers (one worked by the service owner), one on the
    other advisor's, one on a customer without an advisor."""
    mine = CustomerFactory(sales_advisor=advisor, service_owner=marketing)
    return {
        "mine": TaskFactory(customer=mine, assignee=advisor),
        "mine_by_owner": TaskFactory(customer=mine, assignee=marketing, kind=TaskKind.CARE),
        "theirs": TaskFactory(customer=CustomerFactory(sales_advisor=other_advisor)),
        "unassigned": TaskFactory(
            customer=CustomerFactory(service_owner=marketing), assignee=marketing
        ),
    }


def _ids(queryset) -> set[int]:
    return {t.pk for t in queryset}


# --- scoping (R7.1) ---------------------------------------------------------------------------


def test_an_advisor_sees_the_tasks_of_their_own_customers_only(tasks, advisor, other_advisor):
    assert _ids(task_list(user=advisor, filters={})) == {
        tasks["mine"].pk,
        tasks["mine_by_owner"].pk,
    }
    assert _ids(task_list(user=other_advisor, filters={})) == {tasks["theirs"].pk}


def test_managers_and_service_marketing_see_every_task(tasks, manager, marketing):
    everything = {t.pk for t in tasks.values()}
    assert _ids(task_list(user=manager, filters={})) == everything
    assert _ids(task_list(user=marketing, filters={})) == everything


def test_a_user_without_a_role_sees_no_task(tasks):
    assert not task_list(user=UserFactory(), filters={}).exists()


def test_one_task_is_found_only_by_those_who_may_see_it(tasks, advisor, manager):
    assert task_get(user=advisor, pk=tasks["mine"].pk) == tasks["mine"]
    assert task_get(user=manager, pk=tasks["theirs"].pk) == tasks["theirs"]
    with pytest.raises(Http404):
        task_get(user=advisor, pk=tasks["theirs"].pk)
    with pytest.raises(Http404):
        task_get(user=advisor, pk=max(t.pk for t in tasks.values()) + 1)


def test_filters_narrow_the_visible_tasks(tasks, manager, marketing, today):
    Task.objects.filter(pk=tasks["theirs"].pk).update(status=TaskStatus.DONE)
    assert _ids(task_list(user=manager, filters={"kind": "care"})) == {tasks["mine_by_owner"].pk}
    assert _ids(task_list(user=manager, filters={"assignee": str(marketing.pk)})) == {
        tasks["mine_by_owner"].pk,
        tasks["unassigned"].pk,
    }
    assert _ids(task_list(user=manager, filters={"status": "done"})) == {tasks["theirs"].pk}
    customer = tasks["mine"].customer
    assert _ids(
        task_list(user=manager, filters={"customer_external_id": customer.external_id})
    ) == {
        tasks["mine"].pk,
        tasks["mine_by_owner"].pk,
    }


def test_the_run_month_filter_takes_yyyy_mm(advisor, manager):
    run = ScoringRunFactory(month=dt.date(2024, 9, 1))
    in_run = TaskFactory(customer=CustomerFactory(sales_advisor=advisor), run=run)
    TaskFactory(customer=CustomerFactory(sales_advisor=advisor))
    assert _ids(task_list(user=manager, filters={"run_month": "2024-09"})) == {in_run.pk}
    assert not task_list(user=manager, filters={"run_month": "2024-10"}).exists()
    with pytest.raises(ValidationError):
        list(task_list(user=manager, filters={"run_month": "September"}))


def test_bad_filters_are_refused(manager):
    with pytest.raises(ValidationError):
        task_list(user=manager, filters={"kind": "gossip"})


# --- the advisor's daily list (R5.1) ----------------------------------------------------------


def _due(advisor, day: dt.date, priority: float, **kwargs) -> Task:
    return TaskFactory(
        customer=CustomerFactory(sales_advisor=advisor),
        assignee=advisor,
        due_on=day,
        priority=priority,
        **kwargs,
    )


def test_the_daily_list_has_own_open_tasks_due_by_today_most_urgent_first(
    advisor, other_advisor, today
):
    yesterday, tomorrow = today - dt.timedelta(days=1), today + dt.timedelta(days=1)
    listed = [
        _due(advisor, today, 300.0),
        _due(advisor, yesterday, 900.0),  # overdue
        _due(advisor, today, 50.0),
        _due(advisor, yesterday, 300.0),  # same priority, due earlier: first
    ]
    _due(advisor, tomorrow, 5000.0)
    closed = _due(advisor, yesterday, 5000.0)
    Task.objects.filter(pk=closed.pk).update(status=TaskStatus.DONE)
    _due(other_advisor, today, 5000.0)
    daily = task_list_daily(user=advisor, today=today)
    expected = sorted(listed, key=lambda t: (-t.priority, t.due_at, t.pk))
    assert [t.pk for t in daily] == [t.pk for t in expected]
    assert [t.pk for t in task_list_daily(user=advisor, today=today, limit=2)] == [
        t.pk for t in expected[:2]
    ]


@pytest.mark.parametrize("n", [3, 30])
def test_the_daily_list_costs_one_query_whatever_its_length(
    n, advisor, today, django_assert_max_num_queries
):
    for i in range(n):
        task = _due(advisor, today, float(i))
        target = TargetFactory(customer=task.customer)
        Task.objects.filter(pk=task.pk).update(target=target)
    with django_assert_max_num_queries(1):
        daily = task_list_daily(user=advisor, today=today)
        shown = [(t.customer.name, t.target.priority, t.get_kind_display()) for t in daily]
    assert len(shown) == n


# --- the calendar (R5.1) ----------------------------------------------------------------------


def test_the_calendar_counts_open_tasks_per_day_with_every_day_present(
    advisor, other_advisor, today
):
    start = today
    plan = {0: 2, 2: 1, 6: 3}
    for offset, count in plan.items():
        for _ in range(count):
            _due(advisor, start + dt.timedelta(days=offset), 10.0)
    _due(advisor, start + dt.timedelta(days=7), 10.0)  # the day after the week
    _due(other_advisor, start, 10.0)
    closed = _due(advisor, start + dt.timedelta(days=2), 10.0)
    Task.objects.filter(pk=closed.pk).update(status=TaskStatus.SKIPPED)
    calendar = task_calendar(user=advisor, start=start)
    assert calendar == {start + dt.timedelta(days=i): plan.get(i, 0) for i in range(7)}


def test_the_visit_calendar_counts_only_planned_visits(advisor, today):
    _due(advisor, today, 10.0, channel="visit_office")
    _due(advisor, today, 10.0, channel="visit_home")
    _due(advisor, today, 10.0, channel="phone")
    _due(advisor, today + dt.timedelta(days=1), 10.0, channel="visit_home")
    calendar = task_calendar(user=advisor, start=today, days=3, visits_only=True)
    assert calendar == {
        today: 2,
        today + dt.timedelta(days=1): 1,
        today + dt.timedelta(days=2): 0,
    }
