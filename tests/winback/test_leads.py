"""Repurchase intent and the lead cadence (R5.7, R5.8): an intent opens a lead whose first call
is due within 2 hours and second within 48; one open lead per customer; a lead untouched for
30 days puts a task on the owner's manager, once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.roles import Role
from contacts.models import ContactOutcome
from tests.factories import (
    CustomerFactory,
    LeadFactory,
    ReportingLineFactory,
    TaskFactory,
    UserFactory,
)
from winback.leads import lead_close, lead_open, leads_dropped_alert, purchase_intent_record
from winback.models import (
    URGENT_PRIORITY,
    Lead,
    LeadSource,
    LeadStatus,
    PurchaseIntent,
    SkipReason,
    Task,
    TaskKind,
    TaskStatus,
)
from winback.services import task_close
from winback.work_settings import WorkSettings

pytestmark = pytest.mark.django_db

DEFAULTS = WorkSettings()
STRONG = {"desire_strength": 4, "necessity": "want", "purchase_window": "1m"}


def _hours_ago(n: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(hours=n)


def _calls(lead: Lead) -> list[Task]:
    return list(Task.objects.filter(lead=lead).order_by("step"))


def test_an_intent_opens_a_lead_with_the_first_call_due_within_two_hours(advisor, marketing):
    customer = CustomerFactory(sales_advisor=advisor)
    at = _hours_ago(3)
    intent = purchase_intent_record(
        customer=customer,
        by=marketing,
        intended_price=Decimal("200000"),
        objections="嫌油耗高",
        at=at,
        **STRONG,
    )
    assert intent.recorded_by == marketing and intent.recorded_at == at
    lead = Lead.objects.get(customer=customer)
    assert (lead.source, lead.intent, lead.owner, lead.opened_at) == (
        LeadSource.INTENT,
        intent,
        advisor,
        at,
    )
    (first,) = _calls(lead)
    assert first.kind == TaskKind.LEAD_CADENCE and first.step == 1
    assert first.assignee == advisor and first.status == TaskStatus.OPEN
    assert first.due_at == at + dt.timedelta(hours=DEFAULTS.lead_first_call_hours)
    assert first.channel == "phone"
    assert first.priority == URGENT_PRIORITY / 2


def test_the_second_call_is_due_within_48_hours_and_the_next_on_the_cadence(advisor):
    customer = CustomerFactory(sales_advisor=advisor)
    opened = _hours_ago(3)
    purchase_intent_record(customer=customer, by=advisor, at=opened, **STRONG)
    lead = Lead.objects.get(customer=customer)
    (first,) = _calls(lead)
    closed = _hours_ago(2)
    task_close(task=first, by=advisor, outcome=ContactOutcome.REACHED, at=closed)
    lead.refresh_from_db()
    assert lead.touches == 1 and lead.last_touched_at == closed
    second = _calls(lead)[1]
    assert second.step == 2 and second.status == TaskStatus.OPEN
    assert closed <= second.due_at <= closed + dt.timedelta(hours=48)
    assert second.due_at == opened + dt.timedelta(hours=DEFAULTS.lead_second_call_hours)
    assert second.priority < first.priority
    third_at = _hours_ago(1)
    task_close(task=second, by=advisor, outcome=ContactOutcome.NO_ANSWER, at=third_at)
    third = _calls(lead)[2]
    assert third.step == 3
    expected = timezone.localdate(opened + dt.timedelta(days=DEFAULTS.lead_follow_up_days[0]))
    assert third.due_on == expected
    assert Lead.objects.get(pk=lead.pk).touches == 2


def test_a_first_call_made_late_makes_the_second_due_at_once(advisor):
    customer = CustomerFactory(sales_advisor=advisor)
    opened = _hours_ago(60)
    purchase_intent_record(customer=customer, by=advisor, at=opened, **STRONG)
    lead = Lead.objects.get(customer=customer)
    closed = _hours_ago(1)
    task_close(task=_calls(lead)[0], by=advisor, outcome=ContactOutcome.REACHED, at=closed)
    assert _calls(lead)[1].due_at == closed


def test_a_customer_has_one_open_lead_at_a_time(advisor):
    customer = CustomerFactory(sales_advisor=advisor)
    purchase_intent_record(customer=customer, by=advisor, at=_hours_ago(5), **STRONG)
    purchase_intent_record(customer=customer, by=advisor, at=_hours_ago(4), **STRONG)
    lead = lead_open(customer=customer, source=LeadSource.INQUIRY, owner=advisor)
    assert Lead.objects.filter(customer=customer).count() == 1
    assert lead == Lead.objects.get(customer=customer)
    assert PurchaseIntent.objects.filter(customer=customer).count() == 2
    assert len(_calls(lead)) == 1
    # Once it is closed, a new inquiry opens a new lead.
    lead_close(lead=lead, status=LeadStatus.LOST, by=advisor)
    again = lead_open(customer=customer, source=LeadSource.INQUIRY, owner=advisor)
    assert again != lead and again.status == LeadStatus.OPEN


def test_an_intent_without_need_or_plan_opens_no_lead(advisor):
    customer = CustomerFactory(sales_advisor=advisor)
    purchase_intent_record(
        customer=customer, by=advisor, desire_strength=1, necessity="none", purchase_window="later"
    )
    assert PurchaseIntent.objects.filter(customer=customer).exists()
    assert not Lead.objects.exists()


def test_an_intent_recorded_on_a_contact_names_it_and_opens_the_lead(advisor):
    customer = CustomerFactory(sales_advisor=advisor)
    task = TaskFactory(customer=customer, kind=TaskKind.REPLACEMENT, assignee=advisor)
    task = task_close(
        task=task, by=advisor, outcome=ContactOutcome.REACHED, intent=STRONG, at=_hours_ago(1)
    )
    intent = PurchaseIntent.objects.get(customer=customer)
    assert intent.contact_log == task.contact_log
    assert Lead.objects.get(customer=customer).intent == intent


def test_a_customer_without_an_advisor_gets_the_lead_of_whoever_recorded_the_intent(marketing):
    customer = CustomerFactory()
    purchase_intent_record(customer=customer, by=marketing, **STRONG)
    assert Lead.objects.get(customer=customer).owner == marketing


def test_an_intent_of_a_customer_whose_advisor_left_goes_to_whoever_recorded_it(marketing):
    gone = UserFactory(is_active=False, role=Role.SALES_ADVISOR)
    customer = CustomerFactory(sales_advisor=gone)
    purchase_intent_record(customer=customer, by=marketing, **STRONG)
    assert Lead.objects.get(customer=customer).owner == marketing


def test_an_inactive_user_cannot_own_a_lead():
    gone = UserFactory(is_active=False, role=Role.SALES_ADVISOR)
    with pytest.raises(ValidationError):
        lead_open(customer=CustomerFactory(), source=LeadSource.INQUIRY, owner=gone)
    assert not Lead.objects.exists()


def test_closing_a_lead_skips_its_open_calls(advisor):
    customer = CustomerFactory(sales_advisor=advisor)
    lead = lead_open(customer=customer, source=LeadSource.INQUIRY, owner=advisor)
    lead = lead_close(lead=lead, status=LeadStatus.WON, by=advisor)
    assert lead.status == LeadStatus.WON and lead.closed_at is not None
    (call,) = _calls(lead)
    assert call.status == TaskStatus.SKIPPED and call.skip_reason == SkipReason.DUPLICATE
    with pytest.raises(ValidationError):
        lead_close(lead=lead, status=LeadStatus.LOST, by=advisor)
    with pytest.raises(ValidationError):
        lead_close(
            lead=lead_open(customer=customer, source="inquiry", owner=advisor),
            status="x",
            by=advisor,
        )


# --- dropped leads (R5.8) ---------------------------------------------------------------------


def _fallback_manager():
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=Role.MANAGER)
        .order_by("id")
        .first()
    )


def test_a_lead_untouched_for_30_days_puts_a_task_on_the_owners_manager_once(manager, advisor):
    boss = ReportingLineFactory(user=advisor).manager
    other_owner = UserFactory(role=Role.SALES_ADVISOR)
    now = timezone.now()
    days = DEFAULTS.lead_dropped_days
    dropped = LeadFactory(
        customer=CustomerFactory(sales_advisor=advisor),
        owner=advisor,
        opened_at=now - dt.timedelta(days=days + 1),
    )
    no_line = LeadFactory(
        customer=CustomerFactory(sales_advisor=other_owner),
        owner=other_owner,
        opened_at=now - dt.timedelta(days=days + 5),
    )
    touched = LeadFactory(
        customer=CustomerFactory(sales_advisor=advisor),
        owner=advisor,
        opened_at=now - dt.timedelta(days=days + 20),
        last_touched_at=now - dt.timedelta(days=days - 1),
    )
    recent = LeadFactory(
        customer=CustomerFactory(sales_advisor=advisor),
        owner=advisor,
        opened_at=now - dt.timedelta(days=days - 1),
    )
    closed = LeadFactory(
        customer=CustomerFactory(sales_advisor=advisor),
        owner=advisor,
        opened_at=now - dt.timedelta(days=90),
        status=LeadStatus.LOST,
    )
    assert leads_dropped_alert(now=now) == 2
    alerts = {t.lead_id: t for t in Task.objects.filter(kind=TaskKind.LEAD_DROPPED)}
    assert set(alerts) == {dropped.pk, no_line.pk}
    assert alerts[dropped.pk].assignee == boss
    assert alerts[no_line.pk].assignee == _fallback_manager() == manager
    assert alerts[dropped.pk].customer_id == dropped.customer_id
    assert alerts[dropped.pk].due_on == timezone.localdate(now)
    assert alerts[dropped.pk].priority == URGENT_PRIORITY
    assert Lead.objects.get(pk=dropped.pk).alerted_at == now
    for lead in (touched, recent, closed):
        assert Lead.objects.get(pk=lead.pk).alerted_at is None
    # Once: the next morning reports nothing new.
    assert leads_dropped_alert(now=now + dt.timedelta(days=1)) == 0
    assert Task.objects.filter(kind=TaskKind.LEAD_DROPPED).count() == 2


def test_an_inactive_manager_on_the_reporting_line_is_passed_over(manager, advisor):
    ReportingLineFactory(user=advisor, manager=UserFactory(is_active=False, role=Role.MANAGER))
    lead = LeadFactory(
        customer=CustomerFactory(sales_advisor=advisor),
        owner=advisor,
        opened_at=timezone.now() - dt.timedelta(days=40),
    )
    leads_dropped_alert()
    assert Task.objects.get(lead=lead, kind=TaskKind.LEAD_DROPPED).assignee == manager


def test_a_dropped_lead_nobody_can_be_told_about_is_reported_once_a_manager_exists(advisor):
    get_user_model().objects.filter(groups__name=Role.MANAGER).update(is_active=False)
    now = timezone.now()
    lead = LeadFactory(
        customer=CustomerFactory(sales_advisor=advisor),
        owner=advisor,
        opened_at=now - dt.timedelta(days=DEFAULTS.lead_dropped_days + 1),
    )
    assert leads_dropped_alert(now=now) == 0
    lead.refresh_from_db()
    assert lead.alerted_at is None
    boss = UserFactory(role=Role.MANAGER)
    assert leads_dropped_alert(now=now) == 1
    assert Task.objects.get(lead=lead, kind=TaskKind.LEAD_DROPPED).assignee == boss
