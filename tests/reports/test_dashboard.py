"""The dashboard: who may open it, the follow-up funnel and the advisors' work counted exactly,
the chart data handed to the script (labels, no codes), a table under every chart, and a page
that reads cached work figures and stored summaries."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.core.cache import cache
from django.urls import reverse_lazy
from django.utils import timezone

from accounts.roles import Role
from reports.dashboards import advisor_work, dashboard_figures_refresh, followup_funnel
from segmentation.models import Status
from tests.factories import (
    CustomerScoreFactory,
    RoundFactory,
    ScoringRunFactory,
    TargetFactory,
    TaskFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

URL = reverse_lazy("dashboard")
TODAY = dt.date(2024, 10, 15)


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def round_():
    round_ = RoundFactory()
    contacted = timezone.now()
    TargetFactory(
        round=round_, first_contact_at=contacted, plan_status="answered", returned_1m=True
    )
    TargetFactory(round=round_, first_contact_at=contacted, plan_status="refused")
    TargetFactory(round=round_, first_contact_at=contacted, plan_status="unanswered")
    TargetFactory(round=round_, plan_status="expired")
    TargetFactory(round=round_, group="control", returned_1m=True)
    return round_


def _at(day: dt.date, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def work(advisor, other_advisor):
    yesterday = TODAY - dt.timedelta(days=1)
    TaskFactory(assignee=advisor, due_on=TODAY)
    TaskFactory(assignee=advisor, due_on=yesterday)
    TaskFactory(assignee=other_advisor, due_on=TODAY)
    closed = {"updated_at": _at(yesterday), "closed_at": _at(yesterday)}
    TaskFactory(assignee=advisor, status="done", due_on=yesterday, **closed)
    TaskFactory(assignee=advisor, status="done", due_on=TODAY - dt.timedelta(days=3), **closed)
    TaskFactory(assignee=advisor, status="expired", due_on=TODAY - dt.timedelta(days=20), **closed)
    # Closed before the window: left out.
    old = _at(TODAY - dt.timedelta(days=60))
    TaskFactory(assignee=other_advisor, status="done", updated_at=old, closed_at=old)


def test_the_funnel_counts_each_step_of_the_contacted_targets(round_):
    (entry,) = followup_funnel(today=TODAY)
    assert entry["month"] == dt.date(2024, 9, 1)
    assert [entry[s] for s in ("created", "contacted", "reached", "came_back")] == [4, 3, 2, 1]


def test_the_funnel_is_kept_in_the_cache(round_, django_assert_num_queries):
    followup_funnel(today=TODAY)
    TargetFactory(round=round_, first_contact_at=timezone.now())
    with django_assert_num_queries(1):  # the rounds; their counts come from the cache
        (entry,) = followup_funnel(today=TODAY)
    assert entry["created"] == 4


def test_a_refresh_recounts_what_may_still_change(manager, advisor, round_, work):
    followup_funnel(today=TODAY)
    advisor_work(user=manager, today=TODAY)
    TargetFactory(round=round_, first_contact_at=timezone.now())
    TaskFactory(assignee=advisor, due_on=TODAY)
    dashboard_figures_refresh(today=TODAY)
    assert followup_funnel(today=TODAY)[0]["contacted"] == 4
    rows = {row["assignee"]: row for row in advisor_work(user=manager, today=TODAY)["rows"]}
    assert rows[advisor.pk]["open"] == 3
    # A round whose outcomes are all measured is kept as counted.
    cache.clear()
    later = TODAY + dt.timedelta(days=200)
    assert followup_funnel(today=later)[0]["contacted"] == 4
    TargetFactory(round=round_, first_contact_at=timezone.now())
    dashboard_figures_refresh(today=later)
    assert followup_funnel(today=later)[0]["contacted"] == 4


def test_workload_and_timeliness_per_assignee(manager, advisor, other_advisor, work):
    rows = {row["assignee"]: row for row in advisor_work(user=manager, today=TODAY)["rows"]}
    mine = rows[advisor.pk]
    assert (mine["open"], mine["overdue"]) == (2, 1)
    assert (mine["on_time"], mine["late"], mine["expired"]) == (1, 1, 1)
    theirs = rows[other_advisor.pk]
    assert (theirs["open"], theirs["overdue"], theirs["on_time"]) == (1, 0, 0)
    assert [row["assignee"] for row in advisor_work(user=manager, today=TODAY)["rows"]] == [
        advisor.pk,
        other_advisor.pk,
    ]


@pytest.mark.parametrize("who", ["marketing", "manager"])
def test_managers_and_marketing_open_it(client, request, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(URL)
    assert response.status_code == 200
    assert "No month has been scored yet." in response.content.decode()


def test_advisors_may_not(client, advisor):
    assert client.get(URL).status_code == 302
    client.force_login(advisor)
    assert client.get(URL).status_code == 403


@pytest.fixture
def scored():
    for month in (8, 9):
        run = ScoringRunFactory(month=dt.date(2024, month, 1))
        for status, cell in ((Status.ACTIVE, "7+/low"), (Status.LOST, "5+/high")):
            CustomerScoreFactory(run=run, status=status, nine_cell=cell)
        if month == 9:
            CustomerScoreFactory(run=run, status=Status.AT_RISK, nine_cell="7+/low")


def test_chart_data_is_labelled_and_every_chart_has_a_table(
    client, manager, scored, round_, work, advisor
):
    client.force_login(manager)
    response = client.get(URL)
    html = response.content.decode()
    data = json.loads(re.search(r'id="dashboard-data"[^>]*>(.*?)</script>', html, re.S).group(1))
    assert data["trend"]["months"] == ["August 2024", "September 2024"]
    statuses = {s["name"]: s["data"] for s in data["trend"]["series"]}
    assert statuses == {"Active": [1, 1], "At risk": [0, 1], "Lost": [1, 1]}
    nine = data["nine"]
    assert nine["y"][-1] == "7+ years" and nine["x"][0] == "low satisfaction"
    assert [0, 2, 2] in [cell[:3] for cell in nine["cells"]]  # low (x 0), 7+ (y 2): 2
    assert data["funnel"]["totals"] == [4, 3, 2, 1]
    assert data["segments"]["labels"][0] == "Champions"
    assert "at_risk" not in json.dumps(data["segments"]) and "7+/low" not in json.dumps(data)
    charts = re.findall(r'data-chart="(\w+)"', html)
    assert charts == ["segments", "nine", "rf", "trend", "funnel", "work"]
    assert html.count("<details>") == len(charts)
    assert "vendor/echarts/echarts.min.js" in html and "js/dashboard.js" in html
    assert "<script>" not in html  # no inline script beyond the JSON


def test_the_page_reads_stored_summaries_and_cached_work(
    client, manager, scored, round_, work, django_assert_max_num_queries
):
    client.force_login(manager)
    client.get(URL)
    # session, user, the runs of the trend, the rounds (their funnel and the work are cached)
    with django_assert_max_num_queries(5):
        assert client.get(URL).status_code == 200


def test_a_second_role_sees_the_same_cached_work(client, manager, work):
    marketing = UserFactory(role=Role.SERVICE_MARKETING)
    assert advisor_work(user=manager, today=TODAY) == advisor_work(user=marketing, today=TODAY)
