"""Churn (R4.3, R4.5): each customer's churn indicators as sub-scores in [0, 1], their
weighted ``churn_score`` and the ``status`` it gives (active, at risk, lost). No Django
import."""

from __future__ import annotations

import numpy as np
import pandas as pd

from segmentation import per_customer as pc
from segmentation.input_rows import DAYS_PER_YEAR, Columns, InputRows, by_customer
from segmentation.scoring_settings import CHURN_INDICATORS, ScoringSettings


def _clip01(values) -> np.ndarray:
    return np.clip(np.nan_to_num(np.asarray(values, dtype=float)), 0.0, 1.0)


def churn_indicators(
    out: pd.DataFrame,
    at: InputRows,
    visits: Columns,
    complaints: pd.DataFrame,
    surveys: Columns,
    events: Columns,
    settings: ScoringSettings,
) -> None:
    """Add the visit interval, overdue ratio and every indicator but ``not_alive`` (which needs
    the visit model's fit, see :func:`churn_status`) to ``out``."""
    pos, day = pc.distinct_days(visits["pos"], visits["day"])
    count = pc.count(pos, at.n)
    first = np.where(count > 0, pc.minimum(pos, day, at.n, empty=2**62), 0)
    last = pc.maximum(pos, day, at.n, empty=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        interval = np.where(count >= 2, (last - first) / (count - 1), np.nan)
    interval = np.where(
        np.isnan(interval) | (interval < 30), settings.default_interval_days, interval
    )
    out["visit_interval_days"] = interval
    since_last = at.since(last, count == 0)
    # Never visited: silence counts from the birth (first purchase), like a missed first visit.
    since = np.where(
        np.isnan(since_last), out["vehicle_age_years"].to_numpy() * DAYS_PER_YEAR, since_last
    )
    out["overdue_ratio"] = np.nan_to_num(since / interval)
    out["churn_overdue"] = _clip01((out["overdue_ratio"] - 1) / (settings.overdue_full_ratio - 1))
    months = settings.frequency_window_months
    last_year = at.in_last(day, months)
    year_before = ~last_year & at.in_last(day, 2 * months)
    last_year, year_before = pc.count(pos[last_year], at.n), pc.count(pos[year_before], at.n)
    out["churn_falling_frequency"] = np.where(
        year_before > 0, _clip01((year_before - last_year) / np.maximum(year_before, 1)), 0.0
    )
    unresolved = (
        complaints[complaints["is_unresolved"].astype(bool)].groupby("customer_id").size()
        if len(complaints)
        else pd.Series(dtype=float)
    )
    out["unresolved_complaints"] = by_customer(out, unresolved, 0).astype("int64")
    out["churn_unresolved_complaints"] = _clip01(
        out["unresolved_complaints"] / settings.complaints_for_full_score
    )
    out["churn_falling_satisfaction"] = _satisfaction_drop(at, surveys, settings)
    window = at.in_last(events["day"], settings.engagement_window_months)
    engaged = pc.count(events["pos"][window], at.n)
    out["churn_no_engagement"] = (engaged == 0).astype(float)


def churn_status(out: pd.DataFrame, settings: ScoringSettings) -> None:
    """Add the ``not_alive`` indicator, the weighted ``churn_score`` and the ``status``."""
    out["churn_not_alive"] = _clip01(1 - out["p_alive"].fillna(1.0))
    weights = settings.churn_weights
    churn = sum(weights[name] * out[f"churn_{name}"].to_numpy() for name in CHURN_INDICATORS)
    out["churn_score"] = churn / sum(weights.values())
    lost = (out["churn_score"] >= settings.lost_score) | (
        out["overdue_ratio"] >= settings.lost_overdue_ratio
    )
    at_risk = (out["churn_score"] >= settings.at_risk_score) | (
        out["overdue_ratio"] >= settings.at_risk_overdue_ratio
    )
    out["status"] = np.select([lost, at_risk], ["lost", "at_risk"], "active")


def _satisfaction_drop(at: InputRows, surveys: Columns, settings: ScoringSettings) -> np.ndarray:
    """Drop of the latest survey below the mean of the earlier ones, scaled to [0, 1].

    The latest survey is the last by day; of several on one day, the last one given.
    """
    pos, n = surveys["pos"], len(surveys["pos"])
    if not n:
        return np.zeros(at.n)
    latest = pc.maximum(pos, surveys["day"] * n + np.arange(n), at.n, empty=-1)
    has = latest >= 0
    overall = surveys["overall"].astype(float)
    latest_score = np.zeros(at.n)
    latest_score[has] = overall[latest[has] % n]
    count = pc.count(pos, at.n)
    with np.errstate(invalid="ignore", divide="ignore"):
        earlier_mean = (pc.total(pos, overall, at.n) - latest_score) / (count - 1)
    drop = np.where(count >= 2, earlier_mean - latest_score, 0.0)
    return _clip01(drop / settings.satisfaction_drop_for_full_score)
