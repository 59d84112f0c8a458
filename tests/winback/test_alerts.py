"""Tasks an event creates at once: a customer worth a word is in the workshop now, and a
complaint's promised response time passed (R3.3, R5.1)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.roles import Role
from contacts.models import ComplaintStatus
from segmentation.models import Status
from tests.factories import (
    ComplaintFactory,
    ContactPreferenceFactory,
    CustomerFactory,
    CustomerScoreFactory,
    PurchaseFactory,
    ReportingLineFactory,
    ServiceOrderFactory,
    UserFactory,
)
from tests.winback.helpers import ACTIVE, LOST, run_ending, work_settings
from vehicles.models import PaymentMethod
from winback.alerts import ALERT_OPEN_DAYS, complaint_escalations_create, service_lane_alerts_create
from winback.models import URGENT_PRIORITY, Task, TaskKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def run(today):
    """The current monthly run: last month's."""
    return run_ending(today.replace(day=1) - dt.timedelta(days=1))


def _in_workshop(advisor, run, score: dict | None, *, opened_on: dt.date, **customer):
    person = CustomerFactory(sales_advisor=advisor, **customer)
    if score is not None:
        CustomerScoreFactory(run=run, customer=person, **score)
    return ServiceOrderFactory(customer=person, opened_on=opened_on)


def _visits(*orders) -> list[tuple[int, dt.date]]:
    return [(order.pk, order.opened_on) for order in orders]


def _alerted() -> dict[int, Task]:
    return {t.customer_id: t for t in Task.objects.filter(kind=TaskKind.SERVICE_LANE)}


# --- the customer is in the workshop now ------------------------------------------------------


def test_a_customer_worth_a_word_in_the_workshop_gets_a_task_for_their_advisor(advisor, run, today):
    worth = {
        "lost": _in_workshop(advisor, run, LOST, opened_on=today),
        "at_risk": _in_workshop(
            advisor, run, {"status": Status.AT_RISK, "churn_score": 0.4}, opened_on=today
        ),
        "6+": _in_workshop(advisor, run, {**ACTIVE, "nine_cell": "6+/high"}, opened_on=today),
        "7+": _in_workshop(
            advisor, run, {**ACTIVE, "nine_cell": "7+/low"}, opened_on=today - dt.timedelta(days=1)
        ),
    }
    not_worth = _in_workshop(advisor, run, {**ACTIVE, "nine_cell": "5+/high"}, opened_on=today)
    unscored = _in_workshop(advisor, run, None, opened_on=today)
    orders = [*worth.values(), not_worth, unscored]
    created = service_lane_alerts_create(orders=_visits(*orders))
    assert created == len(worth)
    alerted = _alerted()
    assert set(alerted) == {o.customer_id for o in worth.values()}
    for order in worth.values():
        task = alerted[order.customer_id]
        assert task.service_order_id == order.pk
        assert task.assignee == advisor
        assert task.due_on == today and task.channel == "visit_office"
        assert task.expires_on == today + dt.timedelta(days=ALERT_OPEN_DAYS)
    # Above any planned outreach, the more valuable customer first.
    lost_task = alerted[worth["lost"].customer_id]
    assert lost_task.priority == URGENT_PRIORITY + LOST["future_value"]


def test_a_loan_ending_soon_makes_a_workshop_visit_worth_a_word(advisor, run, today):
    work_settings(service_lane_loan_days=90)
    soon = _in_workshop(advisor, run, ACTIVE, opened_on=today)
    later = _in_workshop(advisor, run, ACTIVE, opened_on=today)
    for order, days in ((soon, 60), (later, 120)):
        PurchaseFactory(
            customer=order.customer,
            purchased_on=dt.date(2022, 1, 10),
            payment_method=PaymentMethod.LOAN,
            finance_term_months=48,
            finance_end_date=today + dt.timedelta(days=days),
        )
    assert service_lane_alerts_create(orders=_visits(soon, later)) == 1
    assert set(_alerted()) == {soon.customer_id}


def test_orders_older_than_yesterday_are_history_not_a_visit(advisor, run, today):
    old = _in_workshop(advisor, run, LOST, opened_on=today - dt.timedelta(days=2))
    assert service_lane_alerts_create(orders=_visits(old)) == 0
    assert not _alerted()


