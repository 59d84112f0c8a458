"""Writes of the follow-up work: generating a round from a scoring run, closing, skipping and
expiring tasks, and moving a contact plan along (R5.1-R5.6)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts.models import ContactOutcome
from contacts.services import contact_log_create
from customers.models import Channel, ChannelOptOut
from segmentation.models import RunKind, RunStatus, ScoringRun
from winback import loaders, planning, scheduling
from winback.alerts import complaint_escalations_create
from winback.leads import lead_touch, leads_dropped_alert, purchase_intent_record
from winback.models import (
    CONTACT_TYPE_OF_KIND,
    ChurnReason,
    ContactPlanStep,
    GenerationRule,
    Offer,
    PlanStatus,
    Round,
    RunKindFilter,
    SkipReason,
    Target,
    Task,
    TaskStatus,
    WinbackConfiguration,
)
from winback.offers import countermeasure, offer_suggest
from winback.outcomes import targets_measure

#: Outcomes after which a plan goes on to its next step.
UNANSWERED_OUTCOMES = (ContactOutcome.NO_ANSWER, ContactOutcome.WRONG_NUMBER)


class RoundNotPossible(Exception):
    """The scoring run did not succeed, so there is nothing to plan from."""


def _planning_rules(run_kind: str) -> list[planning.Rule]:
    applies = (RunKindFilter.BOTH, run_kind)
    rules = GenerationRule.objects.filter(is_active=True, run_kind__in=applies).select_related(
        "plan"
    )
    first_steps = {
        step.plan_id: step
        for step in ContactPlanStep.objects.filter(number=1, plan__in=[r.plan_id for r in rules])
    }
    planned = []
    for rule in rules:
        step = first_steps.get(rule.plan_id)
        if step is None:
            continue
        planned.append(
            planning.Rule(
                id=rule.pk,
                kind=rule.kind,
                trigger=rule.trigger,
                trigger_days=rule.trigger_days,
                statuses=tuple(rule.statuses),
                value_tiers=tuple(int(t) for t in rule.value_tiers),
                nine_cells=tuple(rule.nine_cells),
                rfm_segments=tuple(rule.rfm_segments),
                min_churn_score=rule.min_churn_score,
                indicator=rule.indicator,
                indicator_min=rule.indicator_min,
                exclude_low_mileage=rule.exclude_low_mileage,
                assign_to=rule.assign_to,
                priority_weight=rule.priority_weight,
                measure_uplift=rule.measure_uplift,
                cooldown_days=rule.cooldown_days,
                plan_id=rule.plan_id,
                step_channel=step.channel,
                step_days=step.days_after_previous,
                step_open_days=step.open_days,
                step_script=step.script,
            )
        )
    return planned


def round_starts_on(run: ScoringRun) -> dt.date:
    """The first day of a round's work: a monthly run's results are worked from the day after
    its as-of date (the 1st, for the scheduled run); a warning's the same morning."""
    if run.kind == RunKind.WARNING:
        return run.as_of
    return run.as_of + dt.timedelta(days=1)


def round_generate(*, run: ScoringRun, now: dt.datetime | None = None) -> Round:
    """Turn a successful scoring run into the round's targets and step-1 tasks, set-based.

    Idempotent: the round row is the lock (one per run), so a second call — a retried task, a
    concurrent one, the command run twice, a rerun of the month — returns the existing round
    and creates nothing.
    Everything is written in one transaction: a failure leaves no partial round.
    """
    if run.status != RunStatus.SUCCEEDED:
        raise RoundNotPossible(_("Run %(id)s did not succeed; nothing to plan.") % {"id": run.pk})
    existing = _round_of(run)
    if existing is not None:
        return existing
    settings = WinbackConfiguration.active_settings()
    starts_on = round_starts_on(run)
    now = now or timezone.now()
    rules = _planning_rules(run.kind)
    timings: dict[str, float] = {}
    started = time.perf_counter()

    def lap(step: str) -> None:
        timings[step] = time.perf_counter() - started - sum(timings.values())

    # Read and plan before the transaction: the reads then go over two connections at once
    # (a transaction's connection reads alone). A round made meanwhile wins at the insert.
    inputs = loaders.planning_inputs_load(
        run_id=run.pk, starts_on=starts_on, cap_days=settings.contact_cap_days, rules=rules
    )
    lap("load")
    plan = planning.plan_round(
        inputs,
        rules,
        run_id=run.pk,
        starts_on=starts_on,
        contact_cap=settings.contact_cap,
        control_share=settings.control_share,
        daily_capacity=settings.daily_capacity,
        default_window=settings.default_window,
        fallback_channels=settings.fallback_channels,
    )
    lap("plan")
    try:
        with transaction.atomic():
            round_ = Round.objects.create(run=run, starts_on=starts_on, settings=settings.to_dict())
            target_ids = loaders.targets_write(
                targets=plan.targets, anchor_on=round_.starts_on, round_id=round_.pk
            )
            lap("targets")
            loaders.tasks_write(
                run_id=round_.run_id, tasks=plan.tasks, target_ids=target_ids, now=now
            )
            lap("tasks")
            timings["total"] = time.perf_counter() - started
            round_.report = plan.report
            round_.timings = timings
            round_.save(update_fields=["report", "timings"])
    except IntegrityError:
        existing = _round_of(run)
        if existing is None:
            raise
        return existing
    return round_


