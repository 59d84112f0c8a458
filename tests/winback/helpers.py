"""Small builders shared by the win-back tests that use the database."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from customers.models import Customer
from segmentation.models import CustomerScore, ScoringRun, Status
from tests.factories import (
    ContactPlanFactory,
    ContactPlanStepFactory,
    CustomerFactory,
    CustomerScoreFactory,
    GenerationRuleFactory,
    ScoringRunFactory,
)
from winback.models import ContactPlan, GenerationRule, WinbackConfiguration

#: A lost customer's score: churning, valuable.
LOST = {"status": Status.LOST, "churn_score": 0.75, "future_value": 3000.0, "value_tier": 2}
ACTIVE = {"status": Status.ACTIVE, "churn_score": 0.05}


def contact_plan(*steps: tuple[str, int, int]) -> ContactPlan:
    """A plan of (channel, days after the previous step, days open) steps."""
    plan = ContactPlanFactory()
    for number, (channel, days, open_days) in enumerate(steps, start=1):
        ContactPlanStepFactory(
            plan=plan,
            number=number,
            channel=channel,
            days_after_previous=days,
            open_days=open_days,
            script=f"step {number}",
        )
    return plan


def only_rule(**kwargs: Any) -> GenerationRule:
    """Deactivate every other rule (the defaults) and create this one."""
    GenerationRule.objects.update(is_active=False)
    return GenerationRuleFactory(**kwargs)


def work_settings(**values: Any) -> WinbackConfiguration:
    """Make ``values`` (the rest: defaults) the active win-back settings."""
    WinbackConfiguration.objects.update(is_active=False)
    return WinbackConfiguration.objects.create(settings=values)


def run_ending(as_of: dt.date, **kwargs: Any) -> ScoringRun:
    """A succeeded, current monthly run as of ``as_of``."""
    return ScoringRunFactory(month=as_of.replace(day=1), as_of=as_of, **kwargs)


def run_for_today(**kwargs: Any) -> ScoringRun:
    """A run whose round starts today (as of yesterday), so contacts on its tasks are logged
    now, never in the future."""
    return run_ending(timezone.localdate() - dt.timedelta(days=1), **kwargs)


def scored(
    run: ScoringRun, n: int = 1, *, score: dict | None = None, **customer: Any
) -> list[Customer]:
    """``n`` new customers (``customer``: their fields) scored in ``run`` with ``score``."""
    people = CustomerFactory.create_batch(n, **customer)
    for person in people:
        CustomerScoreFactory(run=run, customer=person, **(score or LOST))
    return people


def scored_in_bulk(
    run: ScoringRun, n: int, *, score: dict | None = None, **customer: Any
) -> list[Customer]:
    """Like :func:`scored`, for thousands: two bulk inserts."""
    people = Customer.objects.bulk_create(CustomerFactory.build_batch(n, **customer))
    CustomerScore.objects.bulk_create(
        [CustomerScoreFactory.build(run=run, customer=p, **(score or LOST)) for p in people]
    )
    return people


def local_time(value: dt.datetime) -> dt.time:
    return timezone.localtime(value).time()
