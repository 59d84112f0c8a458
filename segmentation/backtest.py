"""Every run's backtest of its visit and spend forecasts (R4.4, R6). No Django import.

The run refits its models on the history up to ``backtest_months`` before the as-of day (the
cut-off) and forecasts the months since, for every customer born before the cut-off; then it
compares with what those customers did: repeat visits and paid spend. It does this for the
visit model in use and for the other candidates, with the spend model refitted at the cut-off.

Like the fits, the backtest works on collapsed rows: customers with the same rounded
(x, t_x, T) at the cut-off, the same number of paid visits and the same number of visits after
it share a row, which carries their count and the sums of their log gaps, paid spend before
the cut-off and spend after it. A row's forecast of visits is the same for all its customers
(times rounded like the fit's), and its forecast of spend is exact: the Gamma-Gamma expectation
is linear in a customer's paid sum once the number of paid visits is fixed. So shards add up
to the whole run, and a million customers cost tens of thousands of rows.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from segmentation.btyd import gamma_gamma
from segmentation.btyd.fitting import merge_rows
from segmentation.btyd.visit_model import expected_visits, fit_visit_rows
from segmentation.scoring_settings import ScoringSettings

#: Per-customer feature columns the backtest reads (made by the pipeline's ``features``).
COLUMNS = (
    "bt_x",
    "bt_t_x",
    "bt_T",
    "bt_litt",
    "bt_gap_cv2",
    "bt_n_paid",
    "bt_paid_sum",
    "bt_visits",
    "bt_spend",
    "bt_reached",
)

#: Visit models every backtest compares; the one in use is added when it is not among them.
CANDIDATES = ("bg_nbd", "mbg_nbd", "mbg_cnbd")

KEY = ["x", "t_x", "T", "n_paid", "h", "reached"]
_EPOCH = np.datetime64("1970-01-01", "D")
_DECILES = 10


def cutoff_day(end_day: int, months: int) -> int:
    """The day number (days since 1970) ``months`` calendar months before ``end_day``."""
    end = (_EPOCH + np.timedelta64(int(end_day), "D")).astype(object)
    cutoff = (pd.Timestamp(end) - pd.DateOffset(months=months)).date()
    return int((np.datetime64(cutoff, "D") - _EPOCH).astype(np.int64))


def cutoff_date(as_of: dt.date, months: int) -> dt.date:
    """The backtest's cut-off for a run as of ``as_of``."""
    return (pd.Timestamp(as_of) - pd.DateOffset(months=months)).date()


def rows(features: pd.DataFrame, resolution: float) -> pd.DataFrame:
    """The collapsed backtest rows of one shard's customers (see the module docstring)."""
    born = (features["bt_T"] > 0).to_numpy()
    f = features.loc[born]
    # Times rounded as segmentation.btyd.visit_model.visit_rows rounds them for the fit.
    x = f["bt_x"].to_numpy(dtype=float)
    t_x = np.round(f["bt_t_x"].to_numpy(dtype=float) / resolution) * resolution
    T = np.round(f["bt_T"].to_numpy(dtype=float) / resolution) * resolution
    t_x = np.where(x == 0, 0.0, np.minimum(t_x, T))
    cv2 = f["bt_gap_cv2"].to_numpy(dtype=float)
    frame = pd.DataFrame(
        {
            "x": x,
            "t_x": t_x,
            "T": T,
            "n_paid": f["bt_n_paid"].to_numpy(dtype=float),
            "h": f["bt_visits"].to_numpy(dtype=float),
            "reached": f["bt_reached"].to_numpy(dtype=np.int64),
            "weight": 1,
            "litt": np.nan_to_num(f["bt_litt"].to_numpy(dtype=float)),
            "cv2_sum": np.nan_to_num(cv2),
            "cv2_n": (~np.isnan(cv2)).astype(np.int64),
            "paid_sum": f["bt_paid_sum"].to_numpy(dtype=float),
            "spend": f["bt_spend"].to_numpy(dtype=float),
        }
    )
    return frame.groupby(KEY, sort=False).sum().reset_index()


def spend_rows(features: pd.DataFrame) -> pd.DataFrame:
    """Gamma-Gamma rows at the cut-off (mean spend rounded to ¥10, like the run's own)."""
    n = features["bt_n_paid"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, features["bt_paid_sum"].to_numpy(dtype=float) / n, 0.0)
    return gamma_gamma.spend_rows(n, mean, rounding=10.0)


