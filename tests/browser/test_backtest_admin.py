"""A manager reads a run's forecast backtest on its admin page, in Chinese, in a real browser."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from accounts.roles import Role, roles_sync
from segmentation.services import scoring_run_execute
from tests.browser.conftest import screenshot

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture(autouse=True)
def _role_groups(transactional_db) -> None:
    roles_sync(apps)


def test_the_run_page_shows_the_backtest_tables(signed_in, staff_user, live_server):
    call_command("seed_demo", customers=300, seed=7, as_of=AS_OF, stdout=StringIO())
    run = scoring_run_execute(month=dt.date(2026, 6, 1), as_of=AS_OF)
    manager = staff_user(Role.MANAGER, username="backtest-manager", is_staff=True)
    page = signed_in(manager)
    page.goto(f"{live_server.url}/admin/segmentation/scoringrun/{run.pk}/change/")
    block = page.locator(".field-backtest_report")
    text = block.inner_text()
    assert "回厂模型对比" in text and "按价值层级" in text and "十分位" in text
    # Percentages and money, not raw shares or long floats.
    assert "%" in text and "¥" in text
    assert block.locator("table").count() == 4
    assert block.locator("tbody tr").count() == 3 + 2 + 5 + 10
    assert "已接到挽回电话" in text
    block.scroll_into_view_if_needed()
    screenshot(page, "admin-backtest")
