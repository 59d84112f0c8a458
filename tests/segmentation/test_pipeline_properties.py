"""Property tests: scores stay in range and move the right way (hypothesis)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from segmentation.pipeline import score
from segmentation.rank_scores import quintile_scores
from segmentation.scoring_settings import CHURN_INDICATORS, ScoringSettings
from tests.segmentation.inputs import make_inputs

AS_OF = dt.date(2026, 6, 30)
visit = st.tuples(st.integers(1, 12), st.integers(0, 2000), st.floats(0, 20_000))


@settings(max_examples=40, deadline=None)
@given(st.lists(visit, max_size=60))
def test_every_score_is_within_its_range(rows):
    visits = [
        {"customer_id": c, "opened_on": str(AS_OF - dt.timedelta(days=d)), "amount": a}
        for c, d, a in rows
    ]
    out = score(make_inputs(list(range(1, 13)), visits=visits), ScoringSettings(), AS_OF).customers
    for column in ("r_score", "f_score", "m_score"):
        assert out[column].between(1, 5).all()
    for name in CHURN_INDICATORS:
        assert out[f"churn_{name}"].between(0, 1).all()
    assert out["churn_score"].between(0, 1).all()
    assert out["value_tier"].dropna().between(1, 5).all()
    assert out["status"].isin(["active", "at_risk", "lost"]).all()


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=50))
def test_quintile_scores_are_monotone_in_the_value(values):
    series = np.array(values)
    scores = quintile_scores(pd.Series(series))
    order = np.argsort(series, kind="stable")
    assert np.all(np.diff(scores.to_numpy()[order]) >= 0)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 1500), st.integers(1, 400))
def test_a_more_recent_last_visit_never_lowers_the_recency_score(days_ago, sooner):
    others = [
        {"customer_id": c, "opened_on": str(AS_OF - dt.timedelta(days=100 * c)), "amount": 100.0}
        for c in range(3, 9)
    ]
    late = {
        "customer_id": 1,
        "opened_on": str(AS_OF - dt.timedelta(days=days_ago + sooner)),
        "amount": 100.0,
    }
    early = {
        "customer_id": 2,
        "opened_on": str(AS_OF - dt.timedelta(days=days_ago)),
        "amount": 100.0,
    }
    out = score(
        make_inputs(list(range(1, 9)), visits=[late, early, *others]), ScoringSettings(), AS_OF
    ).customers
    assert out.loc[1, "r_score"] >= out.loc[0, "r_score"]
