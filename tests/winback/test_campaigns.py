"""Campaigns (R5, R6): drafting with a checked segment filter, approval launching targets, a
control group and first-step tasks set-based and once, the never-spam rules of a round,
progress in one query, and the "worth continuing?" verdict."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.roles import Role
from tests.factories import (
    ChannelOptOutFactory,
    ContactLogFactory,
    ContactPreferenceFactory,
    OfferFactory,
    UserFactory,
)
from tests.winback.helpers import LOST, contact_plan, run_for_today, scored, work_settings
from winback.campaign_results import CONTINUE, STOP, TOO_EARLY, campaign_progress, campaign_verdict
from winback.campaign_selectors import (
    campaign_filter_words,
    campaign_filters_clean,
    campaign_list,
    campaign_match_count,
)
from winback.campaign_services import (
    campaign_approve,
    campaign_close,
    campaign_create,
    campaign_launch,
    campaign_launch_request,
    campaign_reject,
)
from winback.models import (
    CampaignStatus,
    PlanStatus,
    Target,
    TargetGroup,
    Task,
    TaskKind,
    TaskStatus,
)
from winback.outcomes import outcome_summary, targets_measure

pytestmark = pytest.mark.django_db

OLD_UNHAPPY = {**LOST, "nine_cell": "7+/low", "age_tier": "7+", "satisfaction_band": "low"}


@pytest.fixture
def run():
    return run_for_today()


@pytest.fixture
def plan():
    return contact_plan(("phone", 0, 10), ("wechat", 7, 10))


def _draft(by, run, plan, *, owner=None, offer=None, **filters):
    today = timezone.localdate()
    return campaign_create(
        by=by,
        name="老车关怀",
        filters={"month": run.month.strftime("%Y-%m"), "nine_cell": "7+/low", **filters},
        plan=plan,
        offer=offer,
        starts_on=today,
        ends_on=today + dt.timedelta(days=30),
        owner=owner or by,
    )


# --- drafting ---------------------------------------------------------------------------------


def test_marketing_drafts_a_campaign_with_the_configured_control_share(marketing, run, plan):
    work_settings(control_share=0.2)
    campaign = _draft(marketing, run, plan)
    assert campaign.status == CampaignStatus.DRAFT
    assert campaign.filters == {"month": run.month.strftime("%Y-%m"), "nine_cell": "7+/low"}
    assert campaign.control_share == 0.2
    assert campaign.kind == TaskKind.CAMPAIGN


def test_the_month_defaults_to_the_latest_scored(run):
    assert campaign_filters_clean({"status": "lost"}) == {
        "status": "lost",
        "month": run.month.strftime("%Y-%m"),
    }


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"nine_cell": "9+/low"}, "nine_cell"),
        ({"status": "sleepy"}, "status"),
        ({"value_tier": "7"}, "value_tier"),
        ({"month": "2024/09"}, "month"),
        ({"month": "2019-01"}, "month"),
    ],
)
def test_a_bad_filter_is_refused_naming_its_field(run, filters, field):
    with pytest.raises(ValidationError) as error:
        campaign_filters_clean(filters)
    assert field in error.value.message_dict


def test_an_unknown_filter_key_is_refused(run):
    with pytest.raises(ValidationError, match="Unknown segment filter: colour"):
        campaign_filters_clean({"colour": "red"})


def test_advisors_cannot_draft(advisor, run, plan):
    with pytest.raises(PermissionDenied):
        _draft(advisor, run, plan)


def test_a_draft_with_errors_says_what_is_wrong(marketing, advisor, run, plan):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as error:
        campaign_create(
            by=marketing,
            name=" ",
            filters={"nine_cell": "nope"},
            plan=contact_plan(),
            offer=OfferFactory(is_active=False),
            starts_on=today,
            ends_on=today - dt.timedelta(days=1),
            owner=advisor,
        )
    assert set(error.value.message_dict) == {"name", "filters", "plan", "offer", "ends_on", "owner"}


def test_the_filter_in_words_has_no_codes():
    words = dict(
        campaign_filter_words(
            {"month": "2026-11", "nine_cell": "7+/low", "status": "at_risk", "value_tier": "1"}
        )
    )
    assert words["Nine cell"] == "7+ years · low satisfaction"
    assert words["Churn status"] == "At risk"
    assert "1" in words["Value tier"]
    assert "at_risk" not in str(words)


def test_the_match_preview_is_capped(manager, run, monkeypatch):
    scored(run, 3, score=OLD_UNHAPPY)
    scored(run, 2)
    filters = {"month": run.month.strftime("%Y-%m"), "nine_cell": "7+/low"}
    assert campaign_match_count(user=manager, filters=filters) == (3, False)
    monkeypatch.setattr("winback.campaign_selectors.PREVIEW_CAP", 2)
    assert campaign_match_count(user=manager, filters=filters) == (2, True)


# --- approval launches it ---------------------------------------------------------------------


def test_approval_launches_targets_control_and_first_step_tasks(marketing, manager, run, plan):
    work_settings(control_share=0.3)
    advisor = UserFactory(role=Role.SALES_ADVISOR)
    owner = UserFactory(role=Role.SERVICE_MARKETING)
    by_advisor = scored(run, 40, score=OLD_UNHAPPY, sales_advisor=advisor)
    by_owner = scored(run, 5, score=OLD_UNHAPPY, service_owner=owner)
    outside = scored(run, 5, sales_advisor=advisor)  # not 7+/low
    offer = OfferFactory()
    campaign = _draft(marketing, run, plan, offer=offer)

    campaign = campaign_approve(campaign=campaign, by=manager)

    assert campaign.status == CampaignStatus.RUNNING
    assert campaign.approved_by == manager
    targets = Target.objects.filter(campaign=campaign)
    assert targets.count() == 45
    assert not targets.filter(customer__in=outside).exists()
    assert targets.filter(round__isnull=False).count() == 0
    control = targets.filter(group=TargetGroup.CONTROL)
    assert 0 < control.count() < 45
    assert set(control.values_list("plan_status", flat=True)) == {PlanStatus.CONTROL}
    assert not control.exclude(offer=None).exists()
    tasks = Task.objects.filter(target__campaign=campaign)
    assert tasks.count() == 45 - control.count()
    assert set(tasks.values_list("kind", "step", "channel", "offer_id", "note")) == {
        (TaskKind.CAMPAIGN, 1, "phone", offer.pk, "老车关怀")
    }
    assignees = dict(tasks.values_list("customer_id", "assignee_id"))
    assert {assignees.get(c.pk, advisor.pk) for c in by_advisor} == {advisor.pk}
    assert {assignees.get(c.pk, owner.pk) for c in by_owner} == {owner.pk}
    assert campaign.report["targets"] == 45
    assert campaign.report["control"] == control.count()


def test_the_control_group_is_the_same_draw_each_time(marketing, manager, run, plan):
    work_settings(control_share=0.5)
    people = scored(run, 30, score=OLD_UNHAPPY, sales_advisor=UserFactory())
    first = campaign_approve(campaign=_draft(marketing, run, plan), by=manager)
    held = set(
        Target.objects.filter(campaign=first, group="control").values_list("customer", flat=True)
    )
    Target.objects.filter(campaign=first).delete()
    Task.objects.all().delete()
    first.status = CampaignStatus.DRAFT
    first.save()
    campaign_approve(campaign=first, by=manager)
    again = set(
        Target.objects.filter(campaign=first, group="control").values_list("customer", flat=True)
    )
    assert held == again
    assert 0 < len(held) < len(people)


def test_approving_twice_launches_once(marketing, manager, run, plan):
    scored(run, 4, score=OLD_UNHAPPY, sales_advisor=UserFactory())
    campaign = _draft(marketing, run, plan)
    campaign_approve(campaign=campaign, by=manager)
    campaign_approve(campaign=campaign, by=manager)
    assert Target.objects.filter(campaign=campaign).count() == 4
    assert Task.objects.filter(target__campaign=campaign).count() <= 4


def test_only_managers_approve_or_reject(marketing, run, plan):
    campaign = _draft(marketing, run, plan)
    with pytest.raises(PermissionDenied):
        campaign_approve(campaign=campaign, by=marketing)
    with pytest.raises(PermissionDenied):
        campaign_reject(campaign=campaign, by=marketing)


def test_the_round_rules_skip_who_must_not_be_contacted(marketing, manager, run, plan):
    work_settings(control_share=0.0, contact_cap=1)
    advisor = UserFactory()
    fine, refuses, opted_out, unreachable, capped, nobody = (
        scored(run, score=OLD_UNHAPPY, sales_advisor=advisor)[0] for _ in range(6)
    )
    ContactPreferenceFactory(customer=refuses, do_not_contact=True)
    for channel in ("phone", "sms", "wechat", "email", "post"):
        ChannelOptOutFactory(customer=opted_out, channel=channel)
    unreachable.mobile = ""
    unreachable.save()
    ContactLogFactory(customer=capped, contacted_at=timezone.now() - dt.timedelta(days=3))
    nobody.sales_advisor = None
    nobody.save()

    campaign = campaign_approve(campaign=_draft(marketing, run, plan), by=manager)

    assert list(Target.objects.filter(campaign=campaign).values_list("customer", flat=True)) == [
        fine.pk
    ]
    assert campaign.report["skipped"] == {
        "refuses_contact": 1,
        "no_owner": 1,
        "no_channel": 2,
        "contact_cap": 1,
    }


def test_a_customer_with_an_open_task_of_the_kind_is_skipped(marketing, manager, run, plan):
    person = scored(run, score=OLD_UNHAPPY, sales_advisor=UserFactory())[0]
    campaign_approve(campaign=_draft(marketing, run, plan), by=manager)
    second = campaign_approve(campaign=_draft(marketing, run, plan), by=manager)
    assert not Target.objects.filter(campaign=second).exists()
    assert second.report["skipped"] == {"open_task": 1}
    assert Task.objects.filter(customer=person).count() == 1


def test_reject_and_close(marketing, manager, run, plan):
    rejected = campaign_reject(campaign=_draft(marketing, run, plan), by=manager)
    assert rejected.status == CampaignStatus.REJECTED
    with pytest.raises(ValidationError):
        campaign_approve(campaign=rejected, by=manager)

    scored(run, 3, score=OLD_UNHAPPY, sales_advisor=UserFactory())
    running = campaign_approve(campaign=_draft(marketing, run, plan), by=manager)
    closed = campaign_close(campaign=running, by=marketing)
    assert closed.status == CampaignStatus.CLOSED
    tasks = Task.objects.filter(target__campaign=running)
    assert tasks.exists()
    assert set(tasks.values_list("status", flat=True)) == {TaskStatus.EXPIRED}
    assert not Target.objects.filter(campaign=running, plan_status=PlanStatus.ACTIVE).exists()


def test_the_list_is_for_marketing_and_managers(marketing, manager, advisor, run, plan):
    campaign = _draft(marketing, run, plan)
    assert list(campaign_list(user=manager, filters={})) == [campaign]
    assert list(campaign_list(user=advisor, filters={})) == []
    assert list(campaign_list(user=marketing, filters={"status": "running"})) == []
    with pytest.raises(ValidationError):
        campaign_list(user=manager, filters={"status": "nope"})


# --- progress and verdict ---------------------------------------------------------------------


def test_progress_matches_outcome_summary_in_one_query(
    marketing, manager, run, plan, django_assert_num_queries
):
    work_settings(control_share=0.3)
    scored(run, 20, score=OLD_UNHAPPY, sales_advisor=UserFactory())
    campaign = campaign_approve(
        campaign=_draft(marketing, run, plan, offer=OfferFactory()), by=manager
    )
    targets = Target.objects.filter(campaign=campaign)
    contacted = targets.filter(group="contacted")
    first = contacted.first()
    first.plan_status = PlanStatus.ANSWERED
    first.first_contact_at = timezone.now()
    first.save()
    targets.filter(pk__in=list(targets.values_list("pk", flat=True)[:8])).update(
        returned_1m=True, spend_1m=Decimal("500")
    )
    targets.filter(returned_1m=None).update(returned_1m=False, spend_1m=Decimal("0"))

    # One aggregate, plus the offer's price (the list and detail pages load it with the row).
    with django_assert_num_queries(2):
        progress = campaign_progress(campaign)

    summary = outcome_summary(targets)
    for horizon in ("1m", "2m", "3m"):
        assert progress[horizon] == summary[horizon]
    assert progress["targets"] == 20
    assert progress["control"] == targets.filter(group="control").count()
    assert progress["contacted"] == 1
    assert progress["reached"] == 1
    assert progress["offer_cost"] == Decimal("1200.00")
    assert progress["came_back_1m"] == contacted.filter(returned_1m=True).count()
    assert progress["revenue"] == 500 * progress["came_back_1m"]


def test_campaign_targets_are_measured_like_round_targets(marketing, manager, run, plan):
    scored(run, 2, score=OLD_UNHAPPY, sales_advisor=UserFactory())
    campaign = campaign_approve(campaign=_draft(marketing, run, plan), by=manager)
    later = timezone.localdate() + dt.timedelta(days=40)
    assert targets_measure(today=later) == 2
    assert not Target.objects.filter(campaign=campaign, returned_1m=None).exists()


def _summary(contacted_n, contacted_back, control_n, control_back, spend=(0.0, 0.0)):
    entry = {
        "contacted_n": contacted_n,
        "contacted_rate": contacted_back / contacted_n if contacted_n else None,
        "contacted_spend": spend[0],
        "control_n": control_n,
        "control_rate": control_back / control_n if control_n else None,
        "control_spend": spend[1],
    }
    rates = entry["contacted_rate"], entry["control_rate"]
    entry["uplift_points"] = 100 * (rates[0] - rates[1]) if None not in rates else None
    empty = {"contacted_n": 0, "control_n": 0, "uplift_points": None}
    return {"1m": entry, "2m": empty, "3m": empty}


def test_verdict_too_early_without_enough_measured():
    code, label, reason = campaign_verdict(_summary(12, 6, 3, 0))
    assert (code, label) == (TOO_EARLY, "Too early to tell")
    assert "12 contacted" in reason


def test_verdict_stop_without_uplift():
    code, _label, reason = campaign_verdict(_summary(100, 20, 20, 4))
    assert code == STOP
    assert "+0.0 points" in reason


def test_verdict_continue_with_uplift_and_revenue_over_the_offer_cost():
    summary = _summary(100, 30, 20, 2, spend=(60000.0, 2000.0))
    summary["offer_cost"] = Decimal("10000")
    code, label, reason = campaign_verdict(summary)
    assert (code, label) == (CONTINUE, "Worth continuing")
    assert "¥50,000" in reason


def test_verdict_stop_when_the_offer_costs_more_than_it_brings():
    summary = _summary(100, 30, 20, 2, spend=(6000.0, 1000.0))
    summary["offer_cost"] = Decimal("10000")
    code, _label, reason = campaign_verdict(summary)
    assert code == STOP
    assert "¥1,000" in reason and "¥10,000" in reason


def test_verdict_reads_outcome_summary_of_a_kind(marketing, manager, run, plan):
    code, _label, _reason = campaign_verdict(outcome_summary(Target.objects.none()))
    assert code == TOO_EARLY


def test_the_demo_may_draft_in_the_past(marketing, run, plan):
    now = timezone.now() - dt.timedelta(days=90)
    day = timezone.localdate(now)
    campaign = campaign_create(
        by=marketing,
        name="三个月前",
        filters={"month": run.month.strftime("%Y-%m")},
        plan=plan,
        offer=None,
        starts_on=day,
        ends_on=day + dt.timedelta(days=30),
        owner=marketing,
        now=now,
    )
    assert campaign.created_at == now


# --- approval from a page: the launch is a worker's job ------------------------------------


def test_a_page_approval_queues_the_launch_and_the_worker_runs_it(
    marketing, manager, run, plan, eager_tasks, django_capture_on_commit_callbacks
):
    scored(run, 4, score=OLD_UNHAPPY, sales_advisor=UserFactory())
    campaign = _draft(marketing, run, plan)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        campaign = campaign_launch_request(campaign=campaign, by=manager)
    assert campaign.status == CampaignStatus.APPROVED
    assert (campaign.approved_by, len(callbacks)) == (manager, 1)
    assert not Target.objects.filter(campaign=campaign).exists()
    callbacks[0]()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RUNNING
    assert Target.objects.filter(campaign=campaign).count() == 4


def test_a_redelivered_launch_does_nothing_more(marketing, manager, run, plan):
    scored(run, 3, score=OLD_UNHAPPY, sales_advisor=UserFactory())
    campaign = campaign_launch_request(campaign=_draft(marketing, run, plan), by=manager)
    campaign_launch(campaign_id=campaign.pk)
    campaign_launch(campaign_id=campaign.pk)
    assert Target.objects.filter(campaign=campaign).count() == 3


def test_a_launch_that_became_impossible_returns_the_campaign_to_draft_with_why(
    marketing, manager, run, plan
):
    campaign = campaign_launch_request(campaign=_draft(marketing, run, plan), by=manager)
    plan.steps.all().delete()
    campaign = campaign_launch(campaign_id=campaign.pk)
    assert campaign.status == CampaignStatus.DRAFT
    assert "first step" in campaign.report["error"]
    assert not Target.objects.filter(campaign=campaign).exists()


def test_only_managers_request_a_launch(marketing, run, plan):
    campaign = _draft(marketing, run, plan)
    with pytest.raises(PermissionDenied):
        campaign_launch_request(campaign=campaign, by=marketing)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT
