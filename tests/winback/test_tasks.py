"""Working a task (R5.1, R5.3-R5.5): closing it with the contact made moves the contact plan
on — answered or refused ends it, no answer creates the next step on another channel, never a
fourth — stores the churn reason and the package offered; skipping and expiring end plans."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from contacts.models import ContactLog, ContactOutcome, ContactType
from customers.models import ChannelOptOut
from tests.factories import (
    ContactPreferenceFactory,
    CustomerFactory,
    OfferFactory,
    ServiceOrderFactory,
    ServiceOrderLineFactory,
    TargetFactory,
    TaskFactory,
)
from tests.winback.helpers import contact_plan, only_rule, run_for_today, scored, work_settings
from vehicles.models import LineCategory, Necessity
from winback.models import ChurnReason, Offer, PlanStatus, SkipReason, Target, Task, TaskStatus
from winback.offers import (
    COUNTERMEASURES,
    DISCRETIONARY_SHARE,
    SpendProfile,
    offer_fit,
    spend_profile,
)
from winback.services import round_generate, task_close, task_skip, tasks_expire

pytestmark = pytest.mark.django_db

STEP_DAYS = (0, 7, 14)


@pytest.fixture
def plan():
    return contact_plan(("phone", STEP_DAYS[0], 10), ("wechat", STEP_DAYS[1], 10), ("sms", 14, 14))


def _first_task(advisor, plan, preferences: dict | None = None) -> Task:
    """Generate today's round for one lost customer (a mobile and WeChat, and
    ``preferences`` if given); their step-1 task."""
    only_rule(plan=plan)
    run = run_for_today()
    (person,) = scored(run, sales_advisor=advisor, wechat_id="wx-1")
    if preferences is not None:
        ContactPreferenceFactory(customer=person, **preferences)
    round_generate(run=run)
    return Task.objects.get(customer=person)


@pytest.fixture
def first_task(advisor, plan) -> Task:
    return _first_task(advisor, plan)


def _minutes_ago(n: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(minutes=n)


def _open_tasks(target: Target) -> list[Task]:
    return list(Task.objects.filter(target=target, status=TaskStatus.OPEN))


# --- the plan moves on (R5.3) -----------------------------------------------------------------


def test_an_answered_contact_is_logged_and_ends_the_plan(first_task, advisor):
    at = _minutes_ago(5)
    task = task_close(task=first_task, by=advisor, outcome=ContactOutcome.REACHED, at=at)
    assert task.status == TaskStatus.DONE and task.closed_by == advisor and task.closed_at == at
    log = ContactLog.objects.get(customer=task.customer)
    assert task.contact_log == log
    assert (log.channel, log.contact_type, log.outcome, log.staff) == (
        first_task.channel,
        ContactType.WIN_BACK,
        ContactOutcome.REACHED,
        advisor,
    )
    target = Target.objects.get(pk=first_task.target_id)
    assert target.plan_status == PlanStatus.ANSWERED
    assert target.first_contact_at == at and target.anchor_on == timezone.localdate(at)
    assert not _open_tasks(target)


def test_no_answer_creates_the_next_step_on_a_different_channel(first_task, advisor):
    at = _minutes_ago(5)
    task_close(task=first_task, by=advisor, outcome=ContactOutcome.NO_ANSWER, at=at)
    target = Target.objects.get(pk=first_task.target_id)
    assert target.plan_status == PlanStatus.ACTIVE
    (step_two,) = _open_tasks(target)
    assert step_two.step == 2
    assert step_two.channel != first_task.channel
    assert step_two.assignee == advisor and step_two.kind == first_task.kind
    assert step_two.priority == first_task.priority and step_two.run_id == first_task.run_id
    assert step_two.due_on == timezone.localdate(at) + dt.timedelta(days=STEP_DAYS[1])
    assert step_two.expires_on == step_two.due_on + dt.timedelta(days=10)
    assert step_two.script.startswith("step 2")


def test_the_steps_try_different_channels_even_for_a_customer_with_preferences(advisor, plan):
    # Prefers WeChat then SMS and hates phone calls: the plan's phone call becomes WeChat, so
    # the plan's second step (WeChat) must go elsewhere.
    first = _first_task(
        advisor,
        plan,
        preferences={"preferred_channels": ["wechat", "sms"], "disliked_channels": ["phone"]},
    )
    assert first.channel == "wechat"
    task_close(task=first, by=advisor, outcome=ContactOutcome.NO_ANSWER, at=_minutes_ago(5))
    (second,) = _open_tasks(first.target)
    assert second.channel == "sms"


def test_a_later_step_repeats_a_preferred_channel_rather_than_use_a_disliked_one(advisor):
    # Prefers WeChat, hates phone calls, and has no other way to be reached: step 2 may not
    # switch to the phone just because WeChat was tried.
    plan = contact_plan(("wechat", 0, 10), ("phone", 3, 10))
    first = _first_task(
        advisor,
        plan,
        preferences={"preferred_channels": ["wechat"], "disliked_channels": ["phone", "sms"]},
    )
    assert first.channel == "wechat"
    task_close(task=first, by=advisor, outcome=ContactOutcome.NO_ANSWER, at=_minutes_ago(5))
    (second,) = _open_tasks(first.target)
    assert second.channel == "wechat"


def test_the_third_unanswered_contact_ends_the_plan_without_a_fourth(first_task, advisor):
    work_settings(contact_cap=5)
    task, channels = first_task, []
    for minutes in (30, 20, 10):
        channels.append(task.channel)
        task_close(
            task=task, by=advisor, outcome=ContactOutcome.NO_ANSWER, at=_minutes_ago(minutes)
        )
        task = Task.objects.filter(target=first_task.target, status=TaskStatus.OPEN).first()
    assert task is None
    target = Target.objects.get(pk=first_task.target_id)
    assert target.plan_status == PlanStatus.UNANSWERED
    steps = Task.objects.filter(target=target).order_by("step")
    assert [t.step for t in steps] == [1, 2, 3]
    assert len(set(channels)) == 3
    assert ContactLog.objects.filter(customer=target.customer).count() == 3


def test_a_next_step_that_would_break_the_contact_cap_waits_for_room(first_task, advisor):
    work_settings(contact_cap=2, contact_cap_days=30)
    first_at, second_at = _minutes_ago(30), _minutes_ago(10)
    task_close(task=first_task, by=advisor, outcome=ContactOutcome.NO_ANSWER, at=first_at)
    (second,) = _open_tasks(first_task.target)
    task_close(task=second, by=advisor, outcome=ContactOutcome.NO_ANSWER, at=second_at)
    (third,) = _open_tasks(first_task.target)
    # Two contacts today fill the cap until the first leaves the 30-day window.
    planned = timezone.localdate(second_at) + dt.timedelta(days=14)
    room = timezone.localdate(first_at + dt.timedelta(days=30)) + dt.timedelta(days=1)
    assert planned < room
    assert third.due_on == room


def test_refused_ends_the_plan(first_task, advisor):
    task_close(task=first_task, by=advisor, outcome=ContactOutcome.REFUSED, at=_minutes_ago(5))
    target = Target.objects.get(pk=first_task.target_id)
    assert target.plan_status == PlanStatus.REFUSED
    assert not _open_tasks(target)


def test_a_call_back_request_plans_the_next_step_on_the_day_asked(first_task, advisor):
    at = _minutes_ago(5)
    asked = timezone.localdate(at) + dt.timedelta(days=3)
    task_close(
        task=first_task,
        by=advisor,
        outcome=ContactOutcome.CALL_BACK,
        next_step="周五再打",
        next_step_due=asked,
        at=at,
    )
    (step_two,) = _open_tasks(first_task.target)
    assert step_two.due_on == asked
    assert Target.objects.get(pk=first_task.target_id).plan_status == PlanStatus.ACTIVE


def test_a_customer_who_asked_for_no_contact_gets_no_next_step(first_task, advisor):
    ContactPreferenceFactory(customer=first_task.customer, do_not_contact=True)
    task_close(task=first_task, by=advisor, outcome=ContactOutcome.NO_ANSWER, at=_minutes_ago(5))
    target = Target.objects.get(pk=first_task.target_id)
    assert not _open_tasks(target)
    assert target.plan_status == PlanStatus.UNANSWERED


# --- reasons and packages (R5.4, R5.5) --------------------------------------------------------


def test_the_churn_reason_is_stored_on_the_task_and_the_target(first_task, advisor):
    task = task_close(
        task=first_task,
        by=advisor,
        outcome=ContactOutcome.CALL_BACK,
        churn_reason=ChurnReason.SPEED,
        at=_minutes_ago(5),
    )
    assert task.churn_reason == ChurnReason.SPEED
    target = Target.objects.get(pk=first_task.target_id)
    assert target.churn_reason == ChurnReason.SPEED
    assert task.offer is None  # speed is answered with words, not a package
    (step_two,) = _open_tasks(target)
    assert str(COUNTERMEASURES[ChurnReason.SPEED]) in step_two.script


def test_a_reason_outside_the_taxonomy_is_refused_and_nothing_is_written(first_task, advisor):
    with pytest.raises(ValidationError):
        task_close(
            task=first_task, by=advisor, outcome=ContactOutcome.REACHED, churn_reason="weather"
        )
    assert Task.objects.get(pk=first_task.pk).status == TaskStatus.OPEN
    assert not ContactLog.objects.exists()


def _spend(customer, per_year: Decimal, *, necessity: str, as_of: dt.date) -> None:
    """Two years of spending, one visit every six months, ``per_year`` a year."""
    for months_back in (3, 9, 15, 21):
        order = ServiceOrderFactory(
            customer=customer, opened_on=as_of - dt.timedelta(days=30 * months_back)
        )
        ServiceOrderLineFactory(
            order=order,
            category=LineCategory.MAINTENANCE,
            amount=per_year / 2,
            necessity=necessity,
        )


def test_a_price_reason_without_an_offer_gets_the_package_fitting_the_spending(first_task, advisor):
    today = timezone.localdate()
    _spend(first_task.customer, Decimal("2400"), necessity=Necessity.NECESSARY, as_of=today)
    Offer.objects.update(is_active=False)
    band = {"min_annual_spend": Decimal("1000"), "max_annual_spend": Decimal("3000")}
    far = OfferFactory(spend_type="necessary", price=Decimal("1500"), **band)
    closest = OfferFactory(spend_type="necessary", price=Decimal("2600"), **band)
    OfferFactory(spend_type="discretionary", price=Decimal("2400"), **band)
    OfferFactory(spend_type="any", price=Decimal("2400"), **band)
    OfferFactory(spend_type="necessary", price=Decimal("2400"), min_annual_spend=Decimal("5000"))
    OfferFactory(spend_type="necessary", price=Decimal("2400"), reasons=["distance"])
    task = task_close(
        task=first_task,
        by=advisor,
        outcome=ContactOutcome.NO_ANSWER,
        churn_reason=ChurnReason.PRICE,
        at=_minutes_ago(5),
    )
    assert far.price != closest.price
    assert task.offer == closest
    target = Target.objects.get(pk=first_task.target_id)
    assert target.offer == closest
    (step_two,) = _open_tasks(target)
    assert step_two.offer == closest


def test_an_offer_the_advisor_chose_is_kept(first_task, advisor):
    chosen = OfferFactory()
    task = task_close(
        task=first_task,
        by=advisor,
        outcome=ContactOutcome.REACHED,
        churn_reason=ChurnReason.PRICE,
        offer=chosen,
        at=_minutes_ago(5),
    )
    assert task.offer == chosen == Target.objects.get(pk=first_task.target_id).offer


def _profile(annual: str, visits: float = 2.0, optional: float = 0.0) -> SpendProfile:
    return SpendProfile(Decimal(annual), visits, optional)


def _offers(*specs: dict) -> list[Offer]:
    offers = []
    for pk, spec in enumerate(specs, start=1):
        offer = Offer(pk=pk, name=str(pk), **spec)
        offer.is_active = True
        offers.append(offer)
    return offers


def test_offer_fit_matches_reason_spend_type_yearly_range_and_visits():
    necessary_only, quality, discretionary, in_range, regulars = _offers(
        {"reasons": ["price"], "spend_type": "necessary", "price": Decimal("900")},
        {"reasons": ["quality"], "spend_type": "necessary", "price": Decimal("2000")},
        {"reasons": [], "spend_type": "discretionary", "price": Decimal("2000")},
        {
            "reasons": ["price"],
            "spend_type": "any",
            "price": Decimal("2000"),
            "min_annual_spend": Decimal("1000"),
            "max_annual_spend": Decimal("3000"),
        },
        {"reasons": ["price"], "spend_type": "any", "price": Decimal("2000")}
        | {"min_visits_per_year": 3},
    )
    offers = [necessary_only, quality, discretionary, in_range, regulars]
    # Of the fitting offers, the one of the customer's own spend type comes first, even with a
    # price further from what they spend.
    assert offer_fit(offers, _profile("2000"), "price") == necessary_only
    # An offer without reasons answers any reason.
    assert offer_fit(offers, _profile("2000", optional=0.5), "price") == discretionary
    assert offer_fit(offers, _profile("2000"), "quality") == quality
    necessary_only.is_active = False
    assert offer_fit(offers, _profile("2000"), "price") == in_range
    # Above the yearly range, and too few visits for the regulars' package: nothing fits.
    assert offer_fit(offers, _profile("5000"), "price") is None
    assert offer_fit(offers, _profile("5000", visits=4), "price") == regulars


def test_offer_fit_prefers_the_price_closest_to_the_yearly_spend():
    offers = [
        Offer(pk=i, name=str(i), reasons=[], spend_type="any", price=Decimal(price))
        for i, price in enumerate(("500", "1800", "2600", "4000"), start=1)
    ]
    for offer in offers:
        offer.is_active = True
    for annual, expected in (("600", 1), ("2000", 2), ("2300", 3), ("3600", 4)):
        assert offer_fit(offers, _profile(annual), "price").pk == expected


def test_the_spending_profile_reads_two_years_of_lines():
    today = dt.date(2026, 6, 30)
    person = CustomerFactory()
    _spend(person, Decimal("3000"), necessity=Necessity.NECESSARY, as_of=today)
    order = ServiceOrderFactory(customer=person, opened_on=today - dt.timedelta(days=10))
    ServiceOrderLineFactory(order=order, category=LineCategory.DETAILING, amount=Decimal("1500"))
    # Older than two years: left out.
    old = ServiceOrderFactory(customer=person, opened_on=today - dt.timedelta(days=800))
    ServiceOrderLineFactory(order=old, amount=Decimal("9999"))
    profile = spend_profile(customer=person, as_of=today)
    necessary, optional = Decimal("3000") * 2, Decimal("1500")
    assert profile.annual_spend == (necessary + optional) / 2
    assert profile.visits_per_year == pytest.approx(5 / 2)
    share = float(optional / (necessary + optional))
    assert profile.discretionary_share == pytest.approx(share)
    assert share < DISCRETIONARY_SHARE and profile.spend_type == "necessary"


# --- opt-out, closed tasks, skipping, expiry --------------------------------------------------


def test_an_opt_out_on_the_call_stops_that_channel(first_task, advisor):
    task_close(
        task=first_task,
        by=advisor,
        outcome=ContactOutcome.NO_ANSWER,
        feedback="别再打电话",
        opt_out=True,
        at=_minutes_ago(5),
    )
    opt_out = ChannelOptOut.objects.get(customer=first_task.customer)
    assert opt_out.channel == first_task.channel
    assert opt_out.reason == "别再打电话"
    assert opt_out.opted_out_on == timezone.localdate(_minutes_ago(5))
    (step_two,) = _open_tasks(first_task.target)
    assert step_two.channel != first_task.channel


def test_an_opt_out_needs_a_channel_not_a_talk_in_the_store(first_task, advisor):
    with pytest.raises(ValidationError) as error:
        task_close(
            task=first_task,
            by=advisor,
            outcome=ContactOutcome.REFUSED,
            channel="in_store",
            opt_out=True,
            at=_minutes_ago(5),
        )
    assert "opt_out" in error.value.message_dict
    assert not ChannelOptOut.objects.exists()
    assert Task.objects.get(pk=first_task.pk).status == TaskStatus.OPEN


def test_closing_a_closed_task_is_refused(first_task, advisor):
    task_close(task=first_task, by=advisor, outcome=ContactOutcome.REACHED, at=_minutes_ago(5))
    with pytest.raises(ValidationError):
        task_close(task=first_task, by=advisor, outcome=ContactOutcome.REACHED)
    with pytest.raises(ValidationError):
        task_skip(task=first_task, by=advisor, reason=SkipReason.OTHER)
    assert ContactLog.objects.count() == 1


@pytest.mark.parametrize(
    ("reason", "plan_status"),
    [
        (SkipReason.CUSTOMER_REFUSES, PlanStatus.REFUSED),
        (SkipReason.CAME_BACK, PlanStatus.EXPIRED),
        (SkipReason.NOT_REACHABLE, PlanStatus.EXPIRED),
    ],
)
def test_skipping_a_task_ends_its_plan_without_a_contact(first_task, advisor, reason, plan_status):
    task = task_skip(task=first_task, by=advisor, reason=reason)
    assert task.status == TaskStatus.SKIPPED and task.skip_reason == reason
    assert task.closed_by == advisor and task.closed_at is not None
    target = Target.objects.get(pk=first_task.target_id)
    assert target.plan_status == plan_status
    assert not _open_tasks(target)
    assert not ContactLog.objects.exists()


def test_a_skip_needs_a_reason_from_the_list(first_task, advisor):
    with pytest.raises(ValidationError):
        task_skip(task=first_task, by=advisor, reason="bored")
    assert Task.objects.get(pk=first_task.pk).status == TaskStatus.OPEN


def test_tasks_past_their_last_day_expire_and_end_their_plans(advisor):
    today = timezone.localdate()
    stale_target, fresh_target, busy_target = TargetFactory.create_batch(3)
    stale = TaskFactory(target=stale_target, customer=stale_target.customer, assignee=advisor)
    fresh = TaskFactory(target=fresh_target, customer=fresh_target.customer, assignee=advisor)
    busy_old = TaskFactory(
        target=busy_target, customer=busy_target.customer, assignee=advisor, kind="care"
    )
    busy_new = TaskFactory(target=busy_target, customer=busy_target.customer, assignee=advisor)
    Task.objects.filter(pk__in=[stale.pk, busy_old.pk]).update(
        expires_on=today - dt.timedelta(days=1)
    )
    Task.objects.filter(pk__in=[fresh.pk, busy_new.pk]).update(expires_on=today)
    assert tasks_expire(today=today) == 2
    statuses = dict(Task.objects.values_list("pk", "status"))
    assert statuses == {
        stale.pk: TaskStatus.EXPIRED,
        busy_old.pk: TaskStatus.EXPIRED,
        fresh.pk: TaskStatus.OPEN,
        busy_new.pk: TaskStatus.OPEN,
    }
    plans = dict(Target.objects.values_list("pk", "plan_status"))
    assert plans == {
        stale_target.pk: PlanStatus.EXPIRED,
        fresh_target.pk: PlanStatus.ACTIVE,
        busy_target.pk: PlanStatus.ACTIVE,  # it still has an open task
    }
    assert tasks_expire(today=today) == 0
