"""A round end to end on the database (R5.1-R5.3, R5.6): one per scoring run, written in one
transaction, with the never-spam limits, the control group, due dates and priorities."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.roles import Role
from contacts.models import ComplaintStatus
from segmentation.models import RunKind, RunStatus, Status
from tests.factories import (
    ChannelOptOutFactory,
    ComplaintFactory,
    ContactLogFactory,
    ContactPreferenceFactory,
    CustomerFactory,
    CustomerScoreFactory,
    GenerationRuleFactory,
    PurchaseFactory,
    RoundFactory,
    ScoringRunFactory,
    TargetFactory,
    TaskFactory,
    UserFactory,
)
from tests.winback.helpers import (
    ACTIVE,
    LOST,
    contact_plan,
    local_time,
    only_rule,
    run_ending,
    scored,
    scored_in_bulk,
    work_settings,
)
from vehicles.models import PaymentMethod
from winback import loaders, planning
from winback.models import (
    PlanStatus,
    Round,
    Target,
    TargetGroup,
    Task,
    TaskKind,
    TaskStatus,
)
from winback.services import RoundNotPossible, round_generate, round_starts_on
from winback.work_settings import WINDOW_START_HOURS, WorkSettings

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2024, 9, 30)
START = AS_OF + dt.timedelta(days=1)  # Tuesday 1 October 2024


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def run():
    return run_ending(AS_OF)


@pytest.fixture
def win_back_plan():
    return contact_plan(("phone", 0, 10), ("wechat", 7, 10), ("sms", 14, 14))


def _task_of(customer) -> Task:
    return Task.objects.get(customer=customer)


# --- what a round creates ---------------------------------------------------------------------


def test_a_round_creates_a_target_and_a_first_step_task_per_candidate(run, advisor, win_back_plan):
    rule = only_rule(plan=win_back_plan, statuses=["lost"])
    lost = scored(run, 3, sales_advisor=advisor)
    scored(run, 2, sales_advisor=advisor, score=ACTIVE)
    round_ = round_generate(run=run)
    assert round_.run == run and round_.starts_on == START == round_starts_on(run)
    assert round_.settings == WorkSettings().to_dict()
    targets = Target.objects.filter(round=round_)
    assert {t.customer_id for t in targets} == {c.pk for c in lost}
    assert all(t.rule == rule and t.plan == win_back_plan for t in targets)
    assert all(t.plan_status == PlanStatus.ACTIVE and t.anchor_on == START for t in targets)
    assert all(t.score_status == Status.LOST for t in targets)
    tasks = Task.objects.all()
    assert len(tasks) == 3
    for task in tasks:
        assert task.target.customer_id == task.customer_id
        assert task.kind == TaskKind.WIN_BACK and task.step == 1
        assert task.run == run and task.assignee == advisor
        assert task.status == TaskStatus.OPEN
        assert task.channel == "phone"
        assert task.due_on == START
        assert task.expires_on == START + dt.timedelta(days=10)
        assert task.script == "step 1"


def test_generating_twice_creates_nothing_new(run, advisor, win_back_plan):
    only_rule(plan=win_back_plan)
    scored(run, 4, sales_advisor=advisor)
    first = round_generate(run=run)
    tasks = set(Task.objects.values_list("pk", flat=True))
    targets = set(Target.objects.values_list("pk", flat=True))
    second = round_generate(run=run)
    assert second.pk == first.pk
    assert Round.objects.count() == 1
    assert set(Task.objects.values_list("pk", flat=True)) == tasks
    assert set(Target.objects.values_list("pk", flat=True)) == targets
    assert len(tasks) == 4


def test_a_rerun_of_the_month_does_not_plan_the_month_again(run, advisor, win_back_plan):
    only_rule(plan=win_back_plan)
    scored(run, 3, sales_advisor=advisor)
    first = round_generate(run=run)
    run.is_current = False
    run.save(update_fields=["is_current"])
    rerun = ScoringRunFactory(month=run.month, as_of=run.as_of)
    for score in run.scores.all():
        CustomerScoreFactory(run=rerun, customer=score.customer, **LOST)
    assert round_generate(run=rerun).pk == first.pk
    assert Task.objects.count() == 3


def test_the_report_counts_created_control_and_skipped_by_cause(run, advisor, win_back_plan):
    rule = only_rule(plan=win_back_plan)
    fine = scored(run, 5, sales_advisor=advisor)
    for person in scored(run, 2, sales_advisor=advisor):
        ContactPreferenceFactory(customer=person, do_not_contact=True)
    for person in scored(run, 1, sales_advisor=advisor):
        TaskFactory(customer=person, kind=TaskKind.WIN_BACK, assignee=advisor)
    scored(run, 1)  # nobody assigned
    scored(run, 1, sales_advisor=UserFactory(is_active=False, role=Role.SALES_ADVISOR))
    scored(run, 1, sales_advisor=advisor, mobile="")  # nothing to reach them on
    for person in scored(run, 1, sales_advisor=advisor):
        cap = WorkSettings().contact_cap
        ContactLogFactory.create_batch(cap, customer=person, contacted_at=_at(AS_OF))
    report = round_generate(run=run).report
    expected_skipped = {
        planning.REFUSES_CONTACT: 2,
        planning.OPEN_TASK: 1,
        planning.NO_OWNER: 2,
        planning.NO_CHANNEL: 1,
        planning.CONTACT_CAP: 1,
    }
    assert report["skipped"] == expected_skipped
    assert report["created"] == len(fine)
    assert report["control"] == 0
    assert report["candidates"] == len(fine) + sum(expected_skipped.values())
    assert report["rules"] == [
        {
            "rule": rule.pk,
            "kind": TaskKind.WIN_BACK,
            "candidates": report["candidates"],
            "created": len(fine),
            "control": 0,
            "skipped": expected_skipped,
        }
    ]
    created = Task.objects.filter(status=TaskStatus.OPEN).exclude(target=None)
    assert {t.customer_id for t in created} == {c.pk for c in fine}


# --- never spam (R5.2) ------------------------------------------------------------------------


def test_opted_out_channels_are_never_suggested(run, advisor, win_back_plan):
    only_rule(plan=win_back_plan)  # step 1 asks for a phone call
    opted_out = scored(run, 3, sales_advisor=advisor, wechat_id="wx")
    for person in opted_out:
        ChannelOptOutFactory(customer=person, channel="phone")
    ChannelOptOutFactory(customer=opted_out[0], channel="sms")
    others = scored(run, 2, sales_advisor=advisor, wechat_id="wx")
    round_generate(run=run)
    channels = {t.customer_id: t.channel for t in Task.objects.all()}
    assert len(channels) == 5
    assert all(channels[p.pk] != "phone" for p in opted_out)
    assert channels[opted_out[0].pk] not in ("phone", "sms")
    assert all(channels[p.pk] == "phone" for p in others)


def test_a_customer_who_refuses_all_contact_gets_no_task(run, advisor, win_back_plan):
    only_rule(plan=win_back_plan)
    refuses, fine = scored(run, 2, sales_advisor=advisor)
    ContactPreferenceFactory(customer=refuses, do_not_contact=True)
    round_generate(run=run)
    assert not Task.objects.filter(customer=refuses).exists()
    assert not Target.objects.filter(customer=refuses).exists()
    assert Task.objects.filter(customer=fine).exists()


def test_the_contact_cap_counts_logged_contacts_and_open_tasks_of_any_kind(
    run, advisor, manager, win_back_plan
):
    only_rule(plan=win_back_plan)
    work_settings(contact_cap=2, contact_cap_days=30)
    in_window = _at(START - dt.timedelta(days=10))
    before_window = _at(START - dt.timedelta(days=31))
    full_by_log_and_task, old_contact, one_task, full_by_logs, one_log = scored(
        run, 5, sales_advisor=advisor
    )
    ContactLogFactory(customer=full_by_log_and_task, contacted_at=in_window)
    TaskFactory(customer=full_by_log_and_task, kind=TaskKind.SERVICE_LANE, assignee=advisor)
    ContactLogFactory.create_batch(3, customer=old_contact, contacted_at=before_window)
    TaskFactory(customer=one_task, kind=TaskKind.COMPLAINT_ESCALATION, assignee=manager)
    ContactLogFactory.create_batch(2, customer=full_by_logs, contacted_at=in_window)
    ContactLogFactory(customer=one_log, contacted_at=in_window)
    report = round_generate(run=run).report
    planned = set(Task.objects.filter(kind=TaskKind.WIN_BACK).values_list("customer", flat=True))
    assert planned == {old_contact.pk, one_task.pk, one_log.pk}
    assert report["skipped"] == {planning.CONTACT_CAP: 2}


def test_a_customer_with_an_open_task_of_a_kind_gets_no_second_one(run, advisor, win_back_plan):
    only_rule(plan=win_back_plan)
    holder, other = scored(run, 2, sales_advisor=advisor)
    existing = TaskFactory(customer=holder, kind=TaskKind.WIN_BACK, assignee=advisor)
    round_generate(run=run)
    assert list(Task.objects.filter(customer=holder)) == [existing]
    assert Task.objects.filter(customer=other, kind=TaskKind.WIN_BACK).count() == 1


def test_a_customer_of_several_rules_gets_one_task_per_kind(run, advisor, marketing):
    only_rule(kind="win_back", statuses=["lost"], assign_to="service_owner")
    GenerationRuleFactory(kind="replacement", statuses=[], nine_cells=["7+/low"])
    GenerationRuleFactory(kind="win_back", statuses=[], name="Second win-back rule")
    (person,) = scored(
        run,
        sales_advisor=advisor,
        service_owner=marketing,
        score={**LOST, "nine_cell": "7+/low"},
    )
    round_generate(run=run)
    tasks = {t.kind: t.assignee for t in Task.objects.filter(customer=person)}
    assert tasks == {TaskKind.WIN_BACK: marketing, TaskKind.REPLACEMENT: advisor}


def test_a_customer_worked_recently_waits_unless_they_did_not_answer(run, advisor, win_back_plan):
    only_rule(plan=win_back_plan, cooldown_days=60)
    answered, refused, control, unanswered, expired, other_kind, long_ago = scored(
        run, 7, sales_advisor=advisor
    )
    last_month = RoundFactory(run=run_ending(dt.date(2024, 8, 31)))
    assert (START - last_month.starts_on).days == 30
    TargetFactory(round=last_month, customer=answered, plan_status=PlanStatus.ANSWERED)
    TargetFactory(round=last_month, customer=refused, plan_status=PlanStatus.REFUSED)
    TargetFactory(round=last_month, customer=control, group=TargetGroup.CONTROL)
    TargetFactory(round=last_month, customer=unanswered, plan_status=PlanStatus.UNANSWERED)
    TargetFactory(round=last_month, customer=expired, plan_status=PlanStatus.EXPIRED)
    TargetFactory(
        round=last_month, customer=other_kind, kind=TaskKind.CARE, plan_status=PlanStatus.ANSWERED
    )
    spring = RoundFactory(run=run_ending(dt.date(2024, 6, 30)))
    assert (START - spring.starts_on).days > 60
    TargetFactory(round=spring, customer=long_ago, plan_status=PlanStatus.ANSWERED)
    report = round_generate(run=run).report
    planned = set(Task.objects.values_list("customer", flat=True))
    # Unresponsive customers, and those whose tasks were not worked, enter the next round.
    assert planned == {unanswered.pk, expired.pk, other_kind.pk, long_ago.pk}
    assert report["skipped"] == {planning.COOLING_DOWN: 3}


def test_an_inactive_advisors_customer_goes_to_the_service_owner(run, marketing, win_back_plan):
    only_rule(plan=win_back_plan, assign_to="sales_advisor")
    gone = UserFactory(is_active=False, role=Role.SALES_ADVISOR)
    (person,) = scored(run, sales_advisor=gone, service_owner=marketing)
    round_generate(run=run)
    assert _task_of(person).assignee == marketing


# --- control group (R5.6) ---------------------------------------------------------------------


def test_the_control_group_is_about_the_configured_share_and_stable_on_a_rerun(
    run, advisor, win_back_plan
):
    share, n = 0.2, 3_000
    only_rule(plan=win_back_plan, measure_uplift=True)
    work_settings(control_share=share, daily_capacity=1000)
    scored_in_bulk(run, n, sales_advisor=advisor)
    round_ = round_generate(run=run)
    control = set(
        Target.objects.filter(group=TargetGroup.CONTROL).values_list("customer", flat=True)
    )
    assert abs(len(control) - n * share) < 4 * (n * share * (1 - share)) ** 0.5
    assert round_.report["control"] == len(control)
    assert round_.report["created"] == n - len(control) == Task.objects.count()
    assert round_.settings["control_share"] == share
    assert not Task.objects.filter(customer__in=control).exists()
    assert set(
        Target.objects.filter(group=TargetGroup.CONTROL).values_list("plan_status", flat=True)
    ) == {PlanStatus.CONTROL}
    # The month is generated again from scratch: the same customers are held back.
    Task.objects.all().delete()
    Round.objects.all().delete()
    round_generate(run=run)
    again = set(Target.objects.filter(group=TargetGroup.CONTROL).values_list("customer", flat=True))
    assert again == control


# --- atomicity and preconditions --------------------------------------------------------------


def test_a_failure_half_way_leaves_no_round_targets_or_tasks(
    run, advisor, win_back_plan, monkeypatch
):
    only_rule(plan=win_back_plan)
    scored(run, 3, sales_advisor=advisor)

    def tasks_write(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(loaders, "tasks_write", tasks_write)
    with pytest.raises(RuntimeError, match="disk full"):
        round_generate(run=run)
    assert not Round.objects.exists()
    assert not Target.objects.exists()
    assert not Task.objects.exists()
    monkeypatch.undo()
    assert round_generate(run=run).report["created"] == 3


@pytest.mark.parametrize("status", [RunStatus.FAILED, RunStatus.RUNNING])
def test_a_run_that_did_not_succeed_cannot_be_planned(status, advisor):
    failed = ScoringRunFactory(status=status, is_current=False)
    CustomerScoreFactory(run=failed, customer=CustomerFactory(sales_advisor=advisor), **LOST)
    with pytest.raises(RoundNotPossible):
        round_generate(run=failed)
    assert not Round.objects.exists()


def test_a_round_with_every_rule_switched_off_is_empty(run, advisor):
    only_rule().delete()
    scored(run, 2, sales_advisor=advisor)
    round_ = round_generate(run=run)
    assert round_.report["created"] == 0 and round_.report["rules"] == []
    assert not Task.objects.exists()


# --- when and how urgent (R5.1) ---------------------------------------------------------------


def test_due_dates_respect_preferred_days_and_time_windows(run, advisor):
    # Step 1 four days after Tuesday's start: a Saturday.
    only_rule(plan=contact_plan(("", 4, 10)))
    work_settings(default_window="afternoon")
    weekend, weekday, anyday = scored(run, 3, sales_advisor=advisor)
    ContactPreferenceFactory(customer=weekend, preferred_days="weekend", time_windows=["evening"])
    ContactPreferenceFactory(
        customer=weekday, preferred_days="weekday", time_windows=["noon", "evening"]
    )
    round_generate(run=run)
    saturday = START + dt.timedelta(days=4)
    assert saturday.weekday() == 5
    expected = {
        weekend: (saturday, "evening"),
        weekday: (saturday + dt.timedelta(days=2), "noon"),
        anyday: (saturday, "afternoon"),
    }
    for person, (day, window) in expected.items():
        task = _task_of(person)
        assert (task.due_on, task.window) == (day, window)
        assert timezone.localdate(task.due_at) == day
        assert local_time(task.due_at) == dt.time(WINDOW_START_HOURS[window])
        assert task.expires_on == day + dt.timedelta(days=10)


def test_an_advisors_tasks_beyond_the_daily_capacity_are_due_on_later_days(run, advisor):
    capacity = 3
    only_rule(plan=contact_plan(("", 0, 10)))
    work_settings(daily_capacity=capacity)
    people = scored(run, 7, sales_advisor=advisor)
    round_generate(run=run)
    per_day: dict[dt.date, int] = {}
    for task in Task.objects.filter(customer__in=people):
        per_day[task.due_on] = per_day.get(task.due_on, 0) + 1
    assert per_day == {
        START: capacity,
        START + dt.timedelta(days=1): capacity,
        START + dt.timedelta(days=2): 7 - 2 * capacity,
    }


def test_priority_is_weight_times_future_value_times_churn_most_valuable_drifting_first(
    run, advisor
):
    weight = 0.5
    only_rule(plan=contact_plan(("", 0, 10)), statuses=[], priority_weight=weight)
    cases = [(5000.0, 0.9), (8000.0, 0.2), (2000.0, 0.05), (-100.0, 0.9), (12000.0, 0.6)]
    people = {}
    for value, churn in cases:
        (person,) = scored(
            run,
            sales_advisor=advisor,
            score={**LOST, "future_value": value, "churn_score": churn},
        )
        people[person.pk] = weight * max(value, 0) * max(churn, 0.1)
    round_generate(run=run)
    tasks = list(Task.objects.by_priority())
    assert [t.customer_id for t in tasks] == sorted(people, key=lambda pk: -people[pk])
    for task in tasks:
        assert task.priority == pytest.approx(people[task.customer_id])
        assert task.target.priority == pytest.approx(people[task.customer_id])


# --- runs, rules and triggers -----------------------------------------------------------------


def test_the_default_rules_plan_win_back_and_early_warning_work(advisor, marketing):
    work_settings(control_share=0.0)
    run = run_ending(AS_OF)
    (lost,) = scored(run, sales_advisor=advisor, service_owner=marketing)
    (drifting,) = scored(
        run,
        sales_advisor=advisor,
        service_owner=marketing,
        score={"status": Status.AT_RISK, "churn_score": 0.45, "nine_cell": "7+/low"},
    )
    scored(run, sales_advisor=advisor, service_owner=marketing, score=ACTIVE)
    round_generate(run=run)
    kinds = {(t.customer_id, t.kind): t for t in Task.objects.all()}
    assert set(kinds) == {
        (lost.pk, TaskKind.WIN_BACK),
        (drifting.pk, TaskKind.CHURN_WARNING),
        (drifting.pk, TaskKind.REPLACEMENT),
    }
    assert kinds[lost.pk, TaskKind.WIN_BACK].assignee == marketing
    assert kinds[lost.pk, TaskKind.WIN_BACK].channel == "phone"
    assert kinds[drifting.pk, TaskKind.REPLACEMENT].assignee == advisor


def test_a_warning_run_starts_the_same_day_and_applies_only_warning_rules(advisor, marketing):
    work_settings(control_share=0.0)
    today_run = run_ending(AS_OF, kind=RunKind.WARNING)
    (lost,) = scored(today_run, sales_advisor=advisor, service_owner=marketing)
    (drifting,) = scored(
        today_run,
        sales_advisor=advisor,
        service_owner=marketing,
        score={"status": Status.AT_RISK, "churn_score": 0.45},
    )
    round_ = round_generate(run=today_run)
    assert round_.starts_on == AS_OF
    assert {(t.customer_id, t.kind) for t in Task.objects.all()} == {
        (drifting.pk, TaskKind.CHURN_WARNING)
    }


def test_event_rules_fire_for_loans_ending_resolved_complaints_and_anniversaries(run, advisor):
    only_rule(kind="loan_ending", trigger="loan_ending", trigger_days=90, statuses=[])
    GenerationRuleFactory(
        kind="complaint_follow_up", trigger="complaint_resolved", trigger_days=14, statuses=[]
    )
    GenerationRuleFactory(kind="care", trigger="anniversary", statuses=[])
    loan_soon, loan_later, resolved, resolved_long_ago, bought_in_october, bought_in_april = scored(
        run, 6, sales_advisor=advisor, score=ACTIVE
    )
    for person, end in (
        (loan_soon, START + dt.timedelta(days=60)),
        (loan_later, dt.date(2026, 1, 1)),
    ):
        PurchaseFactory(
            customer=person,
            purchased_on=dt.date(2021, 4, 1),
            payment_method=PaymentMethod.LOAN,
            finance_term_months=36,
            finance_end_date=end,
            price_paid=Decimal("150000"),
        )
    for person, day in (
        (resolved, START - dt.timedelta(days=5)),
        (resolved_long_ago, dt.date(2024, 8, 1)),
    ):
        ComplaintFactory(
            customer=person,
            opened_at=_at(day - dt.timedelta(days=3)),
            status=ComplaintStatus.RESOLVED,
            resolution="已解决",
            resolved_at=_at(day),
        )
    PurchaseFactory(customer=bought_in_october, purchased_on=dt.date(2019, 10, 20))
    PurchaseFactory(customer=bought_in_april, purchased_on=dt.date(2019, 4, 20))
    round_generate(run=run)
    planned = {(t.customer_id, t.kind) for t in Task.objects.all()}
    assert planned == {
        (loan_soon.pk, TaskKind.LOAN_ENDING),
        (resolved.pk, TaskKind.COMPLAINT_FOLLOW_UP),
        (bought_in_october.pk, TaskKind.CARE),
    }
