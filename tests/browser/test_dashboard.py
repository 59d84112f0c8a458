"""The manager's dashboard at desk size, in a real browser: a year of scores, six rounds of
follow-up work and five advisors' tasks (built with the factories), every chart drawn by
ECharts, no English or codes on the page, and the screenshot the README and docs show."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.apps import apps
from django.utils import timezone

from accounts.roles import Role, roles_sync
from core.months import add_months
from segmentation.models import CustomerScore, RfmSegment, Status
from tests.browser.conftest import english_leaks, horizontal_overflow, screenshot
from tests.factories import (
    CustomerFactory,
    CustomerScoreFactory,
    RoundFactory,
    ScoringRunFactory,
    TargetFactory,
    TaskFactory,
    UserFactory,
)
from winback.models import Target, Task

CUSTOMERS = 400
MONTHS = 12
ADVISORS = ("王芳", "李强", "张伟", "陈静", "赵磊")
SEGMENTS = [
    (RfmSegment.CHAMPIONS, 8),
    (RfmSegment.LOYAL, 12),
    (RfmSegment.POTENTIAL_LOYALIST, 10),
    (RfmSegment.NEW, 7),
    (RfmSegment.PROMISING, 4),
    (RfmSegment.NEED_ATTENTION, 9),
    (RfmSegment.ABOUT_TO_SLEEP, 6),
    (RfmSegment.AT_RISK, 11),
    (RfmSegment.CANT_LOSE_THEM, 3),
    (RfmSegment.HIBERNATING, 10),
    (RfmSegment.LOST, 20),
]
CELLS = [
    (f"{tier}/{band}", weight)
    for tier, tier_weight in (("5+", 3), ("6+", 2), ("7+", 4))
    for band, band_weight in (("low", 1), ("medium", 4), ("high", 2))
    for weight in [tier_weight * band_weight]
]
#: Monthly status moves (active, at risk, lost): most stay, some drift, a few come back.
MOVES = {
    Status.ACTIVE: ((Status.ACTIVE, 0.95), (Status.AT_RISK, 0.04), (Status.LOST, 0.01)),
    Status.AT_RISK: ((Status.ACTIVE, 0.35), (Status.AT_RISK, 0.50), (Status.LOST, 0.15)),
    Status.LOST: ((Status.ACTIVE, 0.10), (Status.AT_RISK, 0.05), (Status.LOST, 0.85)),
}


@pytest.fixture(autouse=True)
def _role_groups(transactional_db) -> None:
    """The role groups, which an earlier transactional test may have flushed."""
    roles_sync(apps)


def _pick(rng: random.Random, weighted) -> str:
    codes, weights = zip(*weighted, strict=True)
    return rng.choices(codes, weights=weights)[0]


def _a_year(rng: random.Random) -> tuple[list, list]:
    """Twelve scored months of CUSTOMERS customers; returns the runs and the customers."""
    customers = CustomerFactory.create_batch(CUSTOMERS)
    status = {
        c.pk: _pick(rng, ((Status.ACTIVE, 72), (Status.AT_RISK, 10), (Status.LOST, 18)))
        for c in customers
    }
    cell = {c.pk: _pick(rng, CELLS + [(None, 5)]) for c in customers}
    segment = {c.pk: _pick(rng, SEGMENTS) for c in customers}
    first = add_months(timezone.localdate().replace(day=1), -MONTHS)
    runs = []
    for month in range(MONTHS):
        start = add_months(first, month)
        run = ScoringRunFactory(month=start, as_of=add_months(start, 1) - dt.timedelta(days=1))
        runs.append(run)
        scores = []
        for customer in customers:
            status[customer.pk] = _pick(rng, MOVES[status[customer.pk]])
            previous = segment[customer.pk]
            if rng.random() < 0.15:
                segment[customer.pk] = _pick(rng, SEGMENTS)
            value = round(rng.lognormvariate(8.2, 0.7), 2)
            scores.append(
                CustomerScoreFactory.build(
                    run=run,
                    customer=customer,
                    status=status[customer.pk],
                    nine_cell=cell[customer.pk],
                    rfm_segment=segment[customer.pk],
                    previous_rfm_segment=previous if month else None,
                    r_score=rng.randint(1, 5),
                    f_score=min(5, max(1, round(rng.gauss(2.6, 1.2)))),
                    future_value=value,
                    value_tier=None
                    if status[customer.pk] == Status.ACTIVE
                    else 1 + min(4, int(8000 / max(value, 1)) % 5),
                )
            )
        CustomerScore.objects.bulk_create(scores)
    return runs, customers


def _rounds(rng: random.Random, runs: list, customers: list) -> None:
    """Six monthly rounds whose older ones had time to be worked and measured."""
    for age, run in enumerate(reversed(runs[-6:])):
        round_ = RoundFactory(run=run)
        chosen = rng.sample(customers, 110 + 8 * age)
        targets = []
        for customer in chosen:
            contacted = rng.random() < min(0.9, 0.35 + 0.15 * age)
            reached = contacted and rng.random() < 0.7
            back = reached and age >= 1 and rng.random() < min(0.55, 0.12 * age)
            targets.append(
                TargetFactory.build(
                    round=round_,
                    customer=customer,
                    first_contact_at=timezone.now() if contacted else None,
                    plan_status="answered" if reached else "active",
                    returned_1m=back if age >= 1 else None,
                )
            )
        Target.objects.bulk_create(targets)


def _tasks(rng: random.Random, customers: list) -> list:
    """Five advisors' open and recently closed tasks; the first is the busiest."""
    today = timezone.localdate()
    advisors = [
        UserFactory(role=Role.SALES_ADVISOR, username=f"advisor{n}", first_name=name)
        for n, name in enumerate(ADVISORS)
    ]
    tasks = []
    pool = iter(customers)
    for n, advisor in enumerate(advisors):
        for _ in range(45 - 7 * n):
            due = today + dt.timedelta(days=rng.randint(-6, 10))
            tasks.append(
                TaskFactory.build(
                    customer=next(pool),
                    assignee=advisor,
                    due_on=due,
                    due_at=timezone.make_aware(dt.datetime.combine(due, dt.time(10))),
                )
            )
        for _ in range(60 + 5 * n):
            due = today - dt.timedelta(days=rng.randint(2, 25))
            outcome = rng.random()
            status = "expired" if outcome < 0.08 + 0.04 * n else "done"
            late = outcome > 0.8 - 0.05 * n
            closed = timezone.make_aware(
                dt.datetime.combine(due + dt.timedelta(days=2 if late else 0), dt.time(15))
            )
            tasks.append(
                TaskFactory.build(
                    customer=rng.choice(customers),
                    assignee=advisor,
                    due_on=due,
                    due_at=timezone.make_aware(dt.datetime.combine(due, dt.time(10))),
                    status=status,
                    closed_at=closed,
                    updated_at=closed,
                )
            )
    Task.objects.bulk_create(tasks)
    return advisors


def test_the_manager_reads_the_dashboard_at_a_desk(live_server, staff_user, signed_in):
    rng = random.Random(20261130)
    runs, customers = _a_year(rng)
    _rounds(rng, runs, customers)
    _tasks(rng, customers)
    manager = staff_user(Role.MANAGER, username="zhao", first_name="赵经理")
    page = signed_in(manager)
    page.goto(f"{live_server.url}/dashboard/")
    for name in ("segments", "nine", "rf", "trend", "funnel", "work"):
        page.locator(f'[data-chart="{name}"][data-rendered="true"] canvas').first.wait_for()
    assert page.locator("[data-chart]:has(canvas)").count() == 6
    assert page.locator("details").count() == 6
    page.locator("details").first.locator("summary").click()
    assert "冠军客户" in page.locator("details").first.inner_text()
    assert english_leaks(page, allow={"zhao"}) == []
    assert horizontal_overflow(page) == 0
    page.locator("details").first.locator("summary").click()
    page.wait_for_timeout(300)
    screenshot(page, "dashboard")
