"""Sign-in lockout and the Content-Security-Policy in a real browser: the pages work without
inline script or style (no policy violation), the language switch still switches, and a
locked-out sign-in gets a clear page in Chinese."""

from __future__ import annotations

from django.urls import reverse

from accounts.roles import Role
from tests.browser.conftest import PHONE, english_leaks, horizontal_overflow, screenshot
from tests.factories import CustomerFactory


def _violations(page) -> list[str]:
    found: list[str] = []
    page.on(
        "console",
        lambda message: (
            found.append(message.text)
            if "Content Security Policy" in message.text
            or "Content-Security-Policy" in message.text
            else None
        ),
    )
    return found


def test_staff_pages_and_the_admin_break_no_content_security_policy(
    live_server, staff_user, signed_in
):
    manager = staff_user(Role.MANAGER, username="zhang")
    customer = CustomerFactory(name="王伟", mobile="13912345678")
    page = signed_in(manager)
    violations = _violations(page)
    for url in (
        reverse("dashboard"),
        reverse("customer_list"),
        reverse("customer_detail", args=[customer.pk]),
        reverse("access_log"),
        reverse("admin:index"),
        reverse("admin:customers_customer_change", args=[customer.pk]),
    ):
        response = page.goto(f"{live_server.url}{url}")
        assert response.status == 200, url
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
    assert violations == []


def test_the_language_switch_works_under_the_policy(live_server, staff_user, signed_in):
    advisor = staff_user(Role.SALES_ADVISOR, username="li")
    page = signed_in(advisor)
    violations = _violations(page)
    page.goto(f"{live_server.url}{reverse('today')}")
    before = page.locator("html").get_attribute("lang")
    other = "en" if before == "zh-hans" else "zh-hans"
    # Picking a language sends the form (static/js/staff.js), which sets the language cookie.
    with page.expect_navigation():
        page.select_option("select[name=language]", other)
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies.get("django_language") == other
    assert violations == []


def test_a_locked_out_sign_in_gets_a_clear_page_in_chinese_on_a_phone(
    browser, live_server, staff_user
):
    staff_user(Role.SALES_ADVISOR, username="li")
    context = browser.new_context(viewport=PHONE, is_mobile=True, locale="zh-CN")
    page = context.new_page()
    for password in ["wrong1", "wrong2", "wrong3", "wrong4", "wrong5", "pw-for-tests-9137"]:
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", "li")
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_load_state()
    text = page.inner_text("main")
    assert "登录已锁定" in text and "15 分钟" in text
    assert horizontal_overflow(page) == 0
    assert english_leaks(page, allow={"li"}) == []
    screenshot(page, "sign-in-locked-phone")
    context.close()
