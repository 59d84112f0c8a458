"""RFM (R4.1): each customer's recency, frequency and monetary value, their 1-5 scores by the
run's quintile edges, and the segment they name. No Django import."""

from __future__ import annotations

import numpy as np
import pandas as pd

from segmentation import per_customer as pc
from segmentation.input_rows import DAYS_PER_MONTH, Columns, InputRows
from segmentation.rank_scores import step_scores
from segmentation.scoring_settings import ScoringSettings

#: RFM segment rules, first match wins: (segment, min R, max R, min F, max F, min M).
RFM_RULES: tuple[tuple[str, int, int, int, int, int], ...] = (
    ("champions", 4, 5, 4, 5, 4),
    ("loyal", 3, 5, 4, 5, 1),
    ("cant_lose_them", 1, 2, 4, 5, 4),
    ("at_risk", 1, 2, 3, 5, 1),
    ("potential_loyalist", 4, 5, 2, 3, 1),
    ("new", 5, 5, 1, 1, 1),
    ("promising", 4, 4, 1, 1, 1),
    ("need_attention", 3, 3, 2, 3, 1),
    ("about_to_sleep", 3, 3, 1, 1, 1),
    ("hibernating", 2, 2, 1, 2, 1),
    ("lost", 1, 1, 1, 2, 1),
)


def rfm_segment(r: pd.Series, f: pd.Series, m: pd.Series) -> pd.Series:
    """Name each customer's (R, F, M) by :data:`RFM_RULES`; what matches no rule is "lost"."""
    segment = pd.Series("lost", index=r.index, dtype=object)
    unmatched = pd.Series(True, index=r.index)
    for name, r_lo, r_hi, f_lo, f_hi, m_lo in RFM_RULES:
        hit = unmatched & r.between(r_lo, r_hi) & f.between(f_lo, f_hi) & (m >= m_lo)
        segment[hit] = name
        unmatched &= ~hit
    return segment


def rfm_values(
    out: pd.DataFrame,
    at: InputRows,
    visits: Columns,
    purchases: Columns,
    settings: ScoringSettings,
) -> None:
    """Add each customer's ``recency_days``, ``frequency``, ``monetary`` (paid visits) and
    ``bought_days`` (since the last car purchase) to ``out``."""
    paid = visits["amount"] > 0
    pos, day, amount = visits["pos"][paid], visits["day"][paid], visits["amount"][paid]
    last_paid = pc.maximum(pos, day, at.n, empty=-1)
    out["recency_days"] = at.since(last_paid, last_paid < 0)
    window = at.in_last(day, settings.rfm_window_months)
    out["frequency"] = pc.count(pos[window], at.n)
    # In cents: a shard's sum then equals the whole run's, whatever order the rows came in.
    out["monetary"] = np.round(pc.total(pos[window], amount[window], at.n), 2)
    last_purchase = pc.maximum(purchases["pos"], purchases["day"], at.n, empty=-1)
    out["bought_days"] = at.since(last_purchase, last_purchase < 0)


def rfm_scores(
    out: pd.DataFrame,
    r_edges: list[float],
    f_edges: list[float],
    m_edges: list[float],
    settings: ScoringSettings,
) -> None:
    """Add the R, F and M scores by the run's edges and the ``rfm_segment`` to ``out``."""
    in_window = out["frequency"] > 0
    ever_paid = out["recency_days"].notna()
    out["r_score"] = np.where(ever_paid, step_scores(-out["recency_days"], r_edges), 1)
    out["f_score"] = np.where(in_window, step_scores(out["frequency"], f_edges), 1)
    out["m_score"] = np.where(in_window, step_scores(out["monetary"], m_edges), 1)
    segment = rfm_segment(out["r_score"], out["f_score"], out["m_score"])
    # Never a paid visit: new buyers of a car are "new", the rest are "lost".
    never_paid = (~ever_paid).to_numpy()
    recent_buyer = out["bought_days"].to_numpy() <= settings.new_customer_months * DAYS_PER_MONTH
    segment[never_paid] = np.where(recent_buyer[never_paid], "new", "lost")
    out["rfm_segment"] = segment
