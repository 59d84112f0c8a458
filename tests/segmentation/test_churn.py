"""Churn indicators (R4.3), status with looser at-risk thresholds (R4.5), value tiers (R4.4)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from segmentation.pipeline import score
from segmentation.scoring_settings import CHURN_INDICATORS, ScoringSettings
from tests.segmentation.inputs import make_inputs

AS_OF = dt.date(2026, 6, 30)


def _visits(customer_id: int, dates: list[str], amount: float = 500.0) -> list[dict]:
    return [{"customer_id": customer_id, "opened_on": d, "amount": amount} for d in dates]


def test_overdue_is_measured_against_the_customers_own_interval():
    # Customer 1 comes every 100 days, last 200 days ago: twice the interval.
    visits = _visits(1, ["2025-05-11", "2025-08-19", "2025-11-27"])
    # Customer 2 comes every 300 days, last 200 days ago: not yet due.
    visits += _visits(2, ["2024-07-04", "2025-04-30", "2025-11-27"])
    out = score(make_inputs([1, 2], visits=visits), ScoringSettings(), AS_OF).customers
    assert out.loc[0, "visit_interval_days"] == pytest.approx(100)
    assert out.loc[0, "overdue_ratio"] == pytest.approx(2.15, abs=0.01)
    # (ratio - 1) / (overdue_full_ratio - 1) = 1.15 / 2
    assert out.loc[0, "churn_overdue"] == pytest.approx(0.575, abs=0.01)
    assert out.loc[1, "churn_overdue"] == 0.0


def test_falling_visit_frequency_compares_the_last_twelve_months_with_the_twelve_before():
    visits = _visits(1, ["2024-08-01", "2024-10-01", "2025-01-01", "2025-04-01", "2026-01-01"])
    out = score(make_inputs([1], visits=visits), ScoringSettings(), AS_OF).customers
    # 4 visits in the year before, 1 in the last year: (4 - 1) / 4.
    assert out.loc[0, "churn_falling_frequency"] == pytest.approx(0.75)


def test_unresolved_complaints_and_falling_satisfaction():
    complaints = [
        {"customer_id": 1, "opened_at": "2026-05-01 10:00", "is_unresolved": True},
        {"customer_id": 1, "opened_at": "2026-01-01 10:00", "is_unresolved": False},
        {"customer_id": 2, "opened_at": "2026-05-01 10:00", "is_unresolved": True},
        {"customer_id": 2, "opened_at": "2026-05-02 10:00", "is_unresolved": True},
    ]
    surveys = [
        {"customer_id": 1, "surveyed_on": "2025-01-01", "overall": 9},
        {"customer_id": 1, "surveyed_on": "2025-06-01", "overall": 9},
        {"customer_id": 1, "surveyed_on": "2026-06-01", "overall": 6},
        {"customer_id": 2, "surveyed_on": "2026-06-01", "overall": 3},
    ]
    out = score(
        make_inputs([1, 2], complaints=complaints, surveys=surveys), ScoringSettings(), AS_OF
    ).customers
    assert out["churn_unresolved_complaints"].tolist() == [0.5, 1.0]
    # Customer 1 dropped 3 points below the earlier mean: full score; one survey is no trend.
    assert out["churn_falling_satisfaction"].tolist() == [1.0, 0.0]
    assert out["satisfaction_band"].tolist() == ["medium", "low"]


def test_engagement_in_any_value_layer_clears_the_no_engagement_indicator():
    events = [{"customer_id": 1, "layer": "review", "occurred_on": "2026-03-01"}]
    events += [{"customer_id": 2, "layer": "review", "occurred_on": "2024-03-01"}]  # too old
    out = score(make_inputs([1, 2, 3], events=events), ScoringSettings(), AS_OF).customers
    assert out["churn_no_engagement"].tolist() == [0.0, 1.0, 1.0]
    assert out.loc[0, "value_layer_score"] > out.loc[1, "value_layer_score"] > 0


def test_churn_score_is_the_weighted_mean_of_every_stored_indicator():
    visits = _visits(1, ["2023-01-01", "2023-07-01", "2024-01-01"])
    out = score(make_inputs([1], visits=visits), ScoringSettings(), AS_OF).customers
    settings = ScoringSettings()
    expected = sum(settings.churn_weights[n] * out.loc[0, f"churn_{n}"] for n in CHURN_INDICATORS)
    assert out.loc[0, "churn_score"] == pytest.approx(
        expected / sum(settings.churn_weights.values())
    )


def test_at_risk_comes_before_lost():
    visits = _visits(1, ["2025-01-01", "2025-05-01", "2025-09-01"])  # interval 120, 302 days ago
    visits += _visits(2, ["2023-01-01", "2023-05-01", "2023-09-01"])  # long gone
    visits += _visits(3, ["2025-10-01", "2026-02-01", "2026-06-01"])  # on schedule
    out = score(make_inputs([1, 2, 3], visits=visits), ScoringSettings(), AS_OF).customers
    assert out["status"].tolist() == ["at_risk", "lost", "active"]


def test_tiers_rank_only_lost_and_at_risk_customers_by_future_value_in_at_most_five():
    rng = np.random.default_rng(3)
    visits, customers = [], list(range(1, 61))
    for cid in customers:
        last = dt.date(2023, 1, 1) + dt.timedelta(days=int(rng.integers(0, 1200)))
        for k in range(int(rng.integers(1, 6))):
            visits += _visits(
                cid, [str(last - dt.timedelta(days=150 * k))], float(rng.integers(200, 3000))
            )
    out = score(make_inputs(customers, visits=visits), ScoringSettings(), AS_OF).customers
    ranked = out[out["status"].isin(["lost", "at_risk"])]
    assert out.loc[out["status"] == "active", "value_tier"].isna().all()
    assert set(ranked["value_tier"].unique()) <= {1, 2, 3, 4, 5}
    by_tier = ranked.groupby("value_tier")["future_value"]
    assert (by_tier.min().iloc[:-1].to_numpy() >= by_tier.max().iloc[1:].to_numpy()).all()


def test_growth_compares_with_the_previous_run():
    visits = _visits(1, ["2025-06-01", "2026-01-01", "2026-06-01"])
    first = score(make_inputs([1, 2], visits=visits), ScoringSettings(), AS_OF).customers
    previous = first[["customer_id", "future_value", "rfm_segment"]].assign(
        future_value=[10.0, 0.0]
    )
    again = score(
        make_inputs([1, 2], visits=visits), ScoringSettings(), AS_OF, previous=previous
    ).customers
    assert again.loc[0, "future_value_change"] == pytest.approx(again.loc[0, "future_value"] - 10.0)
    assert again.loc[0, "previous_rfm_segment"] == first.loc[0, "rfm_segment"]
