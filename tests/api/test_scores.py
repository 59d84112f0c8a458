"""Scoring results read back by the DMS and staff: the latest month, or any month."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.api.conftest import client_for
from tests.factories import CustomerFactory, CustomerScoreFactory, ScoringRunFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def months(advisor):
    own, other = CustomerFactory(sales_advisor=advisor), CustomerFactory()
    august = ScoringRunFactory(month=dt.date(2024, 8, 1))
    september = ScoringRunFactory(month=dt.date(2024, 9, 1))
    replaced = ScoringRunFactory(month=dt.date(2024, 9, 1), is_current=False)
    for run in (august, september, replaced):
        for customer in (own, other):
            CustomerScoreFactory(run=run, customer=customer, future_value=run.pk * 100.0)
    return {"own": own, "other": other, "august": august, "september": september}


def test_without_a_month_the_latest_current_run_is_served(dms_api, months):
    results = dms_api.get("/api/v1/scores/").json()["results"]
    assert {r["month"] for r in results} == {"2024-09-01"}
    assert {r["future_value"] for r in results} == {months["september"].pk * 100.0}
    assert {r["customer_external_id"] for r in results} == {
        months["own"].external_id,
        months["other"].external_id,
    }


def test_any_month_can_be_read_back(dms_api, months):
    results = dms_api.get("/api/v1/scores/?month=2024-08").json()["results"]
    assert {r["future_value"] for r in results} == {months["august"].pk * 100.0}
    assert dms_api.get("/api/v1/scores/?month=2023-01").json()["results"] == []


def test_a_score_carries_every_component(dms_api, months):
    (row, *_) = dms_api.get("/api/v1/scores/").json()["results"]
    for name in (
        "r_score",
        "rfm_segment",
        "nine_cell",
        "churn_score",
        "churn_overdue",
        "status",
        "value_tier",
    ):
        assert name in row


def test_scores_can_be_filtered(dms_api, months):
    url = f"/api/v1/scores/?customer_external_id={months['own'].external_id}&status=active"
    assert len(dms_api.get(url).json()["results"]) == 1


@pytest.mark.parametrize("month", ["2024-13", "2024-9", "september", "2024-09-01"])
def test_a_bad_month_is_a_400(dms_api, months, month):
    response = dms_api.get(f"/api/v1/scores/?month={month}")
    assert response.status_code == 400
    assert "month" in response.json()["fields"]


def test_an_advisor_sees_only_their_customers_scores(advisor, months):
    results = client_for(advisor).get("/api/v1/scores/").json()["results"]
    assert [r["customer"] for r in results] == [months["own"].pk]


def test_the_current_runs_are_listed(dms_api, months):
    runs = dms_api.get("/api/v1/scoring-runs/").json()["results"]
    assert sorted(r["month"] for r in runs) == ["2024-08-01", "2024-09-01"]
