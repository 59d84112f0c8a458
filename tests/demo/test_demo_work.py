"""The demo's year of follow-up work: rounds month by month, worked through the services,
consistent with the scores and stamped in the past."""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import DateTimeField, F
from django.utils import timezone

from accounts.roles import Role
from contacts.models import ContactLog
from core.months import add_months, month_start
from demo import work
from segmentation.models import RunKind, ScoringRun
from tests.factories import TaskFactory
from winback.models import (
    Campaign,
    CampaignStatus,
    PlanStatus,
    Round,
    Target,
    TargetGroup,
    Task,
    TaskStatus,
)
from winback.selectors import task_list_daily
from winback.services import daily_work_run

pytestmark = pytest.mark.django_db

MONTHS = 3
User = get_user_model()
APPS = {"customers", "vehicles", "contacts", "segmentation", "winback", "api"}


class _RoundsAtEachWrite(StringIO):
    """The command's stdout, noting how many rounds exist as each line is written."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[tuple[int, str]] = []

    def write(self, text: str) -> int:
        self.lines.append((Round.objects.count(), text))
        return super().write(text)


def test_a_demo_year_of_work_is_planned_worked_measured_and_stamped_in_the_past():
    """One seeding (it takes a while), checked for each thing the demo must show."""
    call_command("seed_demo", customers=400, seed=3, stdout=StringIO(), chunk_size=200)
    out = _RoundsAtEachWrite()
    call_command("seed_demo_work", months=MONTHS, seed=3, stdout=out)
    worked = out.getvalue()
    seeded = timezone.now()
    _every_month_is_scored_and_planned_once_plus_todays_warning(worked)
    _each_month_printed_one_progress_line_as_it_was_done(out)
    _tasks_were_worked_through_the_services_and_stamped_when_they_happened()
    _plans_moved_on_and_ended_as_the_calls_went()
    _control_targets_were_never_contacted()
    _outcomes_are_measured_once_their_month_has_passed()
    _advisors_have_a_list_for_today()
    _every_advisor_and_marketing_user_has_work_due_today()
    _the_morning_job_has_run_for_today()
    _one_campaign_runs_and_one_awaits_approval()
    _nothing_is_stamped_after_the_seeding(seeded)
    _the_command_skips_when_rounds_exist()


def _every_month_is_scored_and_planned_once_plus_todays_warning(worked: str) -> None:
    today = timezone.localdate()
    months = [add_months(month_start(today), -i) for i in range(MONTHS)]
    monthly = ScoringRun.objects.current().filter(kind=RunKind.MONTHLY)
    assert set(monthly.values_list("month", flat=True)) >= set(months)
    rounds = Round.objects.select_related("run")
    assert sorted(r.run.month for r in rounds if r.run.kind == RunKind.MONTHLY) == sorted(months)
    assert rounds.filter(run__kind=RunKind.WARNING, run__as_of=today).count() == 1
    assert f"{MONTHS + 1} " in worked


def _progress_months(output: str) -> list[str]:
    """The months of the command's progress lines ("2026-03: 612 tasks due, …")."""
    return re.findall(r"^(\d{4}-\d{2}): ", output, flags=re.MULTILINE)


def _each_month_printed_one_progress_line_as_it_was_done(out: _RoundsAtEachWrite) -> None:
    today = timezone.localdate()
    months = [add_months(month_start(today), -i) for i in reversed(range(MONTHS))]
    assert _progress_months(out.getvalue()) == [f"{m:%Y-%m}" for m in months]
    # Written while the seeding ran: the line of the n-th month once its round existed and
    # before the next month's.
    rounds_then = [rounds for rounds, text in out.lines if _progress_months(text)]
    assert rounds_then == list(range(1, MONTHS + 1))


def _tasks_were_worked_through_the_services_and_stamped_when_they_happened() -> None:
    done = Task.objects.filter(status=TaskStatus.DONE)
    assert done.count() > 50
    assert not done.filter(contact_log=None).exists()
    now = timezone.now()
    logs = ContactLog.objects.filter(task__isnull=False)
    assert not logs.filter(contacted_at__gt=now).exists()
    assert not logs.exclude(created_at=F("contacted_at")).exists()
    assert Task.objects.filter(status=TaskStatus.EXPIRED).exists()


def _plans_moved_on_and_ended_as_the_calls_went() -> None:
    statuses = set(Target.objects.values_list("plan_status", flat=True))
    assert {PlanStatus.ANSWERED, PlanStatus.CONTROL} <= statuses
    assert Task.objects.filter(step=2).exists()
    assert Target.objects.exclude(churn_reason="").exists()


def _control_targets_were_never_contacted() -> None:
    control = Target.objects.filter(group=TargetGroup.CONTROL)
    assert control.exists()
    assert not Task.objects.filter(target__in=control).exists()
    assert not control.exclude(first_contact_at=None).exists()


