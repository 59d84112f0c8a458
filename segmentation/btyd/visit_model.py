"""The fitted visit model, whichever kind (:data:`VISIT_MODELS`): its collapsed rows, its fit,
P(alive) and expected visits, each in the kind's own formulas. No Django import."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentation.btyd import bg_nbd, pareto_nbd
from segmentation.btyd.bg_nbd import MAX_K
from segmentation.btyd.fitting import Family, FitError, float_arrays, maximise, merge_rows

#: Each visit model's parameters, likelihood and starting points (parameter values, not logs).
VISIT_FAMILIES: dict[str, Family] = {
    "bg_nbd": bg_nbd.BG_NBD,
    "mbg_nbd": bg_nbd.MBG_NBD,
    "pareto_nbd": pareto_nbd.PARETO_NBD,
}
#: Every visit model: the three above and MBG/CNBD-k, MBG/NBD with Erlang-k gaps between
#: visits (k = 1 is MBG/NBD), fitted by :func:`~segmentation.btyd.bg_nbd.fit_regularity`.
VISIT_MODELS = (*VISIT_FAMILIES, "mbg_cnbd")


@dataclass(frozen=True)
class VisitModel:
    """A fitted visit model: its kind, parameters and fit statistics."""

    kind: str
    params: dict[str, float]
    log_likelihood: float
    rows: int
    customers: int
    penalizer: float = 0.0
    at_bound: tuple[str, ...] = ()
    converged: bool = True

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "params": {k: float(v) for k, v in self.params.items()},
            "log_likelihood": float(self.log_likelihood),
            "rows": int(self.rows),
            "customers": int(self.customers),
            "penalizer": float(self.penalizer),
            "at_bound": list(self.at_bound),
            "converged": bool(self.converged),
        }

    @classmethod
    def from_dict(cls, data: dict) -> VisitModel:
        """From :meth:`as_dict`, or from the flat BG/NBD record runs stored before models had
        kinds."""
        if "kind" not in data:
            params = {k: float(data[k]) for k in ("r", "alpha", "a", "b")}
            return cls(
                kind="bg_nbd",
                params=params,
                log_likelihood=data["log_likelihood"],
                rows=int(data["rows"]),
                customers=int(data["customers"]),
                penalizer=data.get("penalizer", 0.0),
            )
        return cls(
            kind=data["kind"],
            params=dict(data["params"]),
            log_likelihood=data["log_likelihood"],
            rows=int(data["rows"]),
            customers=int(data["customers"]),
            penalizer=data.get("penalizer", 0.0),
            at_bound=tuple(data.get("at_bound", ())),
            converged=data.get("converged", True),
        )


def visit_rows(x, t_x, T, *, litt=None, gap_cv2=None, resolution: float = 1.0) -> pd.DataFrame:
    """(x, t_x, T, weight, litt, cv2_sum, cv2_n) rows for the visit-model fit, times rounded
    to ``resolution`` weeks. For MBG/CNBD-k, ``litt`` (each customer's sum of log inter-visit
    weeks) and ``gap_cv2`` (the squared coefficient of variation of its gaps, NaN when unknown)
    are summed per row; zero when not given.

    Rows from several shards of customers concatenate into the rows of all of them (see
    :func:`merge_rows`); rounding only serves to collapse rows, predictions use exact values.
    """
    frame = pd.DataFrame(
        {
            "x": np.asarray(x, dtype=float),
            "t_x": np.round(np.asarray(t_x, dtype=float) / resolution) * resolution,
            "T": np.round(np.asarray(T, dtype=float) / resolution) * resolution,
        }
    )
    frame["t_x"] = np.minimum(frame["t_x"], frame["T"])
    frame.loc[frame["x"] == 0, "t_x"] = 0.0
    frame["weight"] = 1
    frame["litt"] = 0.0 if litt is None else np.nan_to_num(np.asarray(litt, dtype=float))
    cv2 = np.full(len(frame), np.nan) if gap_cv2 is None else np.asarray(gap_cv2, dtype=float)
    frame["cv2_sum"] = np.nan_to_num(cv2)
    frame["cv2_n"] = (~np.isnan(cv2)).astype(np.int64)
    sums = ["weight", "litt", "cv2_sum", "cv2_n"]
    return frame.groupby(["x", "t_x", "T"], sort=False)[sums].sum().reset_index()


def fit_visit_model(
    x,
    t_x,
    T,
    *,
    kind: str = "bg_nbd",
    litt=None,
    gap_cv2=None,
    resolution: float = 1.0,
    penalizer: float = 0.0,
) -> VisitModel:
    """Fit the visit model ``kind`` on (x repeat visits, t_x time of last, T age), in weeks.

    Times are rounded to ``resolution`` weeks only to collapse rows for the fit.
    """
    rows = merge_rows(
        [visit_rows(x, t_x, T, litt=litt, gap_cv2=gap_cv2, resolution=resolution)],
        ["x", "t_x", "T"],
    )
    if litt is None:
        rows = rows.drop(columns="litt")
    return fit_visit_rows(rows, kind=kind, penalizer=penalizer)


def fit_visit_rows(
    rows: pd.DataFrame,
    *,
    kind: str = "bg_nbd",
    penalizer: float = 0.0,
    max_k: int = MAX_K,
    start: dict[str, float] | None = None,
) -> VisitModel:
    """Fit the visit model ``kind`` on collapsed (x, t_x, T, weight[, litt]) rows.

    For ``mbg_cnbd`` the regularity k is chosen by likelihood (see
    :func:`~segmentation.btyd.bg_nbd.fit_regularity`); without a ``litt`` column (sum of log
    inter-visit weeks) k is 1, which is MBG/NBD.
    ``start`` (parameters of a fit on similar rows, e.g. the backtest's) replaces the fixed
    starting points.
    """
    columns = float_arrays(rows["x"], rows["t_x"], rows["T"])
    if kind == "mbg_cnbd":
        fit, k = bg_nbd.fit_regularity(rows, columns, penalizer, max_k, start)
        params = {**fit.params, "k": float(k)}
    else:
        family = VISIT_FAMILIES[kind]
        if start:
            first = tuple(start[name] for name in family.names)
            family = dataclasses.replace(family, starts=(first,))
        fit = maximise(family, columns, rows["weight"], penalizer)
        params = fit.params
    if not np.isfinite(fit.log_likelihood):
        raise FitError(f"the {kind} likelihood is not finite on these rows")
    return VisitModel(
        kind=kind,
        params=params,
        log_likelihood=fit.log_likelihood,
        rows=len(rows),
        customers=int(rows["weight"].sum()),
        penalizer=penalizer,
        at_bound=fit.at_bound,
        converged=fit.converged,
    )


def p_alive(model: VisitModel, x, t_x, T) -> np.ndarray:
    """P(still active | x, t_x, T) under the model's own assumptions."""
    x, t_x, T = float_arrays(x, t_x, T)
    with np.errstate(all="ignore"):
        if model.kind == "pareto_nbd":
            return pareto_nbd.p_alive(model.params, x, t_x, T)
        return bg_nbd.p_alive(model.kind, model.params, x, t_x, T)


def expected_visits(model: VisitModel, horizon: float, x, t_x, T) -> np.ndarray:
    """Expected visits in the next ``horizon`` weeks given (x, t_x, T): the model's
    conditional expectation."""
    x, t_x, T = float_arrays(x, t_x, T)
    with np.errstate(all="ignore"):
        if model.kind == "pareto_nbd":
            out = pareto_nbd.expected_visits(model.params, float(horizon), x, t_x, T)
        else:
            out = bg_nbd.expected_visits(model.kind, model.params, float(horizon), x, t_x, T)
    return np.nan_to_num(np.asarray(out, dtype=float), nan=0.0, posinf=0.0, neginf=0.0)
