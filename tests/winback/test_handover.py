"""A leaver's handover (R7.2): the user is deactivated, their customers dealt round-robin over
the successors, open tasks and leads follow their customers, nothing stays with the leaver,
and the handover is logged."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from accounts.roles import Role
from contacts.models import ComplaintStatus
from customers.models import Customer
from tests.factories import (
    ComplaintFactory,
    CustomerFactory,
    LeadFactory,
    TaskFactory,
    UserFactory,
)
from winback.handover import advisor_leave
from winback.models import Lead, LeadStatus, Reassignment, Task, TaskKind, TaskStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def successors(other_advisor):
    return [
        other_advisor,
        UserFactory(role=Role.SALES_ADVISOR),
        UserFactory(role=Role.SALES_ADVISOR),
    ]


def _dealt(ids: list[int], successors) -> dict[int, int]:
    """Customer id → successor id, round-robin in id order."""
    return {pk: successors[i % len(successors)].pk for i, pk in enumerate(sorted(ids))}


def test_customers_are_dealt_round_robin_and_the_leaver_is_deactivated(
    advisor, marketing, manager, successors
):
    advised = CustomerFactory.create_batch(7, sales_advisor=advisor)
    owned = CustomerFactory.create_batch(4, service_owner=advisor, sales_advisor=marketing)
    untouched = CustomerFactory(sales_advisor=marketing)
    record = advisor_leave(leaver=advisor, successors=successors, by=manager)
    advisor.refresh_from_db()
    assert not advisor.is_active
    expected_advisors = _dealt([c.pk for c in advised], successors)
    assert (
        dict(Customer.objects.filter(pk__in=expected_advisors).values_list("pk", "sales_advisor"))
        == expected_advisors
    )
    expected_owners = _dealt([c.pk for c in owned], successors)
    assert (
        dict(Customer.objects.filter(pk__in=expected_owners).values_list("pk", "service_owner"))
        == expected_owners
    )
    # Their advisor stays.
    assert set(
        Customer.objects.filter(pk__in=expected_owners).values_list("sales_advisor", flat=True)
    ) == {marketing.pk}
    loads = [list(expected_advisors.values()).count(s.pk) for s in successors]
    assert max(loads) - min(loads) <= 1
    untouched.refresh_from_db()
    assert untouched.sales_advisor == marketing
    assert record.counts["customers_as_sales_advisor"] == 7
    assert record.counts["customers_as_service_owner"] == 4


def test_open_tasks_and_leads_follow_their_customers(advisor, manager, successors):
    customers = CustomerFactory.create_batch(5, sales_advisor=advisor)
    open_tasks = [TaskFactory(customer=c, assignee=advisor) for c in customers]
    done = TaskFactory(customer=customers[0], assignee=advisor, kind=TaskKind.CARE)
    Task.objects.filter(pk=done.pk).update(status=TaskStatus.DONE)
    # A task on someone else's customer (e.g. an escalation the leaver was given).
    stranger = CustomerFactory(sales_advisor=manager)
    foreign = TaskFactory(customer=stranger, assignee=advisor, kind=TaskKind.LEAD_DROPPED)
    open_lead = LeadFactory(customer=customers[1], owner=advisor)
    lost_lead = LeadFactory(customer=customers[2], owner=advisor, status=LeadStatus.LOST)
    record = advisor_leave(leaver=advisor, successors=successors, by=manager)
    new_advisor = dict(
        Customer.objects.filter(pk__in=[c.pk for c in customers]).values_list("pk", "sales_advisor")
    )
    for task in open_tasks:
        task.refresh_from_db()
        assert task.assignee_id == new_advisor[task.customer_id]
    foreign.refresh_from_db()
    assert foreign.assignee == successors[0]
    open_lead.refresh_from_db()
    assert open_lead.owner_id == new_advisor[customers[1].pk]
    # History stays as it was.
    assert Task.objects.get(pk=done.pk).assignee == advisor
    assert Lead.objects.get(pk=lost_lead.pk).owner == advisor
    assert record.counts["open_tasks"] == len(open_tasks) + 1
    assert record.counts["open_leads"] == 1


def test_nothing_open_stays_assigned_to_the_leaver(advisor, manager, successors):
    for person in CustomerFactory.create_batch(4, sales_advisor=advisor, service_owner=advisor):
        TaskFactory(customer=person, assignee=advisor)
        LeadFactory(customer=person, owner=advisor)
    advisor_leave(leaver=advisor, successors=successors, by=manager)
    assert not Customer.objects.filter(sales_advisor=advisor).exists()
    assert not Customer.objects.filter(service_owner=advisor).exists()
    assert not Task.objects.open().filter(assignee=advisor).exists()
    assert not Lead.objects.filter(owner=advisor, status=LeadStatus.OPEN).exists()


def test_the_handover_is_logged(advisor, manager, successors):
    CustomerFactory.create_batch(2, sales_advisor=advisor)
    record = advisor_leave(leaver=advisor, successors=successors, by=manager)
    logged = Reassignment.objects.get()
    assert logged == record
    assert (logged.leaver, logged.by) == (advisor, manager)
    assert set(logged.successors.all()) == set(successors)
    assert logged.counts == {
        "customers_as_sales_advisor": 2,
        "customers_as_service_owner": 0,
        "open_tasks": 0,
        "open_leads": 0,
        "open_complaints": 0,
    }


@pytest.mark.parametrize("case", ["none", "inactive", "self"])
def test_successors_must_be_given_active_and_not_the_leaver(case, advisor, other_advisor, manager):
    person = CustomerFactory(sales_advisor=advisor)
    successors = {
        "none": [],
        "inactive": [other_advisor, UserFactory(is_active=False, role=Role.SALES_ADVISOR)],
        "self": [other_advisor, advisor],
    }[case]
    with pytest.raises(ValidationError):
        advisor_leave(leaver=advisor, successors=successors, by=manager)
    advisor.refresh_from_db()
    person.refresh_from_db()
    assert advisor.is_active and person.sales_advisor == advisor
    assert not Reassignment.objects.exists()


def test_a_successor_named_twice_counts_once(advisor, other_advisor, manager):
    people = CustomerFactory.create_batch(2, sales_advisor=advisor)
    record = advisor_leave(leaver=advisor, successors=[other_advisor, other_advisor], by=manager)
    assert list(record.successors.all()) == [other_advisor]
    assert {p.sales_advisor for p in Customer.objects.filter(pk__in=[p.pk for p in people])} == {
        other_advisor
    }


# --- the command ------------------------------------------------------------------------------


def test_the_command_hands_over_and_says_what_moved(advisor, other_advisor, marketing):
    CustomerFactory.create_batch(3, sales_advisor=advisor)
    TaskFactory(customer=CustomerFactory(sales_advisor=advisor), assignee=advisor)
    out = StringIO()
    call_command(
        "advisor_leave",
        advisor.username,
        "--to",
        f"{other_advisor.username}, {marketing.username}",
        stdout=out,
    )
    text = out.getvalue()
    assert "4 customers as advisor" in text and "1 open tasks" in text
    assert other_advisor.username in text and marketing.username in text
    advisor.refresh_from_db()
    assert not advisor.is_active
    assert Reassignment.objects.get().by is None


def test_the_command_refuses_unknown_users_and_bad_successors(advisor, other_advisor):
    with pytest.raises(CommandError, match="nobody"):
        call_command("advisor_leave", "nobody", "--to", other_advisor.username)
    with pytest.raises(CommandError, match="ghost"):
        call_command("advisor_leave", advisor.username, "--to", f"{other_advisor.username},ghost")
    with pytest.raises(CommandError):
        call_command("advisor_leave", advisor.username, "--to", advisor.username)
    advisor.refresh_from_db()
    assert advisor.is_active


def test_unresolved_complaints_the_leaver_handled_follow_their_customers(
    advisor, manager, successors
):
    mine = CustomerFactory(sales_advisor=advisor)
    open_complaint = ComplaintFactory(customer=mine, handler=advisor)
    closed = ComplaintFactory(
        customer=mine, handler=advisor, status=ComplaintStatus.CLOSED, resolution="已处理"
    )
    record = advisor_leave(leaver=advisor, successors=successors, by=manager)
    mine.refresh_from_db()
    open_complaint.refresh_from_db()
    closed.refresh_from_db()
    assert open_complaint.handler == mine.sales_advisor
    assert closed.handler == advisor  # history stays as it was
    assert record.counts["open_complaints"] == 1
