"""Real-browser tests: Playwright driving Debian's Chromium against the live test server.

Chromium comes from Debian (``apt-get install chromium``). Without it these tests are skipped
with that instruction, unless ``BROWSER_TESTS=required`` (CI's PostgreSQL pass), where a missing
browser fails the run instead.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import translation

from accounts.roles import Role, roles_sync
from tests.factories import UserFactory

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = Path(django_settings.BASE_DIR) / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1366, "height": 900}

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """Chromium for one test module. Playwright's sync API runs an event loop in the test
    thread while it lives, so the ORM is told that synchronous calls are intended for that
    time only (a later test's subprocess, e.g. ``check --deploy``, must not inherit it)."""
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM}: apt-get install chromium"
        if os.environ.get("BROWSER_TESTS") == "required":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    was = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-dev-shm-usage"]
            )
            yield browser
            browser.close()
    finally:
        if was is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = was


@pytest.fixture(autouse=True)
def _english(settings):
    """Browser tests read the pages as the department does: in Simplified Chinese."""
    settings.LANGUAGE_CODE = "zh-hans"
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def staff_user(transactional_db) -> Callable:
    """``staff_user(Role.MANAGER, username="wang")``: a user in a role, committed so the live
    server sees it."""

    def make(role: Role, **fields):
        # A transactional test's flush deletes the role groups the migrations made.
        if not Group.objects.filter(name=role.value).exists():
            roles_sync(django_apps)
        return UserFactory(role=role, **fields)

    return make


@pytest.fixture
def signed_in(browser, live_server) -> Iterator[Callable]:
    """``signed_in(user, phone=True)``: a new page whose session is ``user``'s."""
    contexts = []

    def open_page(user, *, phone: bool = False):
        client = Client()
        client.force_login(user)
        context = browser.new_context(
            viewport=PHONE if phone else DESK,
            device_scale_factor=2 if phone else 1,
            is_mobile=phone,
            has_touch=phone,
            locale="zh-CN",
            accept_downloads=True,
        )
        cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when it fits)."""
    return page.evaluate(
        "() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth)"
    )


#: Latin words a Chinese page may legitimately carry (names of things, units, our brand).
ALLOWED_LATIN = {"DealerCRM", "RFM", "VIN", "WeChat", "Excel", "km", "English", "SUV", "MPV"}
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z_+/.-]{2,}")
_LONG_DECIMAL = re.compile(r"\d\.\d{4,}")


def english_leaks(page, allow: set[str] = frozenset()) -> list[str]:
    """Latin words and long decimals in the page's visible text that are not names we allow:
    raw codes (``at_risk``, ``7+/low``) or untranslated labels in the Chinese UI."""
    text = page.inner_text("body")
    words = {w.strip("./-+") for w in _LATIN_WORD.findall(text)}
    leaks = sorted(w for w in words if w and w not in ALLOWED_LATIN and w not in allow)
    return leaks + _LONG_DECIMAL.findall(text)


def screenshot(page, name: str) -> Path:
    """Save a screenshot for the README and docs/ (the suite keeps them current)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path