def _round_of(run: ScoringRun) -> Round | None:
    """The round already generated for the run, or — a month is planned once — for another
    monthly run of the same month (a rerun of the month does not plan it again)."""
    rounds = Round.objects.select_related("run")
    if run.kind == RunKind.MONTHLY:
        return rounds.filter(run__kind=RunKind.MONTHLY, run__month=run.month).first()
    return rounds.filter(run=run).first()


def _task_for_update(task: Task) -> Task:
    # Only the task row is locked (its target is on the nullable side of the join); a target
    # changes only through its one open task, so the task lock serialises those changes.
    task = (
        Task.objects.select_for_update(of=("self",))
        .select_related("target", "customer")
        .get(pk=task.pk)
    )
    if task.status != TaskStatus.OPEN:
        raise ValidationError(
            _("This task is closed already (%(status)s).") % {"status": task.get_status_display()}
        )
    return task


@transaction.atomic
def task_close(
    *,
    task: Task,
    by: Any,
    outcome: str,
    channel: str = "",
    feedback: str = "",
    churn_reason: str = "",
    offer: Offer | None = None,
    next_step: str = "",
    next_step_due: dt.date | None = None,
    opt_out: bool = False,
    intent: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> Task:
    """Close an open task with the contact that was made (R5.1, R5.3-R5.7).

    Logs the contact; stores the churn reason learned and the offer made (for a package
    reason without an offer, the fitting package is suggested); moves the plan on — answered or
    refused ends it, no answer creates the next step (never beyond the plan's last step: the
    customer then waits for the next round); touches the task's lead; records a purchase intent
    (which opens a lead); on ``opt_out`` the channel is opted out of (R1.4). Raises
    ``ValidationError`` for bad input; nothing is written then.
    """
    if churn_reason and churn_reason not in ChurnReason.values:
        raise ValidationError({"churn_reason": _("Choose a reason from the list.")})
    task = _task_for_update(task)
    if opt_out and (channel or task.channel) not in Channel.values:
        raise ValidationError(
            {"opt_out": _("A talk in the store is no channel one can opt out of.")}
        )
    at = at or timezone.now()
    log = contact_log_create(
        customer=task.customer,
        by=by,
        channel=channel or task.channel,
        contact_type=CONTACT_TYPE_OF_KIND[task.kind],
        outcome=outcome,
        contacted_at=at,
        feedback=feedback,
        next_step=next_step,
        next_step_due=next_step_due,
    )
    if churn_reason and offer is None:
        offer = offer_suggest(
            customer=task.customer, reason=churn_reason, as_of=timezone.localdate(at)
        )
    task.status = TaskStatus.DONE
    task.closed_at = task.updated_at = at
    task.closed_by = by
    task.contact_log = log
    task.churn_reason = churn_reason
    task.offer = offer
    task.save(
        update_fields=[
            "status",
            "closed_at",
            "updated_at",
            "closed_by",
            "contact_log",
            "churn_reason",
            "offer",
        ]
    )
    if opt_out:
        ChannelOptOut.objects.get_or_create(
            customer=task.customer,
            channel=log.channel,
            defaults={
                "reason": feedback or _("Asked on a follow-up contact"),
                "opted_out_on": timezone.localdate(at),
            },
        )
    if task.target_id:
        _target_after_contact(task, outcome, at, next_step_due)
    if task.lead_id:
        lead_touch(lead=task.lead, task=task, at=at)
    if intent:
        purchase_intent_record(customer=task.customer, by=by, contact_log=log, at=at, **intent)
    return task


def _target_after_contact(
    task: Task, outcome: str, at: dt.datetime, next_step_due: dt.date | None
) -> None:
    target = task.target
    if target.first_contact_at is None:
        target.first_contact_at = at
        target.anchor_on = timezone.localdate(at)
    if task.churn_reason:
        target.churn_reason = task.churn_reason
    if task.offer_id:
        target.offer_id = task.offer_id
    if outcome == ContactOutcome.REFUSED:
        target.plan_status = PlanStatus.REFUSED
    elif outcome in (*UNANSWERED_OUTCOMES, ContactOutcome.CALL_BACK):
        after = next_step_due if outcome == ContactOutcome.CALL_BACK and next_step_due else None
        if _next_step_create(task, target, at, after) is None:
            target.plan_status = (
                PlanStatus.ANSWERED
                if outcome == ContactOutcome.CALL_BACK
                else PlanStatus.UNANSWERED
            )
    else:
        target.plan_status = PlanStatus.ANSWERED
    target.save(
        update_fields=["first_contact_at", "anchor_on", "churn_reason", "offer", "plan_status"]
    )


def _next_step_create(
    task: Task, target: Target, at: dt.datetime, requested: dt.date | None
) -> Task | None:
    """The plan's next step as a new task, or None when the plan has no further step or the
    customer can no longer be contacted."""
    step = ContactPlanStep.objects.filter(
        plan_id=target.plan_id, number=(task.step or 1) + 1
    ).first()
    customer = task.customer
    if step is None or scheduling.refuses_contact(customer):
        return None
    settings = WinbackConfiguration.active_settings()
    tried = tuple(Task.objects.filter(target=target).values_list("channel", flat=True))
    channel = scheduling.channel_suggest(
        customer=customer, settings=settings, wanted=step.channel, avoid=tried, as_of=at
    )
    if channel is None:
        return None
    day = requested or timezone.localdate(at) + dt.timedelta(days=step.days_after_previous)
    day = scheduling.cap_free_day(customer=customer, day=day, settings=settings, now=at)
    due_on, window, due_at = scheduling.due_for(customer=customer, day=day, settings=settings)
    script = "\n\n".join(
        part for part in (step.script, countermeasure(target.churn_reason)) if part
    )
    assignee = task.assignee if task.assignee.is_active else _owner_of(customer, task.assignee)
    return scheduling.task_create(
        customer=customer,
        kind=task.kind,
        assignee=assignee,
        due_on=due_on,
        due_at=due_at,
        window=window,
        channel=channel,
        priority=task.priority,
        open_days=step.open_days,
        now=at,
        target=target,
        run_id=task.run_id,
        step=step.number,
        script=script,
        offer_id=target.offer_id,
    )


def _owner_of(customer: Any, fallback: Any) -> Any:
    for user in (customer.sales_advisor, customer.service_owner):
        if user is not None and user.is_active:
            return user
    return fallback


@transaction.atomic
def task_skip(*, task: Task, by: Any, reason: str, at: dt.datetime | None = None) -> Task:
    """Close an open task without a contact, saying why (R5.1). A skipped plan step ends the
    plan: the customer waits for the next round."""
    if reason not in SkipReason.values:
        raise ValidationError({"skip_reason": _("Choose a reason from the list.")})
    task = _task_for_update(task)
    at = at or timezone.now()
    task.status = TaskStatus.SKIPPED
    task.skip_reason = reason
    task.closed_at = task.updated_at = at
    task.closed_by = by
    task.save()
    if task.target_id:
        status = PlanStatus.REFUSED if reason == SkipReason.CUSTOMER_REFUSES else PlanStatus.EXPIRED
        Target.objects.filter(pk=task.target_id, plan_status=PlanStatus.ACTIVE).update(
            plan_status=status
        )
    return task


@transaction.atomic
def tasks_expire(*, today: dt.date, now: dt.datetime | None = None) -> int:
    """Expire open tasks past their last day, set-based; their plans end as not worked in time.
    Returns how many tasks expired."""
    now = now or timezone.now()
    stale = Task.objects.open().filter(expires_on__lt=today)
    targets = list(stale.exclude(target=None).values_list("target_id", flat=True))
    expired = stale.update(status=TaskStatus.EXPIRED, closed_at=now, updated_at=now)
    still_open = Task.objects.open().filter(target_id=OuterRef("pk"))
    for start in range(0, len(targets), 5_000):
        Target.objects.filter(pk__in=targets[start : start + 5_000]).filter(
            plan_status=PlanStatus.ACTIVE
        ).exclude(Exists(still_open)).update(plan_status=PlanStatus.EXPIRED)
    return expired


def daily_work_run(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The morning's housekeeping: expire stale tasks, escalate late complaint responses,
    report dropped leads, measure outcomes whose month has passed. Each step is idempotent."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    return {
        "expired": tasks_expire(today=today, now=now),
        "complaints_overdue": complaint_escalations_create(now=now),
        "leads_dropped": leads_dropped_alert(now=now),
        "outcomes_measured": targets_measure(today=today),
    }
