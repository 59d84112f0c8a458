"""Age x satisfaction 9 cells with the mileage flag beside them (R4.2)."""

from __future__ import annotations

import datetime as dt

import pytest

from segmentation.pipeline import score
from segmentation.scoring_settings import ScoringSettings
from tests.segmentation.inputs import make_inputs

AS_OF = dt.date(2026, 6, 30)


def test_age_tiers_from_the_latest_purchase_and_bands_from_recent_surveys():
    purchases = [
        {"customer_id": 1, "purchased_on": "2019-01-01", "price_paid": 1.0},  # 7.5 years
        {"customer_id": 2, "purchased_on": "2020-03-01", "price_paid": 1.0},  # 6.3 years
        {"customer_id": 3, "purchased_on": "2021-03-01", "price_paid": 1.0},  # 5.3 years
        {"customer_id": 4, "purchased_on": "2018-01-01", "price_paid": 1.0},
        {"customer_id": 4, "purchased_on": "2024-01-01", "price_paid": 1.0},  # bought again
    ]
    surveys = [
        {"customer_id": 1, "surveyed_on": "2026-01-01", "overall": 4},
        {"customer_id": 2, "surveyed_on": "2026-01-01", "overall": 10},
        {"customer_id": 2, "surveyed_on": "2026-02-01", "overall": 8},  # mean 9: high
        {"customer_id": 3, "surveyed_on": "2020-01-01", "overall": 2},  # outside the window
    ]
    out = score(
        make_inputs([1, 2, 3, 4], purchases=purchases, surveys=surveys), ScoringSettings(), AS_OF
    ).customers
    assert out["age_tier"].tolist() == ["7+", "6+", "5+", "<5"]
    assert out["satisfaction_band"].tolist() == ["low", "high", "medium", "medium"]
    assert out["satisfaction_known"].tolist() == [True, True, False, False]
    assert out["nine_cell"].tolist()[:3] == ["7+/low", "6+/high", "5+/medium"]
    assert out["nine_cell"].isna().tolist() == [False, False, False, True]


def test_never_surveyed_customers_take_the_configured_band():
    purchases = [{"customer_id": 1, "purchased_on": "2018-01-01", "price_paid": 1.0}]
    settings = ScoringSettings(unsurveyed_band="low")
    out = score(make_inputs([1], purchases=purchases), settings, AS_OF).customers
    assert out.loc[0, "nine_cell"] == "7+/low"


def test_annual_mileage_and_current_estimate_use_readings_after_a_meter_replacement():
    odometer = [
        {
            "customer_id": 1,
            "vehicle_id": 10,
            "read_on": "2024-06-30",
            "km": 80_000,
            "is_meter_replacement": False,
        },
        {
            "customer_id": 1,
            "vehicle_id": 10,
            "read_on": "2025-06-30",
            "km": 0,
            "is_meter_replacement": True,
        },
        {
            "customer_id": 1,
            "vehicle_id": 10,
            "read_on": "2026-06-30",
            "km": 6_000,
            "is_meter_replacement": False,
        },
        {
            "customer_id": 2,
            "vehicle_id": 20,
            "read_on": "2024-06-30",
            "km": 30_000,
            "is_meter_replacement": False,
        },
        {
            "customer_id": 2,
            "vehicle_id": 20,
            "read_on": "2025-06-30",
            "km": 50_000,
            "is_meter_replacement": False,
        },
    ]
    out = score(make_inputs([1, 2], odometer=odometer), ScoringSettings(), AS_OF).customers
    assert out.loc[0, "est_annual_km"] == pytest.approx(6_000, rel=0.01)
    assert bool(out.loc[0, "low_mileage"]) is True
    assert out.loc[1, "est_annual_km"] == pytest.approx(20_000, rel=0.01)
    assert out.loc[1, "est_current_km"] == pytest.approx(70_000, rel=0.01)
    assert bool(out.loc[1, "low_mileage"]) is False