def _outcomes_are_measured_once_their_month_has_passed() -> None:
    today = timezone.localdate()
    due = Target.objects.filter(anchor_on__lte=add_months(today, -1))
    assert due.exists()
    assert not due.filter(returned_1m=None).exists()
    assert (
        not Target.objects.filter(anchor_on__gt=add_months(today, -1))
        .exclude(returned_1m=None)
        .exists()
    )


def _advisors_have_a_list_for_today() -> None:
    lists = [
        task_list_daily(user=task.assignee, today=timezone.localdate())
        for task in Task.objects.open().select_related("assignee").distinct()[:5]
    ]
    assert any(lists)


def _every_advisor_and_marketing_user_has_work_due_today() -> None:
    today = timezone.localdate()
    staff = User.objects.filter(
        groups__name__in=[Role.SALES_ADVISOR, Role.SERVICE_MARKETING], is_active=True
    ).distinct()
    assert staff.filter(groups__name=Role.SERVICE_MARKETING).exists()
    for user in staff:
        assert task_list_daily(user=user, today=today), user.username


def _the_morning_job_has_run_for_today() -> None:
    """Run again now, it finds nothing left to expire, escalate, alert or measure."""
    assert set(daily_work_run(now=timezone.now()).values()) == {0}


def _one_campaign_runs_and_one_awaits_approval() -> None:
    running = Campaign.objects.get(status=CampaignStatus.RUNNING)
    assert running.approved_by.groups.filter(name=Role.MANAGER).exists()
    assert Task.objects.filter(target__campaign=running).exists()
    draft = Campaign.objects.get(status=CampaignStatus.DRAFT)
    assert draft.created_by.groups.filter(name=Role.SERVICE_MARKETING).exists()
    assert not Target.objects.filter(campaign=draft).exists()


#: Planned times, which may lie ahead (a call due this afternoon, a promised answer).
PLANNED = {"due_at", "promised_response_by"}


def _nothing_is_stamped_after_the_seeding(seeded: dt.datetime) -> None:
    """Rows written, contacts made, tasks closed: all before the seeding finished, so the
    API's change feed and "today" pages show them whatever the hour of the demo."""
    for model in apps.get_models():
        if model._meta.app_label not in APPS:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, DateTimeField) and field.name not in PLANNED:
                later = model.objects.filter(**{f"{field.name}__gt": seeded})
                assert not later.exists(), f"{model.__name__}.{field.name}"


def _the_command_skips_when_rounds_exist() -> None:
    out = StringIO()
    call_command("seed_demo_work", months=1, if_empty=True, stdout=out)
    assert "already" in out.getvalue()


def test_verbosity_0_prints_no_progress_lines():
    call_command("seed_demo", customers=40, seed=3, stdout=StringIO())
    out = StringIO()
    call_command("seed_demo_work", months=1, seed=3, verbosity=0, stdout=out)
    assert _progress_months(out.getvalue()) == []
    assert Round.objects.exists()


def test_the_command_needs_customers_and_a_month():
    with pytest.raises(CommandError):
        call_command("seed_demo_work", months=1)
    with pytest.raises(CommandError):
        call_command("seed_demo_work", months=0)


def test_staff_whose_list_is_empty_today_get_their_next_tasks_brought_forward(
    advisor, other_advisor, marketing
):
    """On a month's last day the new round's calls start tomorrow: the demo brings each
    user's next open tasks forward to today, keeping the time of day of their window."""
    today = timezone.localdate()
    later = [
        TaskFactory(assignee=advisor, due_on=today + dt.timedelta(days=d)) for d in range(1, 9)
    ]
    already = TaskFactory(assignee=marketing)
    theirs = [TaskFactory(assignee=marketing, due_on=today + dt.timedelta(days=d)) for d in (2, 3)]
    done = TaskFactory(
        assignee=other_advisor, due_on=today + dt.timedelta(days=1), status=TaskStatus.DONE
    )
    moved = work.todays_work_ensure(today=today, now=timezone.now())
    assert moved == work.TODAY_TASKS + 2
    mine = task_list_daily(user=advisor, today=today)
    # The earliest ones come forward, the rest keep their day.
    assert {t.pk for t in mine} == {t.pk for t in later[: work.TODAY_TASKS]}
    assert all(timezone.localtime(t.due_at).date() == today for t in mine)
    assert all(timezone.localtime(t.due_at).hour == 10 for t in mine)
    assert {t.pk for t in task_list_daily(user=marketing, today=today)} == {
        already.pk,
        *(t.pk for t in theirs),
    }
    done.refresh_from_db()
    assert done.due_on == today + dt.timedelta(days=1)
    assert work.todays_work_ensure(today=today, now=timezone.now()) == 0
