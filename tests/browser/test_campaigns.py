"""A campaign from a segment, in a real browser (R5, R6): marketing opens the segment explorer,
starts a campaign from the 7+/low cell, fills the name, plan and period and saves it; a manager,
in a second browser, approves it and the campaign shows its targets. Checked in the database;
nothing shows in English or as a raw code."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accounts.roles import Role
from tests.browser.conftest import english_leaks, horizontal_overflow, screenshot
from tests.factories import ContactPlanFactory, ContactPlanStepFactory, UserFactory
from tests.winback.helpers import LOST, run_for_today, scored
from winback.models import Campaign, CampaignStatus, Target, Task, TaskKind

OLD_UNHAPPY = {**LOST, "nine_cell": "7+/low", "age_tier": "7+", "satisfaction_band": "low"}


def test_marketing_builds_a_campaign_from_a_cell_and_a_manager_approves_it(
    staff_user, signed_in, live_server, eager_tasks
):
    marketing = staff_user(Role.SERVICE_MARKETING, username="zhou", first_name="周敏")
    manager = staff_user(Role.MANAGER, username="zhao", first_name="赵经理")
    advisor = UserFactory(role=Role.SALES_ADVISOR, username="li", first_name="李顾问")
    run = run_for_today()
    chosen = scored(run, 12, score=OLD_UNHAPPY, sales_advisor=advisor)
    scored(run, 5, sales_advisor=advisor)  # another cell
    plan = ContactPlanFactory(name="老车车主关怀")
    ContactPlanStepFactory(plan=plan, number=1, channel="phone", script="问候并介绍保养套餐")
    names = {"周敏", "赵经理", "李顾问", "zhou", "zhao", "li"}

    page = signed_in(marketing)
    response = page.goto(f"{live_server.url}/segments/")
    assert response.status == 200
    page.click('a.cell-campaign[href*="nine_cell=7%2B%2Flow"]')
    page.wait_for_url("**/campaigns/new/**")
    assert page.inner_text("[data-testid=match-count]") == "12"
    assert english_leaks(page, allow=names) == []

    today = timezone.localdate()
    page.fill("#id_name", "七年以上老车关怀")
    page.select_option("#id_plan", label="老车车主关怀")
    page.fill("#id_starts_on", today.isoformat())
    page.fill("#id_ends_on", (today + dt.timedelta(days=21)).isoformat())
    page.click("button.primary[type=submit]")
    page.wait_for_selector("[data-testid=campaign-status]")
    campaign = Campaign.objects.get()
    assert campaign.status == CampaignStatus.DRAFT
    assert campaign.filters["nine_cell"] == "7+/low"
    assert campaign.plan == plan
    assert campaign.ends_on == today + dt.timedelta(days=21)
    assert page.locator("text=批准并启动").count() == 0  # marketing cannot approve
    assert english_leaks(page, allow=names) == []

    boss = signed_in(manager)
    boss.goto(f"{live_server.url}/campaigns/{campaign.pk}/")
    boss.click("text=批准并启动")
    boss.wait_for_selector(".messages li")
    assert boss.inner_text("[data-testid=targets]") == "12"
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RUNNING
    assert campaign.approved_by == manager
    targets = Target.objects.filter(campaign=campaign)
    assert set(targets.values_list("customer_id", flat=True)) == {c.pk for c in chosen}
    contacted = targets.filter(group="contacted").count()
    assert Task.objects.filter(target__campaign=campaign, kind=TaskKind.CAMPAIGN).count() == (
        contacted
    )
    assert "已批准" in boss.inner_text("[data-testid=campaign-status]")
    assert english_leaks(boss, allow=names) == []
    assert horizontal_overflow(boss) == 0
    screenshot(boss, "campaign")

    phone = signed_in(marketing, phone=True)
    for url in (
        f"/campaigns/{campaign.pk}/",
        "/campaigns/",
        "/campaigns/new/?nine_cell=7%2B%2Flow",
    ):
        phone.goto(f"{live_server.url}{url}")
        assert horizontal_overflow(phone) == 0, url
        assert english_leaks(phone, allow=names) == [], url
