"""The data access log page (R7.2): managers only, newest first in keyset pages, filters by
user and action, recorded filters in words, and today's exported rows per user flagged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import DataAccessAction, DataAccessLog
from customers.services import data_access_record
from reports.access_logs import (
    EXPORT_ROWS_ALERT,
    PAGE_SIZE,
    access_log_page,
    export_totals_today,
    filter_words,
)
from tests.admin_pages import queries_of_get
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

URL = "/access-log/"  # the English page: tests run with English as the default


def _log(user, action=DataAccessAction.EXPORT, rows=10, at=None, **fields):
    entry = data_access_record(user=user, action=action, what="Customer list", rows=rows, **fields)
    if at is not None:
        DataAccessLog.objects.filter(pk=entry.pk).update(at=at)
        entry.refresh_from_db()
    return entry


@pytest.mark.parametrize("who", ["advisor", "marketing"])
def test_only_managers_read_it(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("access_log")).status_code == 403


def test_anonymous_visitors_sign_in_first(client):
    response = client.get(reverse("access_log"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_newest_first_with_who_when_what_rows_and_the_filter_in_words(client, manager, marketing):
    moment = timezone.make_aware(dt.datetime(2026, 11, 2, 9, 30), dt.UTC)
    _log(marketing, rows=1234, at=moment, filters={"status": "at_risk", "nine_cell": "7+/low"})
    customer = CustomerFactory(name="王先生")
    _log(manager, action=DataAccessAction.REVEAL, rows=1, customer=customer)
    client.force_login(manager)
    html = client.get(URL).content.decode()

    assert html.index("Revealed contact data") < html.index("1,234")
    assert "2026-11-02 17:30" in html  # Beijing time
    assert "marketing_staff" in html
    assert "王先生" in html
    assert "At risk" in html and "7+ years · low satisfaction" in html
    assert "at_risk" not in html.replace('value="', "").replace("?", "")
    assert "{" not in html.split("access-log", 1)[1].split("</table>", 1)[0]


def test_filter_by_user_and_action(manager, marketing):
    _log(marketing)
    _log(marketing, action=DataAccessAction.REVEAL)
    _log(manager)
    page = access_log_page(user=manager, filters={"user": marketing.pk, "action": "export"})
    assert [(e.user, e.action) for e in page.entries] == [(marketing, "export")]


def test_a_bad_filter_shows_the_whole_log_and_says_so(client, manager):
    _log(manager)
    client.force_login(manager)
    response = client.get(URL + "?user=abc")
    assert response.status_code == 200
    assert "was not understood" in response.content.decode()


def test_keyset_pages_cover_every_entry_once_even_with_equal_times(manager):
    moment = timezone.now() - dt.timedelta(hours=1)
    ids = [_log(manager, at=moment if i % 2 else None).pk for i in range(PAGE_SIZE + 7)]
    first = access_log_page(user=manager, filters={})
    assert len(first.entries) == PAGE_SIZE and first.next_cursor == first.entries[-1].pk
    second = access_log_page(user=manager, filters={"before": first.next_cursor})
    assert len(second.entries) == 7 and second.next_cursor is None
    seen = [e.pk for e in first.entries + second.entries]
    assert sorted(seen) == sorted(ids)
    keys = [(e.at, e.pk) for e in first.entries + second.entries]
    assert keys == sorted(keys, reverse=True)


def test_others_get_nothing_from_the_reads(marketing, manager):
    _log(manager, rows=EXPORT_ROWS_ALERT + 1)
    assert access_log_page(user=marketing, filters={}).entries == []
    assert export_totals_today(user=marketing) == []


def test_rows_exported_today_per_user_flagged_above_the_limit(client, manager, marketing):
    yesterday = timezone.now() - dt.timedelta(days=1, hours=1)
    _log(marketing, rows=EXPORT_ROWS_ALERT - 100)
    _log(marketing, rows=200)
    _log(manager, rows=50)
    _log(manager, rows=EXPORT_ROWS_ALERT * 3, at=yesterday)
    _log(manager, action=DataAccessAction.REVEAL, rows=9000)

    totals = {t.user: t for t in export_totals_today(user=manager)}
    assert totals[marketing].rows == EXPORT_ROWS_ALERT + 100 and totals[marketing].flagged
    assert totals[manager].rows == 50 and not totals[manager].flagged
    client.force_login(manager)
    html = client.get(URL).content.decode()
    assert "More than 5,000 rows today" in html


def test_filter_words():
    words = filter_words(
        {
            "month": "2026-10",
            "rfm_segment": "cant_lose_them",
            "value_tier": "1",
            "mobile": "13912345678",
            "after": "991",
            "sales_advisor": "7",
            "region_code": "440300",
            "status": "",
        },
        {7: "李顾问"},
    )
    assert words == [
        ("Month", "2026-10"),
        ("RFM segment", "Can't lose them"),
        ("Value tier", "tier 1 (1 = most valuable)"),
        ("Mobile", "139****5678"),
        ("Sales advisor", "李顾问"),
        ("Region code", "440300"),
    ]


def test_queries_are_bounded(client, manager, marketing, advisor):
    client.force_login(manager)
    _log(marketing, filters={"sales_advisor": str(advisor.pk)})
    before = queries_of_get(client, URL)
    for user in (manager, marketing, advisor):
        for _ in range(5):
            _log(user, filters={"sales_advisor": str(advisor.pk)}, customer=CustomerFactory())
    assert queries_of_get(client, URL) == before
