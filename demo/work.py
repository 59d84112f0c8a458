"""A year of follow-up work in the demo dealership, consistent with its scores.

Month by month, as the department would have lived it: score the month, generate its round,
then work the round's tasks through the same services staff use (``task_close``: calls with
their outcomes, churn reasons, offers and purchase intents; leads and their cadence), let
untouched tasks expire and measure outcomes with the morning job, and move on to the next
month. Reached win-back customers come back more often than their control group (a service
visit in the categories of the offer made), so the outcome reports show an uplift that the
department caused. Everything is drawn from one seeded generator: the same seed and day give
the same history.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import DateTimeField, F
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.roles import Role
from contacts.models import ContactLog, ContactOutcome
from core.local_time import local_moment
from core.months import add_months, month_start
from segmentation.models import RunKind, ScoringRun
from segmentation.services import scoring_run_execute
from vehicles.models import LineCategory, ServiceOrder, ServiceOrderLine, Vehicle
from winback.campaign_services import campaign_approve, campaign_create
from winback.leads import lead_close
from winback.models import (
    ChurnReason,
    ContactPlan,
    DesireStrength,
    Lead,
    LeadStatus,
    Offer,
    PurchaseNecessity,
    PurchaseWindow,
    Round,
    Task,
    TaskKind,
)
from winback.services import daily_work_run, round_generate, task_close

#: Share of due tasks the staff actually work; the rest expire.
WORKED = 0.85
#: Open tasks due today (or overdue) each advisor and marketing user has after seeding.
TODAY_TASKS = 6
#: Outcomes of a call and their odds.
OUTCOMES = (
    (ContactOutcome.REACHED, 0.55),
    (ContactOutcome.NO_ANSWER, 0.30),
    (ContactOutcome.CALL_BACK, 0.05),
    (ContactOutcome.WRONG_NUMBER, 0.03),
    (ContactOutcome.REFUSED, 0.07),
)
#: How often each churn reason is heard (price and distance lead, as dealers report).
REASON_WEIGHTS = {
    ChurnReason.PRICE: 0.22,
    ChurnReason.DISTANCE: 0.14,
    ChurnReason.SPEED: 0.09,
    ChurnReason.SERVICE_ATTITUDE: 0.08,
    ChurnReason.COST_CONSCIOUS: 0.09,
    ChurnReason.PUNCTUALITY: 0.06,
    ChurnReason.QUALITY: 0.06,
    ChurnReason.UNATTRACTIVE_OFFER: 0.06,
    ChurnReason.ONLY_CALLED_WHEN_NEEDED: 0.05,
    ChurnReason.UNCLEAR_INFORMATION: 0.04,
    ChurnReason.TOO_FEW_PRODUCTS: 0.04,
    ChurnReason.CANNED_SCRIPTS: 0.03,
    ChurnReason.REPUTATION: 0.02,
    ChurnReason.VALUES: 0.02,
}
#: Chance that a reached replacement or loan-ending customer states a purchase intent.
INTENT = 0.1
#: Chance that a reached win-back or warning customer comes back within weeks.
COME_BACK = 0.35
WIN_BACK_KINDS = (TaskKind.WIN_BACK, TaskKind.CHURN_WARNING)
FEEDBACK = {
    ContactOutcome.REACHED: (
        "车况良好，近期会回店保养",
        "客户表示考虑一下",
        "客户对上次服务有意见",
    ),
    ContactOutcome.CALL_BACK: ("客户在开会，约好改天再联系",),
    ContactOutcome.REFUSED: ("客户表示暂时不需要",),
}


@dataclass
class WorkReport:
    """What the demo year of work did, for the command to print."""

    rounds: int = 0
    tasks_due: int = 0
    tasks_closed: int = 0
    came_back: int = 0
    leads_closed: int = 0
    moved_to_today: int = 0
    campaigns: int = 0


@dataclass(frozen=True)
class MonthWorked:
    """One simulated month, reported as soon as it is done: the seeding takes minutes."""

    month: dt.date
    tasks_due: int
    tasks_worked: int
    came_back: int
    seconds: float


def demo_work_seed(
    *,
    months: int,
    seed: int,
    now: dt.datetime | None = None,
    progress: Callable[[MonthWorked], None] | None = None,
) -> WorkReport:
    """Score the last ``months`` months and work each month's round, oldest first; then run
    today's early warning, its round and the morning job, seed a running and a draft
    campaign, and give every advisor and marketing user work due today. Months already
    scored keep their runs. ``progress`` is called with each month's figures as soon as that
    month is worked."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    rng = np.random.default_rng(seed)
    report = WorkReport()
    first = add_months(month_start(today), -(months - 1))
    started = now
    for i in range(months):
        month = add_months(first, i)
        month_started = time.perf_counter()
        due, closed, back = report.tasks_due, report.tasks_closed, report.came_back
        run = ScoringRun.objects.current().filter(kind=RunKind.MONTHLY, month=month).first()
        if run is None:
            run = scoring_run_execute(month=month)
        round_ = round_generate(run=run, now=_at(run.as_of + dt.timedelta(days=1), 7, now))
        report.rounds += 1
        end = min(add_months(round_.starts_on, 1), today + dt.timedelta(days=1))
        if round_.starts_on <= today:
            _work(rng, round_, end, now, report)
            daily_work_run(now=min(_at(end, 6, now), now))
        if progress:
            progress(
                MonthWorked(
                    month=month,
                    tasks_due=report.tasks_due - due,
                    tasks_worked=report.tasks_closed - closed,
                    came_back=report.came_back - back,
                    seconds=time.perf_counter() - month_started,
                )
            )
    warning = scoring_run_execute(month=today, as_of=today, kind=RunKind.WARNING)
    round_generate(run=warning, now=now)
    report.rounds += 1
    # The morning job follows the early warning (beat 05:30, then 06:00), so today's has run.
    daily_work_run(now=now)
    report.campaigns = campaigns_seed(now=now)
    report.moved_to_today = todays_work_ensure(today=today, now=now)
    _stamp_in_the_past(started)
    return report


