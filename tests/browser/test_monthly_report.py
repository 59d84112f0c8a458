"""The monthly win-back report in a real browser: a manager reads it in Chinese, downloads the
Excel file, and the file holds the figure the page shows."""

from __future__ import annotations

import io
import re
from pathlib import Path

from django.core.cache import cache
from openpyxl import load_workbook

from accounts.roles import Role
from customers.models import DataAccessAction, DataAccessLog
from tests.browser.conftest import english_leaks, horizontal_overflow, screenshot
from tests.reports.test_monthly_report import build_june


def test_a_manager_reads_the_month_and_downloads_the_excel_file(live_server, staff_user, signed_in):
    manager = staff_user(Role.MANAGER, username="zhao", first_name="经理", last_name="赵")
    build_june(manager)
    cache.clear()

    page = signed_in(manager)
    page.goto(f"{live_server.url}/reports/monthly/")
    assert page.url.endswith("/reports/monthly/2025-06/")
    assert page.locator("h1").inner_text().startswith("月度挽回报告")
    assert english_leaks(page, allow={"zhao", "Excel", "YYYY-MM"}) == []
    recovered = page.locator("#figure-recovered").inner_text()
    revenue = page.locator("#figure-revenue").inner_text()
    assert recovered == "4"
    assert float(re.sub(r"[¥,]", "", revenue)) == 2500
    screenshot(page, "monthly-report")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载 Excel").click()
    download = download_info.value
    assert download.suggested_filename == "挽回报告 2025-06.xlsx"
    workbook = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    summary = workbook["概览"]
    figures = {row[0]: row[1:] for row in summary.iter_rows(values_only=True)}
    assert figures["挽回客户（已联系并回厂）"][0] == int(recovered)
    amount = float(re.sub(r"[¥,]", "", revenue))
    assert figures["挽回收入"][1] == amount
    assert DataAccessLog.objects.filter(user=manager, action=DataAccessAction.EXPORT).count() == 1

    phone = signed_in(manager, phone=True)
    phone.goto(f"{live_server.url}/reports/monthly/2025-06/")
    assert horizontal_overflow(phone) == 0
