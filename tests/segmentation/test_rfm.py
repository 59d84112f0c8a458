"""RFM (R4.1): quintile scores with equal values scored equally, and the segment rule map."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from segmentation.pipeline import score
from segmentation.rank_scores import quintile_scores
from segmentation.rfm import rfm_segment
from segmentation.scoring_settings import ScoringSettings
from tests.segmentation.inputs import make_inputs

AS_OF = dt.date(2026, 6, 30)


def test_quintiles_of_ten_distinct_values_are_two_per_score():
    scores = quintile_scores(pd.Series([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], dtype=float))
    assert scores.tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_equal_values_get_equal_scores_even_across_a_quintile_edge():
    # Six equal values straddle the 1st/2nd and 2nd/3rd edges: all get the same score.
    values = pd.Series([5, 5, 5, 5, 5, 5, 7, 8, 9, 10], dtype=float)
    scores = quintile_scores(values)
    assert scores[:6].nunique() == 1
    assert scores[:6].iloc[0] == 2  # average rank 3.5 of 10 -> 35th percentile -> ceil(1.75)
    assert scores.is_monotonic_increasing


def test_ineligible_and_missing_values_score_one():
    values = pd.Series([1.0, None, 3.0, 4.0])
    eligible = pd.Series([True, True, False, True])
    # Two ranked values: percentiles 0.5 and 1.0.
    assert quintile_scores(values, eligible).tolist() == [3, 1, 1, 5]


@pytest.mark.parametrize(
    ("r", "f", "m", "segment"),
    [
        (5, 5, 5, "champions"),
        (3, 4, 1, "loyal"),
        (1, 5, 5, "cant_lose_them"),
        (2, 3, 2, "at_risk"),
        (4, 2, 3, "potential_loyalist"),
        (5, 1, 1, "new"),
        (4, 1, 2, "promising"),
        (3, 3, 3, "need_attention"),
        (3, 1, 1, "about_to_sleep"),
        (2, 2, 1, "hibernating"),
        (1, 1, 1, "lost"),
    ],
)
def test_segment_rule_map(r, f, m, segment):
    result = rfm_segment(pd.Series([r]), pd.Series([f]), pd.Series([m]))
    assert result.iloc[0] == segment


def test_recency_frequency_and_monetary_are_computed_over_the_window():
    visits = [
        {"customer_id": 1, "opened_on": "2026-06-01", "amount": 500.0},
        {"customer_id": 1, "opened_on": "2025-12-01", "amount": 300.0},
        {"customer_id": 1, "opened_on": "2023-01-01", "amount": 9999.0},  # before the 24 months
        {"customer_id": 2, "opened_on": "2026-01-30", "amount": 0.0},  # warranty: not paid
        {"customer_id": 2, "opened_on": "2025-06-30", "amount": 800.0},
    ]
    out = score(make_inputs([1, 2, 3], visits=visits), ScoringSettings(), AS_OF).customers
    one, two, three = (out.iloc[i] for i in range(3))
    assert (one.recency_days, one.frequency, one.monetary) == (29, 2, 800.0)
    assert (two.recency_days, two.frequency, two.monetary) == (365, 1, 800.0)
    assert pd.isna(three.recency_days) and three.frequency == 0
    assert one.r_score > two.r_score
    assert (three.r_score, three.f_score, three.m_score) == (1, 1, 1)


def test_customers_without_paid_visits_are_new_if_they_bought_recently_else_lost():
    purchases = [
        {"customer_id": 1, "purchased_on": "2026-03-01", "price_paid": 150000.0},
        {"customer_id": 2, "purchased_on": "2019-03-01", "price_paid": 150000.0},
    ]
    out = score(make_inputs([1, 2], purchases=purchases), ScoringSettings(), AS_OF).customers
    assert out["rfm_segment"].tolist() == ["new", "lost"]


def test_rows_after_the_as_of_date_are_ignored():
    visits = [
        {"customer_id": 1, "opened_on": "2026-05-01", "amount": 100.0},
        {"customer_id": 1, "opened_on": "2026-08-01", "amount": 100000.0},
    ]
    out = score(make_inputs([1], visits=visits), ScoringSettings(), AS_OF).customers
    assert out.iloc[0].monetary == 100.0
    assert out.iloc[0].recency_days == 60


def test_empty_tables_score_every_customer():
    out = score(make_inputs([1, 2, 3]), ScoringSettings(), AS_OF).customers
    assert len(out) == 3
    assert out["r_score"].tolist() == [1, 1, 1]
    assert out["expected_visits"].tolist() == [0.0, 0.0, 0.0]
    assert out["status"].notna().all()
