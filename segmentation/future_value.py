"""Future value (R4.4): the value-layer score, expected visits and spend over the horizon from
the fitted models, the value tiers of the customers worth winning back, and the growth since
the previous run (R4.6). No Django import."""

from __future__ import annotations

import numpy as np
import pandas as pd

from segmentation import per_customer as pc
from segmentation.btyd.gamma_gamma import SpendModel, expected_spend_per_visit
from segmentation.btyd.visit_model import VisitModel, expected_visits, p_alive
from segmentation.input_rows import DAYS_PER_MONTH, Columns, InputRows, by_customer
from segmentation.rank_scores import rank_edges, step_scores, value_counts
from segmentation.scoring_settings import ScoringSettings


def value_layer_score(at: InputRows, events: Columns, settings: ScoringSettings) -> np.ndarray:
    """Recency-weighted sum of value-layer events, squashed to [0, 1)."""
    if not len(events["pos"]):
        return np.zeros(at.n)
    age_months = (at.end_day - events["day"]) / DAYS_PER_MONTH
    weight = pd.Series(events["layer"]).map(settings.value_layer_weights).fillna(0.0).to_numpy()
    points = weight * np.power(0.5, age_months / settings.value_half_life_months)
    points = np.where(age_months <= settings.value_window_months, points, 0.0)
    return 1 - np.exp(-pc.total(events["pos"], points, at.n) / 2.0)


def future_value(
    out: pd.DataFrame,
    visit_model: VisitModel | None,
    spend_model: SpendModel | None,
    spend_fallback: float,
    settings: ScoringSettings,
) -> None:
    """Add P(alive), expected visits and spend over ``settings.horizon_weeks`` and the
    ``future_value`` to ``out``; without a spend model, spend per visit is the customer's mean
    paid visit, else ``spend_fallback``."""
    out["p_alive"] = np.nan
    out["expected_visits"] = 0.0
    known = out["btyd_known"].to_numpy()
    if visit_model is not None and known.any():
        x, t_x, T = (out.loc[known, c] for c in ("x", "t_x", "T"))
        out.loc[known, "p_alive"] = p_alive(visit_model, x, t_x, T)
        out.loc[known, "expected_visits"] = expected_visits(
            visit_model, settings.horizon_weeks, x, t_x, T
        )
    n_paid, mean_paid = out["n_paid"].to_numpy(), out["mean_paid"].to_numpy()
    if spend_model is not None:
        out["expected_spend_per_visit"] = expected_spend_per_visit(spend_model, n_paid, mean_paid)
    else:
        out["expected_spend_per_visit"] = np.where(n_paid > 0, mean_paid, spend_fallback)
    out["expected_spend"] = out["expected_visits"] * out["expected_spend_per_visit"]
    out["future_value"] = out["expected_spend"] * (
        1 + settings.value_layer_bonus * out["value_layer_score"]
    )


#: Customers ranked into value tiers (R4.4): the ones worth winning back.
TIER_STATUSES = ("lost", "at_risk")


def value_tier_edges(future_values: pd.Series, settings: ScoringSettings) -> list[float]:
    """Edges of the value tiers over the candidates' future values (tier 1 = most valuable)."""
    return rank_edges(value_counts(-np.asarray(future_values, dtype=float)), settings.value_tiers)


def value_tiers(future_values: pd.Series, candidates: pd.Series, edges: list[float]) -> np.ndarray:
    """Tier of each candidate by :func:`value_tier_edges`; NaN for everyone else."""
    tiers = step_scores(-np.asarray(future_values, dtype=float), edges).astype(float)
    return np.where(np.asarray(candidates, dtype=bool), tiers, np.nan)


def growth(out: pd.DataFrame, previous: pd.DataFrame | None) -> None:
    """Add the previous run's future value and RFM segment, and the change of future value."""
    if previous is None or previous.empty:
        out["previous_future_value"] = np.nan
        out["previous_rfm_segment"] = None
    else:
        prev = previous.set_index("customer_id")
        out["previous_future_value"] = by_customer(out, prev["future_value"])
        out["previous_rfm_segment"] = prev["rfm_segment"].reindex(out["customer_id"]).to_numpy()
    out["future_value_change"] = out["future_value"] - out["previous_future_value"]