def run(rows_: pd.DataFrame, spend: pd.DataFrame, weeks: float, settings: ScoringSettings) -> dict:
    """The backtest report (JSON-safe) from the merged rows of every shard.

    ``weeks`` is the length of the forecast (cut-off to as-of). The report has the aggregate
    forecast against the actual for visits and spend, the per-customer error of visits, the
    same by value tier (tiers of forecast spend) and by decile of forecast visits, and every
    candidate model's figures; ``flagged`` is true when the model in use misses the actual
    visits or spend by more than the bound.
    """
    base = {
        "months": settings.backtest_months,
        "weeks": round(weeks, 2),
        "model": settings.visit_model,
    }
    customers = int(rows_["weight"].sum()) if len(rows_) else 0
    repeaters = int(rows_.loc[rows_["x"] > 0, "weight"].sum()) if len(rows_) else 0
    if customers < 20 or repeaters < 5 or float((rows_["h"] * rows_["weight"]).sum()) == 0:
        return {**base, "skipped": "history", "customers": customers, "flagged": False}
    fit_rows = merge_rows(
        [rows_[["x", "t_x", "T", "weight", "litt", "cv2_sum", "cv2_n"]]], ["x", "t_x", "T"]
    )
    spend_model = (
        gamma_gamma.fit_spend_rows(spend)
        if spend.loc[spend["x"] >= 2, "weight"].sum() >= 20
        else None
    )
    per_visit = _spend_per_visit(rows_, spend_model)
    candidates = []
    chosen = None
    alone = (rows_["reached"] == 0).to_numpy()
    for kind in dict.fromkeys((*CANDIDATES, settings.visit_model)):
        model = fit_visit_rows(fit_rows, kind=kind)
        visits = expected_visits(model, weeks, rows_["x"], rows_["t_x"], rows_["T"])
        figures = _figures(rows_, visits, visits * per_visit)
        left_alone = _figures(rows_[alone], visits[alone], (visits * per_visit)[alone])
        candidates.append(
            {
                "kind": kind,
                "params": model.as_dict()["params"],
                **figures,
                "left_alone": left_alone,
            }
        )
        if kind == settings.visit_model:
            chosen = (visits, figures, left_alone)
    visits, figures, left_alone = chosen
    flagged = any(
        abs(figures[name]["error"]) > settings.backtest_error_bound
        for name in ("visits", "spend")
        if figures[name]["error"] is not None
    )
    reached = ~alone
    return {
        **base,
        "customers": customers,
        **figures,
        "left_alone": {"customers": int(rows_.loc[alone, "weight"].sum()), **left_alone},
        "reached": {
            "customers": int(rows_.loc[reached, "weight"].sum()),
            **_figures(rows_[reached], visits[reached], (visits * per_visit)[reached]),
        },
        "by_tier": _groups(rows_, visits, visits * per_visit, "spend", settings.value_tiers),
        "by_decile": _groups(rows_, visits, visits * per_visit, "visits", _DECILES),
        "spend_model": spend_model.as_dict() if spend_model else None,
        "candidates": candidates,
        "error_bound": settings.backtest_error_bound,
        "flagged": bool(flagged),
    }


def fitted_params(report: dict, kind: str) -> dict[str, float] | None:
    """The parameters the backtest fitted for the visit model ``kind``, if it did."""
    for candidate in report.get("candidates", ()):
        if candidate["kind"] == kind:
            return candidate["params"]
    return None


def _spend_per_visit(rows_: pd.DataFrame, model: gamma_gamma.SpendModel | None) -> np.ndarray:
    """Each row's mean forecast spend per visit over its customers (exact: see module doc)."""
    n, w, paid = (rows_[c].to_numpy(dtype=float) for c in ("n_paid", "weight", "paid_sum"))
    if model is None:
        paid_visits = float(np.sum(n * w))
        fallback = float(paid.sum()) / paid_visits if paid_visits else 0.0
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(n > 0, paid / np.maximum(n * w, 1), fallback)
    with np.errstate(invalid="ignore", divide="ignore"):
        known = model.p * (model.gamma * w + paid) / (model.p * n + model.q - 1) / w
    return np.where(n > 0, known, model.population_mean)


def _ratio_error(predicted: float, actual: float) -> float | None:
    return round(predicted / actual - 1, 4) if actual else None


def _figures(rows_: pd.DataFrame, visits: np.ndarray, spend: np.ndarray) -> dict:
    """Aggregate forecast against actual, and the per-customer error of visits."""
    w, h = rows_["weight"].to_numpy(dtype=float), rows_["h"].to_numpy(dtype=float)
    if not w.sum():
        empty = {"actual": 0.0, "predicted": 0.0, "error": None}
        return {"visits": {**empty, "mae": None, "rmse": None}, "spend": dict(empty)}
    actual_spend = float(rows_["spend"].sum())
    predicted_visits, actual_visits = float(np.sum(w * visits)), float(np.sum(w * h))
    predicted_spend = float(np.sum(w * spend))
    return {
        "visits": {
            "actual": round(actual_visits, 1),
            "predicted": round(predicted_visits, 1),
            "error": _ratio_error(predicted_visits, actual_visits),
            "mae": round(float(np.sum(w * np.abs(visits - h)) / w.sum()), 4),
            "rmse": round(float(np.sqrt(np.sum(w * (visits - h) ** 2) / w.sum())), 4),
        },
        "spend": {
            "actual": round(actual_spend, 2),
            "predicted": round(predicted_spend, 2),
            "error": _ratio_error(predicted_spend, actual_spend),
        },
    }


def _groups(
    rows_: pd.DataFrame, visits: np.ndarray, spend: np.ndarray, by: str, groups: int
) -> list[dict]:
    """Forecast against actual per group of customers ranked by their forecast: value tiers
    (``by="spend"``, tier 1 the highest forecast spend) or deciles of forecast visits (decile
    1 the lowest). A row's customers share a group."""
    w = rows_["weight"].to_numpy(dtype=float)
    value = spend if by == "spend" else visits
    order = np.argsort(-value if by == "spend" else value, kind="stable")
    # A row falls in the group of its middle customer in the ranking.
    middle = np.cumsum(w[order]) - w[order] / 2
    group = np.empty(len(w), dtype=np.int64)
    group[order] = np.minimum((middle / w.sum() * groups).astype(np.int64), groups - 1) + 1
    out = []
    h, actual_spend = rows_["h"].to_numpy(dtype=float), rows_["spend"].to_numpy(dtype=float)
    for g in range(1, groups + 1):
        inside = group == g
        n = float(w[inside].sum())
        if not n:
            continue
        out.append(
            {
                "group": g,
                "customers": int(n),
                "visits_predicted": round(float(np.sum(w[inside] * visits[inside])), 1),
                "visits_actual": round(float(np.sum(w[inside] * h[inside])), 1),
                "spend_predicted": round(float(np.sum(w[inside] * spend[inside])), 2),
                "spend_actual": round(float(actual_spend[inside].sum()), 2),
            }
        )
    return out