#: The demo's campaigns: (name, segment filter, approved). Filters are the segment
#: explorer's; the month defaults to the latest scored.
CAMPAIGNS = (
    ("高价值流失预警客户挽回", {"status": "at_risk", "value_tier": "1"}, True),
    ("老车低满意度客户关怀", {"nine_cell": "7+/low"}, False),
)


def campaigns_seed(*, now: dt.datetime) -> int:
    """One running campaign (drafted by marketing, approved by the manager, so its first
    calls are on the advisors' lists) and one draft awaiting approval, through the campaign
    services; none without a marketing user, a manager and a contact plan. Returns how many
    were created."""
    users = get_user_model().objects.filter(is_active=True).order_by("pk")
    marketing = users.filter(groups__name=Role.SERVICE_MARKETING).first()
    manager = users.filter(groups__name=Role.MANAGER).first()
    plan = ContactPlan.objects.filter(steps__number=1).order_by("pk").first()
    if marketing is None or manager is None or plan is None:
        return 0
    offer = Offer.objects.filter(is_active=True).order_by("pk").first()
    today = timezone.localdate(now)
    created = 0
    for name, filters, approved in CAMPAIGNS:
        campaign = campaign_create(
            by=marketing,
            name=name,
            filters=filters,
            plan=plan,
            offer=offer,
            starts_on=today,
            ends_on=today + dt.timedelta(days=30),
            owner=marketing,
        )
        if approved:
            # Approved and launched at once, as the worker does after a manager's approval.
            campaign_approve(campaign=campaign, by=manager, now=now)
        created += 1
    return created


def todays_work_ensure(*, today: dt.date, now: dt.datetime) -> int:
    """Bring each advisor's and marketing user's next open tasks forward to today until their
    list for today holds ``TODAY_TASKS``: a month's round starts the day after its scoring,
    so on the last day of a month (or before the round's first calls are due) a live-looking
    demo would otherwise show empty lists. Returns how many tasks were moved."""
    staff = (
        get_user_model()
        .objects.filter(
            is_active=True, groups__name__in=[Role.SALES_ADVISOR, Role.SERVICE_MARKETING]
        )
        .distinct()
    )
    moved: list[Task] = []
    for user in staff:
        mine = Task.objects.assigned_to(user)
        wanted = TODAY_TASKS - mine.due_by(today).count()
        if wanted <= 0:
            continue
        for task in (
            mine.open().filter(due_on__gt=today).order_by("due_on", "-priority", "pk")[:wanted]
        ):
            window_starts = timezone.localtime(task.due_at).time()
            task.due_on = today
            task.due_at = local_moment(today, window_starts)
            task.expires_on = max(task.expires_on, today)
            task.updated_at = now
            moved.append(task)
    Task.objects.bulk_update(moved, ["due_on", "due_at", "expires_on", "updated_at"])
    return len(moved)


def _at(day: dt.date, hour: int, now: dt.datetime) -> dt.datetime:
    """``hour`` o'clock on ``day`` (local), never later than now."""
    return min(local_moment(day, dt.time(hour)), now)


