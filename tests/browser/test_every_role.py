"""Every role in a real browser: signs in through the login page, lands on its own page with
its own menu, and every page it may open fits a 390-px phone and reads in Chinese (no English
words or raw codes)."""

from __future__ import annotations

import pytest

from accounts.roles import Role
from tests.browser.conftest import english_leaks, horizontal_overflow
from tests.factories import RoundFactory, TargetFactory, TaskFactory, UserFactory
from tests.winback.helpers import LOST, run_for_today, scored

PASSWORD = "s3cret-pass-Ω"
NAMES = {"wang", "zhao", "zhou", "liu", "王芳", "赵经理", "周敏", "刘洋"}


@pytest.fixture
def dealership(staff_user):
    """A manager, a marketing user and an advisor with scored customers, today's tasks and
    a round of targets."""
    manager = staff_user(Role.MANAGER, username="zhao", first_name="赵经理")
    marketing = staff_user(Role.SERVICE_MARKETING, username="zhou", first_name="周敏")
    advisor = staff_user(Role.SALES_ADVISOR, username="wang", first_name="王芳")
    for user in (manager, marketing, advisor):
        user.set_password(PASSWORD)
        user.save()
    run = run_for_today()
    score = {**LOST, "nine_cell": "7+/low", "age_tier": "7+", "satisfaction_band": "low"}
    customers = scored(run, 4, score=score, sales_advisor=advisor, name="李建华")
    round_ = RoundFactory(run=run)
    for customer in customers:
        target = TargetFactory(round=round_, customer=customer)
        TaskFactory(customer=customer, target=target, run=run, note="上次保养已过 11 个月")
    UserFactory(role=Role.SALES_ADVISOR, username="liu", first_name="刘洋")  # no customers
    return {
        "manager": manager,
        "marketing": marketing,
        "advisor": advisor,
        "customer": customers[0],
    }


@pytest.mark.parametrize(
    ("who", "lands_on", "menu_has", "menu_lacks"),
    [
        ("advisor", "/today/", "客户", "仪表盘"),
        ("marketing", "/segments/", "营销活动", "数据访问日志"),
        ("manager", "/dashboard/", "数据访问日志", "今日"),
    ],
)
def test_each_role_signs_in_and_lands_on_its_page(
    browser, live_server, dealership, who, lands_on, menu_has, menu_lacks
):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    page.fill("input[name=username]", dealership[who].username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{lands_on}")
    menu = page.inner_text("nav.mainnav")
    assert menu_has in menu and menu_lacks not in menu
    assert horizontal_overflow(page) == 0
    assert english_leaks(page, allow=NAMES) == []
    context.close()


PAGES = {
    "advisor": ["/today/", "/customers/", "/customers/{customer}/"],
    "marketing": [
        "/segments/",
        "/customers/",
        "/campaigns/",
        "/campaigns/new/?nine_cell=7%2B%2Flow",
    ],
    "manager": [
        "/dashboard/",
        "/customers/{customer}/",
        "/reports/monthly/",
        "/campaigns/",
        "/access-log/",
    ],
}


@pytest.mark.parametrize("who", list(PAGES))
def test_every_page_of_a_role_fits_a_phone_and_reads_in_chinese(
    signed_in, live_server, dealership, who
):
    page = signed_in(dealership[who], phone=True)
    for path in PAGES[who]:
        response = page.goto(live_server.url + path.format(customer=dealership["customer"].pk))
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
        assert horizontal_overflow(page) == 0, path
        assert english_leaks(page, allow=NAMES) == [], path


def test_an_advisor_is_refused_the_managers_pages(signed_in, live_server, dealership):
    page = signed_in(dealership["advisor"], phone=True)
    for path in ("/dashboard/", "/segments/", "/access-log/", "/reports/monthly/"):
        assert page.goto(live_server.url + path).status == 403, path
        assert "无权访问" in page.inner_text("main")
