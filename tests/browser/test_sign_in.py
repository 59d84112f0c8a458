"""Signing in through the staff login page, in a real browser."""

from __future__ import annotations

from accounts.roles import Role
from tests.browser.conftest import PHONE, english_leaks, horizontal_overflow


def test_wrong_password_is_refused_in_chinese_on_a_phone(browser, live_server, staff_user):
    staff_user(Role.SALES_ADVISOR, username="li")
    context = browser.new_context(viewport=PHONE, is_mobile=True, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "li")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    page.wait_for_selector("p.error")
    assert "用户名" in page.inner_text("p.error") or "密码" in page.inner_text("p.error")
    assert horizontal_overflow(page) == 0
    assert english_leaks(page, allow={"li"}) == []
    context.close()
