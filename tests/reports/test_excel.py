"""reports.excel: the .xlsx helper every export goes through."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from urllib.parse import unquote

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from reports.excel import (
    DATE,
    MONEY,
    PERCENT,
    XLSX_CONTENT_TYPE,
    Sheet,
    attachment_header,
    sheet_title,
    xlsx_bytes,
    xlsx_response,
)


def _open(data: bytes):
    return load_workbook(io.BytesIO(data))


def test_sheets_headers_rows_and_formats_survive_a_round_trip():
    sheets = [
        Sheet(
            title="汇总",
            headers=["客户", "消费", "占比", "日期"],
            rows=[["张三", Decimal("3713.71"), 0.371, dt.date(2026, 10, 3)]],
            formats={1: MONEY, "占比": PERCENT, 3: DATE},
        ),
        Sheet(title="Trend", headers=["Month", "Recovered"], rows=[["2026-10", 12]]),
    ]
    workbook = _open(xlsx_bytes(sheets))

    assert workbook.sheetnames == ["汇总", "Trend"]
    ws = workbook["汇总"]
    assert [c.value for c in ws[1]] == ["客户", "消费", "占比", "日期"]
    name, spend, share, day = ws[2]
    assert name.value == "张三"
    assert spend.value == pytest.approx(3713.71)
    assert spend.number_format == MONEY
    assert share.number_format == PERCENT
    assert day.value.date() == dt.date(2026, 10, 3)
    assert day.number_format == DATE
    assert ws[1][0].font.bold
    assert ws.freeze_panes == "A2"
    assert workbook["Trend"]["B2"].value == 12


def test_a_note_goes_above_the_header_row():
    data = xlsx_bytes([Sheet(title="List", headers=["A"], rows=[[1]], note="Capped at 2 rows")])
    ws = _open(data)["List"]
    assert ws["A1"].value == "Capped at 2 rows"
    assert ws["A2"].value == "A"
    assert ws["A3"].value == 1
    assert ws.freeze_panes == "A3"


def test_aware_times_are_written_in_beijing_time():
    moment = dt.datetime(2026, 10, 31, 20, 30, tzinfo=dt.UTC)
    ws = _open(xlsx_bytes([Sheet(title="T", headers=["At"], rows=[[moment]])]))["T"]
    assert ws["A2"].value == dt.datetime(2026, 11, 1, 4, 30)
    assert timezone.get_current_timezone_name() == "Asia/Shanghai"


def test_text_that_looks_like_a_formula_stays_text_and_bad_characters_go():
    rows = [['=HYPERLINK("http://x","hi")', "a\x00b\x07c"]]
    ws = _open(xlsx_bytes([Sheet(title="T", headers=["Name", "Note"], rows=rows)]))["T"]
    assert ws["A2"].data_type == "s"
    assert ws["A2"].value == '=HYPERLINK("http://x","hi")'
    assert ws["B2"].value == "abc"


def test_sheet_titles_are_made_acceptable_and_unique():
    taken: set[str] = set()
    assert sheet_title("a/b:c", taken) == "a b c"
    assert sheet_title("x" * 40, taken) == "x" * 31
    assert sheet_title("X" * 40, taken) == "X" * 27 + " (2)"
    workbook = _open(xlsx_bytes([Sheet("Same", ["A"], []), Sheet("Same", ["A"], [])]))
    assert workbook.sheetnames == ["Same", "Same (2)"]


def test_a_format_for_a_missing_column_is_a_programming_error():
    with pytest.raises(ValueError, match="no column"):
        xlsx_bytes([Sheet(title="T", headers=["A"], rows=[], formats={"B": MONEY})])


def test_fifty_thousand_rows_are_written_from_a_generator():
    rows = ((i, Decimal(i) / 100, f"客户{i}") for i in range(50_000))
    data = xlsx_bytes(
        [Sheet(title="Big", headers=["#", "Spend", "Name"], rows=rows, formats={1: MONEY})]
    )
    ws = _open(data)["Big"]
    assert ws.max_row == 50_001
    assert ws.cell(row=50_001, column=3).value == "客户49999"


def test_the_response_is_an_attachment_with_a_chinese_file_name():
    response = xlsx_response(filename="月度挽回报告 2026-10", sheets=[Sheet("T", ["A"], [[1]])])
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="2026-10.xlsx"; ')
    encoded = disposition.split("filename*=utf-8''", 1)[1]
    assert unquote(encoded) == "月度挽回报告 2026-10.xlsx"
    assert "no-store" in response["Cache-Control"]
    assert _open(response.content)["T"]["A2"].value == 1


def test_an_ascii_file_name_is_plain():
    assert attachment_header("report.xlsx") == 'attachment; filename="report.xlsx"'
