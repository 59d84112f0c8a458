"""Follow-up tasks over the API (R5.1, R8.1): the list a DMS or an advisor reads back, its
filters, and closing a task with its outcome through the same service as the staff pages; a
service order synced for a customer worth a word becomes a task for their advisor."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from contacts.models import ContactLog, ContactOutcome
from segmentation.models import Status
from tests.api.conftest import client_for, push
from tests.factories import (
    CustomerFactory,
    CustomerScoreFactory,
    ScoringRunFactory,
    TaskFactory,
    VehicleFactory,
)
from winback.models import Lead, Task, TaskKind, TaskStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_task(advisor):
    return TaskFactory(customer=CustomerFactory(sales_advisor=advisor), assignee=advisor)


@pytest.fixture
def teammates_task(other_advisor):
    return TaskFactory(
        customer=CustomerFactory(sales_advisor=other_advisor), assignee=other_advisor
    )


def _outcome(client, task, **body):
    return client.post(f"/api/v1/tasks/{task.pk}/outcome/", body, format="json")


def test_the_task_list_carries_why_who_when_and_how(dms_api, own_task):
    (row,) = dms_api.get("/api/v1/tasks/").json()["results"]
    assert row["id"] == own_task.pk
    assert row["customer_external_id"] == own_task.customer.external_id
    assert (row["kind"], row["channel"], row["status"]) == ("win_back", "phone", "open")
    assert row["assignee"] == own_task.assignee_id
    assert row["priority"] == own_task.priority
    assert dt.datetime.fromisoformat(row["due_at"]) == own_task.due_at


def test_an_advisor_lists_and_reads_only_tasks_of_their_own_customers(
    advisor, own_task, teammates_task
):
    client = client_for(advisor)
    assert [r["id"] for r in client.get("/api/v1/tasks/").json()["results"]] == [own_task.pk]
    assert client.get(f"/api/v1/tasks/{teammates_task.pk}/").status_code == 404


def test_tasks_filter_by_kind_status_customer_and_run_month(dms_api, advisor):
    run = ScoringRunFactory(month=dt.date(2025, 3, 1), as_of=dt.date(2025, 3, 31))
    customer = CustomerFactory(sales_advisor=advisor, external_id="C-FILTER")
    wanted = TaskFactory(customer=customer, kind=TaskKind.REPLACEMENT, run=run)
    TaskFactory(customer=customer, kind=TaskKind.WIN_BACK)
    TaskFactory(kind=TaskKind.REPLACEMENT)
    query = "kind=replacement&customer_external_id=C-FILTER&run_month=2025-03&status=open"
    assert [r["id"] for r in dms_api.get(f"/api/v1/tasks/?{query}").json()["results"]] == [
        wanted.pk
    ]


def test_a_bad_run_month_is_a_400_naming_the_field(dms_api):
    response = dms_api.get("/api/v1/tasks/?run_month=2025-13")
    assert response.status_code == 400
    assert "run_month" in response.json()["fields"]


def test_the_dms_closes_a_task_with_its_outcome(dms_api, dms_client, own_task):
    at = timezone.now() - dt.timedelta(minutes=30)
    response = _outcome(
        dms_api,
        own_task,
        outcome="reached",
        feedback="下周回店保养",
        churn_reason="distance",
        contacted_at=at.isoformat(),
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["churn_reason"]) == ("done", "distance")
    log = ContactLog.objects.get(pk=body["contact_log"])
    assert (log.staff, log.outcome, log.contacted_at) == (dms_client, ContactOutcome.REACHED, at)


def test_an_outcome_with_a_purchase_intent_opens_a_lead(advisor, own_task):
    response = _outcome(
        client_for(advisor),
        own_task,
        outcome="reached",
        intent={"desire_strength": 4, "necessity": "want", "purchase_window": "1m"},
    )
    assert response.status_code == 200, response.content
    lead = Lead.objects.get(customer=own_task.customer)
    assert lead.owner == advisor and lead.intent.purchase_window == "1m"


def test_closing_a_closed_task_is_a_400_and_changes_nothing(dms_api, own_task):
    assert _outcome(dms_api, own_task, outcome="no_answer").status_code == 200
    logs = ContactLog.objects.count()
    response = _outcome(dms_api, own_task, outcome="reached")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert ContactLog.objects.count() == logs


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"outcome": "delighted"}, "outcome"),
        ({"outcome": "reached", "churn_reason": "weather"}, "churn_reason"),
        ({}, "outcome"),
    ],
)
def test_a_bad_outcome_names_the_field_and_leaves_the_task_open(dms_api, own_task, body, field):
    response = _outcome(dms_api, own_task, **body)
    assert response.status_code == 400
    assert field in response.json()["fields"]
    own_task.refresh_from_db()
    assert own_task.status == TaskStatus.OPEN


def test_a_contact_in_the_future_is_refused(dms_api, own_task):
    later = timezone.now() + dt.timedelta(days=1)
    response = _outcome(dms_api, own_task, outcome="reached", contacted_at=later.isoformat())
    assert response.status_code == 400
    assert Task.objects.get(pk=own_task.pk).status == TaskStatus.OPEN


def test_an_advisor_cannot_close_a_teammates_task(advisor, teammates_task):
    response = _outcome(client_for(advisor), teammates_task, outcome="reached")
    assert response.status_code == 404
    assert Task.objects.get(pk=teammates_task.pk).status == TaskStatus.OPEN


def test_closing_needs_authentication(own_task):
    from rest_framework.test import APIClient

    assert _outcome(APIClient(), own_task, outcome="reached").status_code == 401


def test_a_synced_visit_of_a_customer_at_risk_puts_a_task_on_their_advisor(dms_api, advisor):
    customer = CustomerFactory(external_id="C-LANE", sales_advisor=advisor)
    VehicleFactory(owner=customer, external_id="V-LANE")
    quiet = CustomerFactory(external_id="C-FINE", sales_advisor=advisor)
    VehicleFactory(owner=quiet, external_id="V-FINE")
    run = ScoringRunFactory(month=timezone.localdate().replace(day=1))
    CustomerScoreFactory(run=run, customer=customer, status=Status.AT_RISK, nine_cell=None)
    CustomerScoreFactory(run=run, customer=quiet, status=Status.ACTIVE, nine_cell="5+/high")
    today = timezone.localdate().isoformat()
    body = push(
        dms_api,
        "service-orders",
        [
            {
                "external_id": "RO-LANE",
                "customer": "C-LANE",
                "vehicle": "V-LANE",
                "opened_on": today,
            },
            {
                "external_id": "RO-FINE",
                "customer": "C-FINE",
                "vehicle": "V-FINE",
                "opened_on": today,
            },
        ],
    )
    assert body["counts"]["created"] == 2
    (task,) = Task.objects.filter(kind=TaskKind.SERVICE_LANE)
    assert (task.customer, task.assignee, task.due_on) == (
        customer,
        advisor,
        timezone.localdate(),
    )
    assert task.service_order.external_id == "RO-LANE"
    push(
        dms_api,
        "service-orders",
        [
            {
                "external_id": "RO-LANE",
                "customer": "C-LANE",
                "vehicle": "V-LANE",
                "opened_on": today,
                "note": "改",
            }
        ],
    )
    assert Task.objects.filter(kind=TaskKind.SERVICE_LANE).count() == 1
