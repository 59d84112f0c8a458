"""Sign-in hardening (R7.2): lockout after repeated wrong passwords per user and address (staff
sign-in and admin sign-in), the sign-in audit, and the Content-Security-Policy header."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.test import Client, override_settings

from accounts.roles import Role
from tests.admin_pages import admin_url
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-9137"  # tests.factories.UserFactory's
LOGIN_PAGES = ["/login/", "/admin/login/"]


def _sign_in(client: Client, url: str, username: str, password: str, ip: str = "10.0.0.1"):
    return client.post(
        url, {"username": username, "password": password, "next": "/"}, REMOTE_ADDR=ip
    )


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("url", LOGIN_PAGES)
def test_25_wrong_passwords_lock_the_right_one_out(url):
    user = UserFactory(username="wang", role=Role.MANAGER)
    client = Client()
    for _ in range(25):
        _sign_in(client, url, user.username, "wrong-guess")
    response = _sign_in(client, url, user.username, PASSWORD)
    assert response.status_code == 429
    assert not _signed_in(client)
    assert "Sign-in locked" in response.content.decode()
    assert "15 minutes" in response.content.decode()


def test_the_lock_comes_at_the_fifth_wrong_password_not_before():
    user = UserFactory(username="li")
    client = Client()
    for _ in range(4):
        assert _sign_in(client, "/login/", user.username, "wrong").status_code == 200
    assert _sign_in(client, "/login/", user.username, PASSWORD).status_code == 302
    assert _signed_in(client)
    # A success clears the count: four more wrong ones do not lock.
    client = Client()
    for _ in range(4):
        _sign_in(client, "/login/", user.username, "wrong")
    assert _sign_in(client, "/login/", user.username, PASSWORD).status_code == 302


def test_the_lock_is_per_user_and_address():
    locked = UserFactory(username="zhao")
    other = UserFactory(username="qian")
    for _ in range(5):
        _sign_in(Client(), "/admin/login/", locked.username, "wrong", ip="10.0.0.9")
    assert (
        _sign_in(Client(), "/login/", locked.username, PASSWORD, ip="10.0.0.9").status_code == 429
    )
    # The same user from another address, another user from the same address: not locked.
    elsewhere = Client()
    assert (
        _sign_in(elsewhere, "/login/", locked.username, PASSWORD, ip="10.0.0.10").status_code == 302
    )
    same_ip = Client()
    assert _sign_in(same_ip, "/login/", other.username, PASSWORD, ip="10.0.0.9").status_code == 302
    assert _signed_in(elsewhere) and _signed_in(same_ip)


def test_the_lockout_page_is_in_chinese_by_default(settings):
    settings.LANGUAGE_CODE = "zh-hans"
    user = UserFactory(username="sun")
    for _ in range(5):
        _sign_in(Client(), "/login/", user.username, "wrong")
    page = _sign_in(Client(), "/login/", user.username, PASSWORD).content.decode()
    assert "登录已锁定" in page
    assert "15 分钟" in page


def test_sign_ins_are_audited_with_user_address_and_time():
    user = UserFactory(username="zhou")
    _sign_in(Client(), "/login/", user.username, "wrong", ip="10.1.2.3")
    _sign_in(Client(), "/admin/login/", user.username, PASSWORD, ip="10.1.2.4")
    failure = AccessFailureLog.objects.get()
    assert (failure.username, failure.ip_address) == ("zhou", "10.1.2.3")
    assert failure.attempt_time is not None
    success = AccessLog.objects.get()
    assert (success.username, success.ip_address) == ("zhou", "10.1.2.4")
    assert success.attempt_time is not None


def test_managers_read_the_sign_in_audit_in_the_admin_advisors_do_not(manager, advisor):
    _sign_in(Client(), "/login/", "nobody", "wrong", ip="10.9.9.9")
    as_manager = Client()
    as_manager.force_login(manager)
    for model in ("axes.accesslog", "axes.accessfailurelog", "axes.accessattempt"):
        assert as_manager.get(admin_url(model, "changelist")).status_code == 200
    page = as_manager.get(admin_url("axes.accessfailurelog", "changelist")).content.decode()
    assert "10.9.9.9" in page
    as_advisor = Client()
    as_advisor.force_login(advisor)
    assert as_advisor.get(admin_url("axes.accesslog", "changelist")).status_code == 403


def test_a_manager_unlocks_a_user_by_deleting_the_attempt(manager):
    user = UserFactory(username="wu")
    for _ in range(5):
        _sign_in(Client(), "/login/", user.username, "wrong")
    AccessAttempt.objects.filter(username="wu").delete()
    assert _sign_in(Client(), "/login/", user.username, PASSWORD).status_code == 302


@pytest.mark.parametrize("url", LOGIN_PAGES)
@override_settings(DEBUG=False)
def test_pages_carry_a_content_security_policy_without_inline_script(url):
    response = Client().get(url)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    directives = dict(
        (part.split(" ", 1) + [""])[:2] for part in (p.strip() for p in policy.split(";")) if part
    )
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_the_staff_pages_write_no_inline_script_or_style(manager):
    client = Client()
    client.force_login(manager)
    for url in ("/", "/login/", "/admin/", admin_url("customers.customer", "changelist")):
        page = client.get(url, follow=True).content.decode()
        assert " onchange=" not in page and " onclick=" not in page, url
        assert " style=" not in page, url
