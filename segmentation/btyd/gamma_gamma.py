"""Spend per visit by the Gamma-Gamma model (Fader, Hardie & Lee 2005, "RFM and CLV"): the
fitted model, its collapsed rows, its fit and its conditional expectation. No Django import.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln

from segmentation.btyd.fitting import (
    Family,
    FitError,
    collapse,
    float_arrays,
    maximise,
    merge_rows,
)


@dataclass(frozen=True)
class SpendModel:
    """Fitted Gamma-Gamma parameters (p, q, gamma) and fit statistics."""

    p: float
    q: float
    gamma: float
    log_likelihood: float
    rows: int
    customers: int
    penalizer: float = 0.0
    at_bound: tuple[str, ...] = field(default=())

    @property
    def population_mean(self) -> float:
        """Expected spend per visit of a customer the model knows nothing about."""
        return self.p * self.gamma / (self.q - 1) if self.q > 1 else math.inf

    def as_dict(self) -> dict:
        data: dict = {
            k: float(getattr(self, k))
            for k in ("p", "q", "gamma", "log_likelihood", "rows", "customers", "penalizer")
        }
        data["at_bound"] = list(self.at_bound)
        data["population_mean"] = self.population_mean
        return data

    @classmethod
    def from_dict(cls, data: dict) -> SpendModel:
        return cls(
            p=data["p"],
            q=data["q"],
            gamma=data["gamma"],
            log_likelihood=data["log_likelihood"],
            rows=int(data["rows"]),
            customers=int(data["customers"]),
            penalizer=data.get("penalizer", 0.0),
            at_bound=tuple(data.get("at_bound", ())),
        )


def _gamma_gamma_ll(params: dict[str, float], x, m) -> np.ndarray:
    """Gamma-Gamma log-likelihood of mean spend ``m`` over ``x`` visits."""
    p, q, gamma = params["p"], params["q"], params["gamma"]
    return (
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(gamma)
        + (p * x - 1) * np.log(m)
        + (p * x) * np.log(x)
        - (p * x + q) * np.log(gamma + m * x)
    )


def _gamma_gamma_ll_grad(params: dict[str, float], x, m) -> tuple[np.ndarray, ...]:
    """Per-row :func:`_gamma_gamma_ll` and its derivatives in log p, log q, log gamma."""
    p, q, gamma = params["p"], params["q"], params["gamma"]
    value = _gamma_gamma_ll(params, x, m)
    both = digamma(p * x + q)
    log_total = np.log(gamma + m * x)
    d_p = x * (both - digamma(p * x) + np.log(m) + np.log(x) - log_total)
    d_q = both - digamma(q) + np.log(gamma) - log_total
    d_gamma = q / gamma - (p * x + q) / (gamma + m * x)
    return value, d_p * p, d_q * q, d_gamma * gamma


_SPEND_FAMILY = Family(
    ("p", "q", "gamma"),
    _gamma_gamma_ll,
    ((1, 1, 1), (5, 3, 15), (10, 10, 100), (2, 20, 1000)),
    _gamma_gamma_ll_grad,
)


def spend_rows(x, mean_spend, *, rounding: float = 1.0) -> pd.DataFrame:
    """(x, m, weight) rows for the Gamma-Gamma fit: customers with a visit and positive mean
    spend, mean spend rounded to ``rounding`` only to collapse rows."""
    frame = pd.DataFrame(
        {
            "x": np.asarray(x, dtype=float),
            "m": np.round(np.asarray(mean_spend, dtype=float) / rounding) * rounding,
        }
    )
    frame = frame[(frame["x"] >= 1) & (frame["m"] > 0)]
    return collapse(frame, ["x", "m"])


def fit_spend_model(x, mean_spend, *, rounding: float = 1.0, penalizer: float = 0.0) -> SpendModel:
    """Fit Gamma-Gamma on customers with ``x`` ≥ 1 visits and positive mean spend."""
    rows = merge_rows([spend_rows(x, mean_spend, rounding=rounding)], ["x", "m"])
    return fit_spend_rows(rows, penalizer=penalizer)


def fit_spend_rows(rows: pd.DataFrame, *, penalizer: float = 0.0) -> SpendModel:
    """Fit Gamma-Gamma on collapsed (x, m, weight) rows, in a canonical order so the sums
    (and so the optimiser's path) do not depend on how the rows came."""
    rows = rows.sort_values(["x", "m"], kind="stable")
    fit = maximise(_SPEND_FAMILY, float_arrays(rows["x"], rows["m"]), rows["weight"], penalizer)
    if not np.isfinite(fit.log_likelihood):
        raise FitError("the Gamma-Gamma likelihood is not finite on these rows")
    return SpendModel(
        p=fit.params["p"],
        q=fit.params["q"],
        gamma=fit.params["gamma"],
        log_likelihood=fit.log_likelihood,
        rows=len(rows),
        customers=int(rows["weight"].sum()),
        penalizer=penalizer,
        at_bound=fit.at_bound,
    )


def expected_spend_per_visit(model: SpendModel, x, mean_spend) -> np.ndarray:
    """Gamma-Gamma conditional expected spend per visit; the population mean without visits."""
    x = np.asarray(x, dtype=float)
    m = np.nan_to_num(np.asarray(mean_spend, dtype=float))
    conditional = (model.p * (model.gamma + x * m)) / (model.p * x + model.q - 1)
    return np.where((x >= 1) & (m > 0), conditional, model.population_mean)
