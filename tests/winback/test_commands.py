"""``winback_generate`` prints a round's report and never generates twice; ``winback_daily``
does the morning's housekeeping."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from segmentation.models import RunKind
from tests.factories import (
    ComplaintFactory,
    ContactPreferenceFactory,
    CustomerFactory,
    LeadFactory,
    RoundFactory,
    ServiceOrderFactory,
    ServiceOrderLineFactory,
    TargetFactory,
    TaskFactory,
)
from tests.winback.helpers import contact_plan, only_rule, run_ending, scored, work_settings
from winback import planning
from winback.models import Round, Task, TaskKind, TaskStatus
from winback.presentation import SKIP_CAUSE_LABELS

pytestmark = pytest.mark.django_db


def _generate(*args: str) -> str:
    out = StringIO()
    call_command("winback_generate", *args, stdout=out)
    return out.getvalue()


# --- winback_generate -------------------------------------------------------------------------


def test_generate_prints_the_report_and_a_second_run_says_nothing_new(advisor):
    only_rule(plan=contact_plan(("", 0, 10)))
    run = run_ending(dt.date(2024, 9, 30))
    scored(run, 3, sales_advisor=advisor)
    for person in scored(run, 2, sales_advisor=advisor):
        ContactPreferenceFactory(customer=person, do_not_contact=True)
    first = _generate()
    assert "Round of" in first and "work from 2024-10-01" in first
    assert "5 candidates, 3 tasks created, 0 held back as control" in first
    assert f"{SKIP_CAUSE_LABELS[planning.REFUSES_CONTACT]}: 2" in first
    assert "nothing new" not in first
    tasks = Task.objects.count()
    second = _generate()
    assert "Already generated; nothing new was created." in second
    assert "3 tasks created" in second
    assert Task.objects.count() == tasks == 3
    assert Round.objects.count() == 1


def test_generate_takes_the_latest_month_or_the_month_asked(advisor):
    only_rule(plan=contact_plan(("", 0, 10)))
    august = run_ending(dt.date(2024, 8, 31))
    september = run_ending(dt.date(2024, 9, 30))
    scored(august, sales_advisor=advisor)
    _generate()
    assert list(Round.objects.values_list("run", flat=True)) == [september.pk]
    _generate("--month", "2024-08")
    assert set(Round.objects.values_list("run", flat=True)) == {august.pk, september.pk}


def test_generate_takes_todays_warning_run(advisor):
    only_rule(plan=contact_plan(("", 0, 10)), run_kind="warning")
    today = timezone.localdate()
    run = run_ending(today, kind=RunKind.WARNING)
    scored(run, 2, sales_advisor=advisor)
    output = _generate("--warning")
    assert f"work from {today.isoformat()}" in output
    assert Round.objects.get().run == run
    assert Task.objects.count() == 2


def test_generate_refuses_a_bad_or_unscored_month():
    with pytest.raises(CommandError, match="YYYY-MM"):
        _generate("--month", "Sept")
    with pytest.raises(CommandError, match="score_month"):
        _generate("--month", "2024-09")
    with pytest.raises(CommandError, match="score_month"):
        _generate()


# --- winback_daily ----------------------------------------------------------------------------


def test_daily_expires_escalates_reports_dropped_leads_and_measures(advisor, marketing, manager):
    now = timezone.now()
    today = timezone.localdate(now)
    stale = TaskFactory(customer=CustomerFactory(sales_advisor=advisor), assignee=advisor)
    Task.objects.filter(pk=stale.pk).update(expires_on=today - dt.timedelta(days=1))
    ComplaintFactory(
        customer=CustomerFactory(service_owner=marketing),
        handler=marketing,
        opened_at=now - dt.timedelta(days=2),
        promised_response_by=now - dt.timedelta(days=1),
    )
    LeadFactory(
        customer=CustomerFactory(sales_advisor=advisor), opened_at=now - dt.timedelta(days=45)
    )
    anchor = today - dt.timedelta(days=120)  # all three horizons have passed
    target = TargetFactory(round=RoundFactory(starts_on=anchor), anchor_on=anchor)
    order = ServiceOrderFactory(customer=target.customer, opened_on=anchor + dt.timedelta(days=3))
    ServiceOrderLineFactory(order=order)
    out = StringIO()
    call_command("winback_daily", stdout=out)
    assert out.getvalue().strip() == (
        "1 tasks expired, 1 complaints overdue, 1 dropped leads reported, 3 outcomes measured."
    )
    assert Task.objects.get(pk=stale.pk).status == TaskStatus.EXPIRED
    assert Task.objects.filter(kind=TaskKind.COMPLAINT_ESCALATION, assignee=manager).count() == 1
    assert Task.objects.filter(kind=TaskKind.LEAD_DROPPED, assignee=manager).count() == 1
    target.refresh_from_db()
    assert target.returned_1m is True
    # The next morning: nothing new to expire, report or measure.
    again = StringIO()
    call_command("winback_daily", stdout=again)
    assert "0 tasks expired" in again.getvalue()
    assert "0 dropped leads" in again.getvalue() and "0 outcomes" in again.getvalue()


def test_daily_on_an_empty_database_does_nothing(db):
    work_settings()
    out = StringIO()
    call_command("winback_daily", stdout=out)
    assert out.getvalue().strip() == (
        "0 tasks expired, 0 complaints overdue, 0 dropped leads reported, 0 outcomes measured."
    )
