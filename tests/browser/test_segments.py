"""The segment explorer in a real browser, in Chinese: marketing reads the month's nine-cell
grid (labels, never codes), and a cell opens the customer list filtered to it."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlparse

import pytest
from django.apps import apps

from accounts.roles import Role, roles_sync
from segmentation.models import RfmSegment, Status
from tests.browser.conftest import english_leaks, horizontal_overflow
from tests.factories import CustomerFactory, CustomerScoreFactory, ScoringRunFactory

CELLS = ("7+/low", "7+/medium", "6+/high", "5+/low", "5+/medium")


@pytest.fixture(autouse=True)
def _role_groups(transactional_db) -> None:
    """The role groups, which an earlier transactional test may have flushed."""
    roles_sync(apps)


def _two_months() -> None:
    august = ScoringRunFactory(month=dt.date(2026, 8, 1))
    september = ScoringRunFactory(month=dt.date(2026, 9, 1))
    for n in range(12):
        customer = CustomerFactory()
        cell = CELLS[n % len(CELLS)]
        status = (Status.ACTIVE, Status.AT_RISK, Status.LOST)[n % 3]
        segment = (RfmSegment.LOYAL, RfmSegment.AT_RISK, RfmSegment.LOST)[n % 3]
        CustomerScoreFactory(run=august, customer=customer, nine_cell=CELLS[(n + 1) % 5])
        CustomerScoreFactory(
            run=september,
            customer=customer,
            nine_cell=cell,
            status=status,
            rfm_segment=segment,
            previous_rfm_segment=RfmSegment.LOYAL,
            value_tier=None if status == Status.ACTIVE else 1 + n % 5,
            future_value=1500.0 + 250 * n,
        )


def test_marketing_opens_a_cell_of_the_grid_in_chinese(live_server, staff_user, signed_in):
    _two_months()
    user = staff_user(Role.SERVICE_MARKETING, username="liu", first_name="刘敏")
    page = signed_in(user)
    page.goto(f"{live_server.url}/segments/")
    grid = page.locator("table.ninecell")
    grid.wait_for()
    assert grid.locator("td.cell").count() == 9
    assert "2026年9月" in page.inner_text("h1")
    oldest_low = grid.locator("tbody tr").first.locator("td.cell").first
    assert "7年以上" in oldest_low.inner_text() and "满意度低" in oldest_low.inner_text()
    assert "7+/low" not in page.inner_text("body")
    assert english_leaks(page, allow={"liu"}) == []
    assert horizontal_overflow(page) == 0

    oldest_low.locator("a.cell-link").click()
    page.wait_for_url("**/customers/**")
    query = parse_qs(urlparse(page.url).query)
    assert query == {"month": ["2026-09"], "nine_cell": ["7+/low"]}
    if page.locator("body").inner_text().strip():
        assert english_leaks(page, allow={"liu"}) == []


def test_the_grid_fits_a_phone(live_server, staff_user, signed_in):
    _two_months()
    page = signed_in(staff_user(Role.MANAGER, username="zhou", first_name="周杰"), phone=True)
    page.goto(f"{live_server.url}/segments/")
    page.locator("table.ninecell").wait_for()
    assert horizontal_overflow(page) == 0