def _work(
    rng: np.random.Generator, round_: Round, end: dt.date, now: dt.datetime, report: WorkReport
) -> None:
    """Work the tasks due each day from the round's start to ``end`` (and not after now), in
    due order, including the plan steps and lead calls that working them makes due the same
    day; a task not worked on its day is left to expire."""
    day = round_.starts_on
    while day < end:
        day_start = local_moment(day)
        day_end = min(day_start + dt.timedelta(days=1), now)
        seen: set[int] = set()
        while day_start < day_end:
            due = [
                task
                for task in Task.objects.open()
                .filter(due_at__gte=day_start, due_at__lt=day_end)
                .select_related("customer", "assignee", "lead", "target")
                .order_by("due_at", "id")
                if task.pk not in seen
            ]
            if not due:
                break
            for task in due:
                seen.add(task.pk)
                report.tasks_due += 1
                if rng.random() > WORKED or not task.assignee.is_active:
                    continue
                at = min(task.due_at + dt.timedelta(minutes=int(rng.integers(0, 240))), now)
                _work_one(rng, task, at, now, report)
        day += dt.timedelta(days=1)


def _work_one(
    rng: np.random.Generator, task: Task, at: dt.datetime, now: dt.datetime, report: WorkReport
) -> None:
    outcomes, odds = zip(*OUTCOMES, strict=True)
    outcome = outcomes[rng.choice(len(outcomes), p=odds)]
    reached = outcome == ContactOutcome.REACHED
    reason = ""
    if reached and task.kind in WIN_BACK_KINDS:
        reasons, weights = zip(*REASON_WEIGHTS.items(), strict=True)
        reason = reasons[rng.choice(len(reasons), p=np.array(weights) / sum(weights))]
    intent = None
    if (
        reached
        and task.kind in (TaskKind.REPLACEMENT, TaskKind.LOAN_ENDING)
        and rng.random() < INTENT
    ):
        intent = {
            "desire_strength": int(rng.integers(2, 6)),
            "necessity": str(rng.choice(PurchaseNecessity.values)),
            "purchase_window": str(rng.choice(PurchaseWindow.values[:4])),
            "intended_price": Decimal(int(rng.integers(12, 40)) * 10_000),
            "objections": "担心置换价格偏低",
            "talking_points": "介绍置换补贴和金融方案",
        }
        if intent["desire_strength"] < DesireStrength.CLEAR:
            intent["purchase_window"] = PurchaseWindow.LATER
    texts = FEEDBACK.get(outcome, ("",))
    with transaction.atomic():
        closed = task_close(
            task=task,
            by=task.assignee,
            outcome=outcome,
            feedback=str(rng.choice(texts)),
            churn_reason=reason,
            next_step_due=(timezone.localdate(at) + dt.timedelta(days=3))
            if outcome == ContactOutcome.CALL_BACK
            else None,
            intent=intent,
            at=at,
        )
    report.tasks_closed += 1
    if task.lead_id and (task.step or 0) >= 3 and rng.random() < 0.25:
        lead = Lead.objects.get(pk=task.lead_id)
        if lead.status == LeadStatus.OPEN:
            status = LeadStatus.WON if rng.random() < 0.6 else LeadStatus.LOST
            lead_close(lead=lead, status=status, by=task.assignee, at=at)
            report.leads_closed += 1
    if (
        reached
        and task.kind in WIN_BACK_KINDS
        and rng.random() < COME_BACK
        and _come_back(rng, closed, at, now)
    ):
        report.came_back += 1


def _come_back(
    rng: np.random.Generator, task: Task, contacted: dt.datetime, now: dt.datetime
) -> bool:
    """A service visit some weeks after the call, in the categories of the offer made."""
    day = timezone.localdate(contacted) + dt.timedelta(days=int(rng.integers(3, 50)))
    if day > timezone.localdate(now):
        return False
    vehicle = Vehicle.objects.filter(owner_id=task.customer_id).order_by("-id").first()
    if vehicle is None:
        return False
    categories = (task.offer.categories if task.offer else None) or [LineCategory.MAINTENANCE]
    order = ServiceOrder.objects.create(
        customer_id=task.customer_id,
        vehicle=vehicle,
        opened_on=day,
        closed_on=day,
        source="dms",
        external_id=f"RO-WB-{task.pk}",
        note="回访后回店",
    )
    for line_no, category in enumerate(categories[:2], start=1):
        ServiceOrderLine.objects.create(
            order=order,
            line_no=line_no,
            category=category,
            amount=Decimal(int(rng.integers(300, 2500))),
        )
    return True


def _stamp_in_the_past(since: dt.datetime) -> None:
    """Rows the simulation wrote carry the time they happened, as a live system's would."""
    ContactLog.objects.filter(created_at__gte=since).update(
        created_at=F("contacted_at"), updated_at=F("contacted_at")
    )
    opened = Cast("opened_on", output_field=DateTimeField())
    ServiceOrder.objects.filter(created_at__gte=since).update(created_at=opened, updated_at=opened)