def test_a_customer_gets_one_workshop_task_however_many_orders(advisor, run, today):
    first = _in_workshop(advisor, run, LOST, opened_on=today)
    second = ServiceOrderFactory(customer=first.customer, vehicle=first.vehicle, opened_on=today)
    assert service_lane_alerts_create(orders=_visits(first, second)) == 1
    assert Task.objects.filter(customer=first.customer).count() == 1
    # The same orders synced again create nothing more.
    assert service_lane_alerts_create(orders=_visits(first, second)) == 0
    assert Task.objects.filter(customer=first.customer).count() == 1


def test_no_workshop_task_for_do_not_contact_or_customers_without_an_active_advisor(
    advisor, run, today
):
    refuses = _in_workshop(advisor, run, LOST, opened_on=today)
    ContactPreferenceFactory(customer=refuses.customer, do_not_contact=True)
    gone = _in_workshop(
        UserFactory(is_active=False, role=Role.SALES_ADVISOR), run, LOST, opened_on=today
    )
    nobody = _in_workshop(None, run, LOST, opened_on=today)
    assert service_lane_alerts_create(orders=_visits(refuses, gone, nobody)) == 0
    assert not _alerted()


def test_only_the_current_runs_scores_count(advisor, today):
    old_run = run_ending(today.replace(day=1) - dt.timedelta(days=40), is_current=False)
    order = _in_workshop(advisor, old_run, LOST, opened_on=today)
    current = run_ending(today.replace(day=1) - dt.timedelta(days=1))
    CustomerScoreFactory(run=current, customer=order.customer, **ACTIVE)
    assert service_lane_alerts_create(orders=_visits(order)) == 0


# --- late complaint responses (R3.3) ----------------------------------------------------------


def _complaint(customer, *, hours_late: float = 2, **kwargs):
    now = timezone.now()
    return ComplaintFactory(
        customer=customer,
        opened_at=now - dt.timedelta(hours=24 + hours_late),
        promised_response_by=now - dt.timedelta(hours=hours_late),
        **kwargs,
    )


def test_an_overdue_complaint_goes_to_the_handlers_manager(manager, marketing, advisor):
    boss = ReportingLineFactory(user=marketing).manager
    handled = _complaint(CustomerFactory(sales_advisor=advisor), handler=marketing)
    owned = _complaint(CustomerFactory(service_owner=advisor))
    now = timezone.now()
    assert complaint_escalations_create(now=now) == 2
    tasks = {t.complaint_id: t for t in Task.objects.filter(kind=TaskKind.COMPLAINT_ESCALATION)}
    assert set(tasks) == {handled.pk, owned.pk}
    assert tasks[handled.pk].assignee == boss
    # Nobody handles it and the owner has no reporting line: the fallback manager.
    assert tasks[owned.pk].assignee == manager
    task = tasks[handled.pk]
    assert task.customer == handled.customer and task.due_on == timezone.localdate(now)
    assert task.priority == URGENT_PRIORITY


def test_complaints_answered_resolved_or_not_yet_due_are_not_escalated(manager, marketing):
    _complaint(CustomerFactory(), handler=marketing, first_response_at=timezone.now())
    _complaint(
        CustomerFactory(),
        handler=marketing,
        status=ComplaintStatus.RESOLVED,
        resolution="已更换零件",
    )
    _complaint(CustomerFactory(), handler=marketing, hours_late=-3)
    assert complaint_escalations_create() == 0
    assert not Task.objects.exists()


def test_one_escalation_per_customer_and_none_twice_while_it_is_open(manager, marketing):
    customer = CustomerFactory(service_owner=marketing)
    _complaint(customer, handler=marketing)
    _complaint(customer, handler=marketing, hours_late=5)
    assert complaint_escalations_create() == 2
    assert complaint_escalations_create() == 2
    assert Task.objects.filter(customer=customer, kind=TaskKind.COMPLAINT_ESCALATION).count() == 1


def test_a_dealership_can_turn_service_lane_alerts_off(settings, advisor, run, today):
    order = _in_workshop(advisor, run, LOST, opened_on=today)
    settings.SERVICE_LANE_ALERTS = False
    assert service_lane_alerts_create(orders=_visits(order)) == 0
    assert not Task.objects.exists()
    settings.SERVICE_LANE_ALERTS = True
    assert service_lane_alerts_create(orders=_visits(order)) == 1
