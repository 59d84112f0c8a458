"""Every run backtests its forecasts on the demo dealership's own data (R4.4, R6)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from segmentation import pipeline
from segmentation.btyd.visit_model import VISIT_MODELS, VisitModel, fit_visit_model
from segmentation.scoring_settings import ScoringSettings
from tests.segmentation.inputs import demo_inputs

AS_OF = dt.date(2026, 10, 31)


@pytest.fixture(scope="module")
def demo():
    return demo_inputs(5000, AS_OF)


@pytest.fixture(scope="module")
def scored(demo):
    return pipeline.score(demo, ScoringSettings(), AS_OF)


def test_the_models_forecast_of_the_last_12_months_is_within_10_percent(scored):
    report = scored.model["backtest"]
    assert report["model"] == "mbg_cnbd"
    assert report["weeks"] == pytest.approx(365 / 7, abs=0.01)
    assert abs(report["visits"]["error"]) <= 0.10
    assert abs(report["spend"]["error"]) <= 0.10
    assert report["flagged"] is False


def test_the_backtest_compares_the_candidates_and_regularity_wins_on_service_visits(scored):
    candidates = {c["kind"]: c for c in scored.model["backtest"]["candidates"]}
    assert set(candidates) == {"bg_nbd", "mbg_nbd", "mbg_cnbd"}
    error = {kind: abs(c["visits"]["error"]) for kind, c in candidates.items()}
    assert error["mbg_cnbd"] < error["mbg_nbd"] and error["mbg_cnbd"] < error["bg_nbd"]
    mae = {kind: c["visits"]["mae"] for kind, c in candidates.items()}
    assert mae["mbg_cnbd"] < mae["bg_nbd"]
    assert candidates["mbg_cnbd"]["params"]["k"] > 1


def test_tiers_and_deciles_partition_the_backtested_customers(scored):
    report = scored.model["backtest"]
    for name, groups in (("by_tier", 5), ("by_decile", 10)):
        rows = report[name]
        assert [r["group"] for r in rows] == list(range(1, groups + 1))
        assert sum(r["customers"] for r in rows) == report["customers"]
        assert sum(r["visits_actual"] for r in rows) == pytest.approx(report["visits"]["actual"])
    deciles = report["by_decile"]
    assert deciles[0]["visits_predicted"] < deciles[-1]["visits_predicted"]
    tiers = report["by_tier"]
    assert tiers[0]["spend_predicted"] > tiers[-1]["spend_predicted"]
    assert tiers[0]["spend_actual"] > tiers[-1]["spend_actual"]


def test_a_run_missing_its_bound_is_flagged(demo):
    strict = ScoringSettings(backtest_error_bound=0.0001)
    assert pipeline.score(demo, strict, AS_OF).model["backtest"]["flagged"] is True
    plain = ScoringSettings(visit_model="bg_nbd")
    report = pipeline.score(demo, plain, AS_OF).model["backtest"]
    assert report["model"] == "bg_nbd"
    assert report["flagged"] is (
        abs(report["visits"]["error"]) > 0.15 or abs(report["spend"]["error"]) > 0.15
    )


def test_four_week_fit_resolution_keeps_the_parameters_within_1_percent(demo):
    features = pipeline.features(demo, ScoringSettings(), AS_OF)
    known = features["btyd_known"]
    columns = {c: features.loc[known, c] for c in ("x", "t_x", "T", "litt", "gap_cv2")}

    def fit(resolution: float) -> VisitModel:
        return fit_visit_model(
            columns["x"],
            columns["t_x"],
            columns["T"],
            kind="mbg_cnbd",
            litt=columns["litt"],
            gap_cv2=columns["gap_cv2"],
            resolution=resolution,
        )

    exact, rounded = fit(1e-6), fit(4)
    assert rounded.rows < exact.rows
    assert rounded.params["k"] == exact.params["k"]
    for name in ("r", "alpha"):
        assert rounded.params[name] == pytest.approx(exact.params[name], rel=0.01), name

    # a and b are large and move together (a near-constant dropout chance): their ratio is
    # what the data pins down.
    def dropout(model):
        return model.params["a"] / (model.params["a"] + model.params["b"])

    assert dropout(rounded) == pytest.approx(dropout(exact), rel=0.01)


def test_the_visit_fit_converges_without_a_penalizer_on_the_demo(scored):
    model = scored.model["visit_model"]
    assert model["penalizer"] == 0.0
    assert model["converged"] is True


def test_settings_reject_an_unknown_visit_model():
    with pytest.raises(ValueError):
        ScoringSettings(visit_model="magic")
    for kind in VISIT_MODELS:
        assert ScoringSettings(visit_model=kind).visit_model == kind


def test_customers_reached_by_win_back_after_the_cut_off_are_shown_apart(demo):
    reached_ids = demo.customers["customer_id"].iloc[::7].to_numpy()
    contacts = pd.DataFrame(
        {
            "customer_id": np.concatenate([reached_ids, reached_ids[:50]]),
            # After the cut-off (2025-10-31), and before it for a few: only the first count.
            "contacted_at": pd.to_datetime(
                ["2026-03-15 10:00"] * len(reached_ids) + ["2025-06-01 10:00"] * 50
            ),
        }
    )
    inputs = dataclasses.replace(demo, win_back_contacts=contacts)
    report = pipeline.score(inputs, ScoringSettings(), AS_OF).model["backtest"]
    features = pipeline.features(demo, ScoringSettings(), AS_OF)
    born = set(features.loc[features["bt_T"] > 0, "customer_id"])
    assert report["reached"]["customers"] == len(born & set(reached_ids))
    assert report["left_alone"]["customers"] + report["reached"]["customers"] == report["customers"]
    total = report["left_alone"]["visits"]["actual"] + report["reached"]["visits"]["actual"]
    assert total == pytest.approx(report["visits"]["actual"])
    # The same customers and visits in aggregate: the split changes nothing else.
    plain = pipeline.score(demo, ScoringSettings(), AS_OF).model["backtest"]
    assert plain["visits"] == report["visits"]
    assert plain["reached"]["customers"] == 0
