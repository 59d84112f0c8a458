"""The win-back back office: every page renders in a bounded number of queries, advisors see
only their own customers' work, and every change goes through a service."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.roles import Role
from tests import factories
from tests.admin_pages import admin_url, queries_of_get
from winback.models import Lead, Reassignment, SkipReason, Target, Task, TaskKind, TaskStatus

pytestmark = pytest.mark.django_db

#: A factory per win-back model registered in the admin.
FACTORIES = {
    "winback.contactplan": factories.ContactPlanFactory,
    "winback.generationrule": factories.GenerationRuleFactory,
    "winback.offer": factories.OfferFactory,
    "winback.round": factories.RoundFactory,
    "winback.target": factories.TargetFactory,
    "winback.task": factories.TaskFactory,
    "winback.lead": factories.LeadFactory,
    "winback.purchaseintent": factories.PurchaseIntentFactory,
    "winback.reportingline": factories.ReportingLineFactory,
}


@pytest.mark.parametrize("label", sorted(FACTORIES))
def test_changelist_query_count_does_not_grow_with_rows(admin_client, label):
    FACTORIES[label].create_batch(3)
    few = queries_of_get(admin_client, admin_url(label, "changelist"))
    FACTORIES[label].create_batch(12)
    many = queries_of_get(admin_client, admin_url(label, "changelist"))
    assert many == few
    assert many <= 14


@pytest.mark.parametrize("label", sorted(FACTORIES))
def test_change_pages_render(admin_client, label):
    obj = FACTORIES[label]()
    assert queries_of_get(admin_client, admin_url(label, "change", obj.pk)) <= 40


def test_the_round_page_shows_its_report_by_rule_and_cause(admin_client):
    rule = factories.GenerationRuleFactory(name="流失客户挽回")
    round_ = factories.RoundFactory(
        report={
            "candidates": 10,
            "created": 6,
            "control": 1,
            "skipped": {"contact_cap": 3},
            "rules": [
                {
                    "rule": rule.pk,
                    "kind": "win_back",
                    "candidates": 10,
                    "created": 6,
                    "control": 1,
                    "skipped": {"contact_cap": 3},
                }
            ],
        }
    )
    page = admin_client.get(admin_url("winback.round", "change", round_.pk)).content.decode()
    assert "流失客户挽回" in page and "contact cap reached" in page
    assert "contact_cap" not in page


def test_an_advisor_sees_only_tasks_of_their_own_customers(client, advisor, other_advisor):
    mine = factories.TaskFactory(customer=factories.CustomerFactory(sales_advisor=advisor))
    theirs = factories.TaskFactory(customer=factories.CustomerFactory(sales_advisor=other_advisor))
    client.force_login(advisor)
    shown = client.get(admin_url("winback.task", "changelist")).context["cl"].result_list
    assert [t.pk for t in shown] == [mine.pk]
    assert client.get(admin_url("winback.task", "change", theirs.pk)).status_code == 302


def test_the_skip_action_closes_tasks_through_the_service(admin_client, admin_user):
    task = factories.TaskFactory(target=factories.TargetFactory())
    response = admin_client.post(
        admin_url("winback.task", "changelist"),
        {"action": "skip_came_back", "_selected_action": [task.pk]},
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.status, task.skip_reason, task.closed_by) == (
        TaskStatus.SKIPPED,
        SkipReason.CAME_BACK,
        admin_user,
    )
    assert Target.objects.get(pk=task.target_id).plan_status == "expired"


def test_a_lead_opened_in_the_admin_gets_its_first_call(admin_client, advisor):
    customer = factories.CustomerFactory(sales_advisor=advisor)
    response = admin_client.post(
        admin_url("winback.lead", "add"),
        {"customer": customer.pk, "source": "inquiry", "owner": advisor.pk, "note": "展厅来访"},
    )
    assert response.status_code == 302, response.content[:500]
    lead = Lead.objects.get(customer=customer)
    (call,) = Task.objects.filter(lead=lead)
    assert call.kind == TaskKind.LEAD_CADENCE and call.step == 1 and call.assignee == advisor


def test_a_manager_hands_a_leavers_customers_over_in_the_admin(client, manager, advisor):
    successor = factories.UserFactory(role=Role.SALES_ADVISOR)
    customers = factories.CustomerFactory.create_batch(3, sales_advisor=advisor)
    client.force_login(manager)
    url = reverse("admin:winback_reassignment_add")
    refused = client.post(url, {"leaver": advisor.pk, "successors": [advisor.pk]})
    assert refused.status_code == 200
    assert "cannot be their own successor" in refused.content.decode()
    assert get_user_model().objects.get(pk=advisor.pk).is_active
    done = client.post(url, {"leaver": advisor.pk, "successors": [successor.pk]})
    assert done.status_code == 302, done.content[:500]
    advisor.refresh_from_db()
    assert not advisor.is_active
    assert {
        c.sales_advisor_id
        for c in type(customers[0]).objects.filter(pk__in=[c.pk for c in customers])
    } == {successor.pk}
    record = Reassignment.objects.get(leaver=advisor)
    assert record.by == manager and list(record.successors.all()) == [successor]
    assert record.counts["customers_as_sales_advisor"] == 3


def test_an_advisor_cannot_hand_customers_over(client, advisor, other_advisor):
    client.force_login(advisor)
    response = client.post(
        reverse("admin:winback_reassignment_add"),
        {"leaver": other_advisor.pk, "successors": [advisor.pk]},
    )
    assert response.status_code == 403
    other_advisor.refresh_from_db()
    assert other_advisor.is_active


def test_the_user_admin_action_opens_the_handover_form_for_the_leaver(admin_client, advisor):
    response = admin_client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "hand_over", "_selected_action": [advisor.pk]},
    )
    assert response.status_code == 302
    form = admin_client.get(response["Location"])
    assert form.context["adminform"].form.initial["leaver"] == str(advisor.pk)
    assert get_user_model().objects.get(pk=advisor.pk).is_active


def test_a_service_order_entered_in_the_admin_alerts_the_advisor(admin_client, advisor):
    from django.utils import timezone

    from segmentation.models import Status

    customer = factories.CustomerFactory(sales_advisor=advisor)
    vehicle = factories.VehicleFactory(owner=customer)
    run = factories.ScoringRunFactory(month=timezone.localdate().replace(day=1))
    factories.CustomerScoreFactory(run=run, customer=customer, status=Status.LOST)
    response = admin_client.post(
        reverse("admin:vehicles_serviceorder_add"),
        {
            "customer": customer.pk,
            "vehicle": vehicle.pk,
            "opened_on": timezone.localdate().isoformat(),
            "lines-TOTAL_FORMS": "0",
            "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.content[:1000]
    (task,) = Task.objects.filter(kind=TaskKind.SERVICE_LANE)
    assert (task.customer, task.assignee) == (customer, advisor)
