"""Formatting for people: no raw floats, codes or UTC times on a page."""

from __future__ import annotations

import datetime as dt

from django.template import Context, Template
from django.test import RequestFactory
from django.utils import translation

from core.formatting import beijing, day, label, money, num, pct
from segmentation.models import Status


def test_money_has_a_yuan_sign_grouping_and_two_decimals():
    assert money(3713.71000000000) == "¥3,713.71"
    assert money(-12.5) == "-¥12.50"
    assert money(None) == "—"


def test_numbers_and_shares_are_rounded():
    assert num(0.7234567, 2) == "0.72"
    assert num(1234567) == "1,234,567"
    assert pct(0.371) == "37%"
    assert pct(0.3716, 1) == "37.2%"


def test_times_are_shown_in_beijing():
    utc = dt.datetime(2026, 11, 29, 16, 30, tzinfo=dt.UTC)
    assert beijing(utc) == "2026-11-30 00:30"


def test_a_code_shows_its_label_in_the_readers_language():
    with translation.override("zh-hans"):
        assert label("lost", Status) == str(Status.LOST.label)
        assert label("lost", Status) != "lost"
    assert label("", Status) == "—"


def test_query_with_keeps_the_filters_and_changes_one():
    request = RequestFactory().get("/customers/?month=2026-11&nine_cell=7%2B%2Flow&after=9")
    rendered = Template("{% load formatting %}{% query_with after=None page=2 %}").render(
        Context({"request": request})
    )
    assert rendered == "?month=2026-11&amp;nine_cell=7%2B%2Flow&amp;page=2"


def test_a_missing_date_or_time_shows_a_dash():
    # A template renders a missing related object's date as "".
    assert day("") == "—"
    assert beijing("") == "—"


def test_chinese_pages_group_thousands_too():
    with translation.override("zh-hans"):
        assert money(22141602) == "¥22,141,602.00"
        assert num(5000) == "5,000"
