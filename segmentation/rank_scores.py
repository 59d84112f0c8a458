"""Tie-safe rank scores: 1..steps scores from the (value, weight) counts of several shards,
the RFM quintiles' and the value tiers' (R4.1, R4.4). No Django import."""

from __future__ import annotations

import numpy as np
import pandas as pd


def value_counts(values: pd.Series | np.ndarray) -> pd.DataFrame:
    """(value, weight) rows of the non-missing ``values``, sorted by value."""
    series = pd.Series(np.asarray(values, dtype=float))
    counts = series.dropna().value_counts().sort_index()
    return pd.DataFrame({"value": counts.index.to_numpy(), "weight": counts.to_numpy()})


def rank_edges(counts: pd.DataFrame, steps: int) -> list[float]:
    """Edges of ``steps`` rank scores: score(v) = 1 + the number of edges below v.

    The score of a value is ``ceil(steps * average rank / n)`` over the counted values: equal
    values share their average rank, so they always get equal scores (no ``qcut`` duplicate
    edges). Edge s is the largest value scoring at most s (minus infinity if none does).
    Computed in integers, so no boundary case depends on rounding. ``counts`` may hold the
    (value, weight) rows of several shards.
    """
    grouped = counts.groupby("value", sort=True)["weight"].sum() if len(counts) else None
    if grouped is None or grouped.sum() == 0:
        return []
    weight = grouped.to_numpy(dtype=np.int64)
    n = int(weight.sum())
    at_most = np.cumsum(weight)
    below = at_most - weight
    numerator = steps * (below + at_most + 1)
    score = np.clip(-(-numerator // (2 * n)), 1, steps)
    values = grouped.index.to_numpy(dtype=float)
    return [
        float(values[score <= s].max()) if (score <= s).any() else -np.inf for s in range(1, steps)
    ]


def step_scores(values: pd.Series | np.ndarray, edges: list[float]) -> np.ndarray:
    """1 + the number of ``edges`` strictly below each value (see :func:`rank_edges`)."""
    return np.searchsorted(np.asarray(edges, dtype=float), np.asarray(values, dtype=float)) + 1


def quintile_scores(values: pd.Series, eligible: pd.Series | None = None) -> pd.Series:
    """1-5 scores, higher values higher; equal values equal scores; ineligible rows get 1."""
    eligible = values.notna() if eligible is None else eligible & values.notna()
    edges = rank_edges(value_counts(values[eligible]), 5)
    scores = np.where(eligible, step_scores(values.fillna(0), edges), 1)
    return pd.Series(scores, index=values.index, dtype="int64")
