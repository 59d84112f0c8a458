"""Campaign pages: who may open them, the form prefilled from a segment link, the detail page's
progress and control group, and a manager's decision by POST."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.admin_pages import queries_of_get
from tests.factories import UserFactory
from tests.winback.helpers import LOST, contact_plan, run_for_today, scored
from winback.campaign_services import campaign_approve, campaign_create
from winback.models import Campaign, CampaignStatus, ContactPlan, Target

pytestmark = pytest.mark.django_db

OLD_UNHAPPY = {**LOST, "nine_cell": "7+/low"}


@pytest.fixture
def run():
    return run_for_today()


@pytest.fixture
def plan():
    return contact_plan(("phone", 0, 10))


def _month(run) -> str:
    return run.month.strftime("%Y-%m")


def _campaign(by, run, plan) -> Campaign:
    today = timezone.localdate()
    return campaign_create(
        by=by,
        name="老车关怀",
        filters={"month": _month(run), "nine_cell": "7+/low"},
        plan=plan,
        offer=None,
        starts_on=today,
        ends_on=today + dt.timedelta(days=30),
        owner=by,
    )


@pytest.mark.parametrize("name", ["campaigns", "campaign_create"])
def test_advisors_get_403_and_strangers_sign_in(client, advisor, name):
    assert client.get(reverse(name)).status_code == 302
    client.force_login(advisor)
    assert client.get(reverse(name)).status_code == 403


def test_advisors_cannot_open_or_approve_a_campaign(client, advisor, marketing, run, plan):
    campaign = _campaign(marketing, run, plan)
    client.force_login(advisor)
    assert client.get(reverse("campaign_detail", args=[campaign.pk])).status_code == 403
    response = client.post(reverse("campaign_approve", args=[campaign.pk]))
    assert response.status_code == 403
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


def test_the_form_is_prefilled_from_the_segment_link(client, marketing, run):
    scored(run, 3, score=OLD_UNHAPPY)
    scored(run, 2)
    client.force_login(marketing)
    response = client.get(
        reverse("campaign_create"), {"month": _month(run), "nine_cell": "7+/low", "page": "2"}
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "7+ years · low satisfaction" in text
    assert response.context["count"] == 3
    assert 'name="nine_cell" value="7+/low"' in text
    assert response.context["form"].initial["owner"] == marketing.pk


def test_a_bad_segment_link_says_what_is_wrong(client, marketing, run):
    client.force_login(marketing)
    response = client.get(reverse("campaign_create"), {"nine_cell": "9+/none"})
    assert response.status_code == 200
    assert "Choose one of the nine cells." in response.content.decode()


def test_saving_the_form_drafts_the_campaign(client, marketing, run, plan):
    client.force_login(marketing)
    today = timezone.localdate()
    response = client.post(
        reverse("campaign_create"),
        {
            "month": _month(run),
            "nine_cell": "7+/low",
            "name": "七年以上低满意度",
            "plan": plan.pk,
            "offer": "",
            "kind": "campaign",
            "assign_to": "sales_advisor",
            "starts_on": today.isoformat(),
            "ends_on": (today + dt.timedelta(days=20)).isoformat(),
            "owner": marketing.pk,
        },
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("campaign_detail", args=[campaign.pk])
    assert campaign.filters == {"month": _month(run), "nine_cell": "7+/low"}
    assert campaign.created_by == marketing
    assert campaign.status == CampaignStatus.DRAFT


def test_a_form_error_keeps_the_form(client, marketing, run, plan):
    client.force_login(marketing)
    today = timezone.localdate()
    response = client.post(
        reverse("campaign_create"),
        {
            "month": _month(run),
            "nine_cell": "7+/low",
            "name": "x",
            "plan": plan.pk,
            "kind": "campaign",
            "assign_to": "sales_advisor",
            "starts_on": today.isoformat(),
            "ends_on": (today - dt.timedelta(days=2)).isoformat(),
            "owner": marketing.pk,
        },
    )
    assert response.status_code == 200
    assert "The campaign ends before it starts." in response.content.decode()
    assert not Campaign.objects.exists()


def test_marketing_sees_no_approve_button_managers_do(client, marketing, manager, run, plan):
    campaign = _campaign(marketing, run, plan)
    url = reverse("campaign_detail", args=[campaign.pk])
    client.force_login(marketing)
    assert "Approve and launch" not in client.get(url).content.decode()
    client.force_login(manager)
    assert "Approve and launch" in client.get(url).content.decode()


def test_marketing_cannot_approve_by_posting(client, marketing, run, plan):
    campaign = _campaign(marketing, run, plan)
    client.force_login(marketing)
    response = client.post(reverse("campaign_approve", args=[campaign.pk]))
    assert response.status_code == 403
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


def test_a_manager_approves_by_post_only(
    client, marketing, manager, run, plan, eager_tasks, django_capture_on_commit_callbacks
):
    scored(run, 5, score=OLD_UNHAPPY, sales_advisor=UserFactory())
    campaign = _campaign(marketing, run, plan)
    client.force_login(manager)
    url = reverse("campaign_approve", args=[campaign.pk])
    assert client.get(url).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"decision": "approve"}, follow=True)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RUNNING
    assert Target.objects.filter(campaign=campaign).count() == 5
    assert "Campaign approved" in response.content.decode()
    client.post(url, {"decision": "approve"})
    assert Target.objects.filter(campaign=campaign).count() == 5


def test_a_manager_rejects(client, marketing, manager, run, plan):
    campaign = _campaign(marketing, run, plan)
    client.force_login(manager)
    client.post(reverse("campaign_approve", args=[campaign.pk]), {"decision": "reject"})
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.REJECTED
    assert not Target.objects.filter(campaign=campaign).exists()


def test_the_detail_page_shows_progress_and_the_control_group(
    client, marketing, manager, run, plan
):
    scored(run, 12, score=OLD_UNHAPPY, sales_advisor=UserFactory())
    campaign = campaign_approve(campaign=_campaign(marketing, run, plan), by=manager)
    Target.objects.filter(campaign=campaign).update(returned_1m=True, spend_1m=100)
    client.force_login(marketing)
    response = client.get(reverse("campaign_detail", args=[campaign.pk]))
    assert response.status_code == 200
    assert response.context["progress"]["targets"] == 12
    text = response.content.decode()
    assert "Contacted customers against the control group" in text
    assert "Too early to tell" in text
    assert "7+/low" not in text


def test_pages_cost_a_bounded_number_of_queries(client, marketing, manager, run, plan):
    scored(run, 10, score=OLD_UNHAPPY, sales_advisor=UserFactory())
    campaigns = [_campaign(marketing, run, plan) for _ in range(6)]
    campaign_approve(campaign=campaigns[0], by=manager)
    client.force_login(manager)
    listed = queries_of_get(client, reverse("campaigns"))
    assert listed <= 5
    detail = queries_of_get(client, reverse("campaign_detail", args=[campaigns[0].pk]))
    assert detail <= 6
    form = queries_of_get(client, reverse("campaign_create") + f"?month={_month(run)}")
    assert form <= 12
    assert ContactPlan.objects.exists()


def test_the_list_pages_by_keyset(client, marketing, run, plan, monkeypatch):
    monkeypatch.setattr("winback.views.campaigns.PAGE_SIZE", 2)
    made = [_campaign(marketing, run, plan) for _ in range(3)]
    client.force_login(marketing)
    first = client.get(reverse("campaigns"))
    assert [c.pk for c, _badge in first.context["campaigns"]] == [made[2].pk, made[1].pk]
    second = client.get(reverse("campaigns"), {"before": first.context["next_before"]})
    assert [c.pk for c, _badge in second.context["campaigns"]] == [made[0].pk]
    assert second.context["next_before"] is None
