"""The advisor's day on a phone (R5.1), in a real browser: an advisor opens /today/, reads why
each task is there, opens a task's outcome form in place, records “reached” and the task is
closed; the call button reveals the number as a tel: link; the page fits 390 px, every tap target is at least 40 px tall, and nothing shows in
English or as a raw code."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accounts.roles import Role
from contacts.models import ContactLog, ContactOutcome
from core.months import month_start
from customers.models import DataAccessLog
from segmentation.models import RfmSegment, Status
from tests.browser.conftest import english_leaks, horizontal_overflow, screenshot
from tests.factories import (
    CustomerFactory,
    CustomerScoreFactory,
    LeadFactory,
    ScoringRunFactory,
    TargetFactory,
    TaskFactory,
)
from winback.models import Task, TaskKind, TaskStatus

#: Interactive elements of the page's own content (the top bar is the foundation's).
TAP_TARGETS = (
    ".today a, .today button, .today summary, .today label.pill, .today select, "
    ".today input:not([type=radio]):not([type=hidden]), .today textarea"
)


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _day_of(advisor) -> Task:
    """A realistic day: three scored win-back and warning calls (one overdue), a lead call
    counting down and a week of planned visits. Returns the most urgent task."""
    today = timezone.localdate()
    run = ScoringRunFactory(month=month_start(today), as_of=today)
    people = [
        # name, kind, priority, days overdue, channel, window, note, target and score fields
        (
            "王建国",
            TaskKind.WIN_BACK,
            9000.0,
            0,
            "phone",
            "morning",
            "上次保养已过 11 个月",
            {
                "score_status": Status.LOST,
                "churn_score": 0.72,
                "value_tier": 1,
                "future_value": 8600.0,
                "nine_cell": "7+/low",
                "rfm_segment": RfmSegment.CANT_LOSE_THEM,
            },
            {"churn_overdue": 0.92, "churn_falling_satisfaction": 0.64},
        ),
        (
            "李秀英",
            TaskKind.CHURN_WARNING,
            5200.0,
            2,
            "wechat",
            "evening",
            "满意度回访后未再回厂",
            {
                "score_status": Status.AT_RISK,
                "churn_score": 0.48,
                "value_tier": 2,
                "future_value": 5200.0,
                "nine_cell": "6+/medium",
                "rfm_segment": RfmSegment.ABOUT_TO_SLEEP,
            },
            {"churn_falling_frequency": 0.7, "churn_overdue": 0.55},
        ),
        (
            "张伟",
            TaskKind.REPLACEMENT,
            3100.0,
            0,
            "visit_office",
            "afternoon",
            "车龄 8 年，里程 16 万公里",
            {
                "score_status": Status.AT_RISK,
                "churn_score": 0.39,
                "value_tier": 3,
                "future_value": 3713.71,
                "nine_cell": "7+/high",
                "rfm_segment": RfmSegment.LOYAL,
            },
            {"churn_not_alive": 0.6},
        ),
    ]
    tasks = []
    for name, kind, priority, late, channel, window, note, target, score in people:
        customer = CustomerFactory(name=name, sales_advisor=advisor, wechat_id=f"wx_{len(tasks)}")
        due_on = today - dt.timedelta(days=late)
        task = TaskFactory(
            customer=customer,
            assignee=advisor,
            kind=kind,
            priority=priority,
            due_on=due_on,
            due_at=_at(due_on, 9 if window == "morning" else 14 if window == "afternoon" else 18),
            channel=channel,
            window=window,
            note=note,
            script="问候近况，询问上次服务体验；介绍本月保养套餐，约定到店时间。",
            target=TargetFactory(customer=customer, kind=kind, **target),
        )
        CustomerScoreFactory(run=run, customer=customer, **score)
        tasks.append(task)
    lead = LeadFactory(customer=CustomerFactory(name="刘洋", sales_advisor=advisor), owner=advisor)
    TaskFactory(
        customer=lead.customer,
        assignee=advisor,
        kind=TaskKind.LEAD_CADENCE,
        lead=lead,
        step=2,
        priority=10.0,
        due_on=today + dt.timedelta(days=1),
        due_at=timezone.now() + dt.timedelta(hours=29),
    )
    for offset, channel in ((1, "visit_home"), (2, "visit_office"), (2, "phone"), (4, "phone")):
        TaskFactory(
            customer=CustomerFactory(sales_advisor=advisor),
            assignee=advisor,
            channel=channel,
            due_on=today + dt.timedelta(days=offset),
        )
    return tasks[0]


def test_an_advisor_works_a_task_on_a_phone(staff_user, signed_in, live_server):
    advisor = staff_user(Role.SALES_ADVISOR, username="zhanglei", first_name="张磊")
    task = _day_of(advisor)
    page = signed_in(advisor, phone=True)
    page.goto(f"{live_server.url}/today/")
    card = page.locator(f"#task-{task.pk}")
    card.wait_for()
    assert "王建国" in card.inner_text()
    assert "流失分 0.72：超出自身回厂间隔、满意度下降" in card.inner_text()
    assert card.locator("button.call").is_visible()
    assert page.locator(".deadlines").inner_text().count("还剩") == 1
    assert horizontal_overflow(page) == 0
    assert english_leaks(page, allow={"zhanglei"}) == []
    small = page.eval_on_selector_all(
        TAP_TARGETS,
        "els => els.filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 40)"
        ".map(e => e.outerHTML.slice(0, 80))",
    )
    assert small == []
    screenshot(page, "today-phone")

    # One tap reveals the number (logged) and turns it into a tel: link in place.
    card.locator("button.call").click()
    call = card.locator('a[href^="tel:"]')
    call.wait_for()
    assert call.get_attribute("href") == f"tel:{task.customer.mobile}"
    assert call.bounding_box()["height"] >= 40
    assert DataAccessLog.objects.filter(user=advisor, customer=task.customer).count() == 1

    card.locator(".outcome-open").click()
    form = card.locator("form.outcome")
    form.wait_for()
    assert horizontal_overflow(page) == 0
    assert english_leaks(page, allow={"zhanglei"}) == []
    form.locator("label.pill", has_text="已接通").click()
    form.locator("textarea").fill("说最近太忙，下周带车来保养")
    form.locator("button[type=submit]").click()
    page.locator(f"#task-{task.pk}.is-done").wait_for()
    assert "已完成：已接通" in page.locator(f"#task-{task.pk}").inner_text()

    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    log = ContactLog.objects.get(customer=task.customer)
    assert (log.outcome, log.staff_id, log.feedback) == (
        ContactOutcome.REACHED,
        advisor.pk,
        "说最近太忙，下周带车来保养",
    )
