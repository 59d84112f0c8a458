"""Buy-till-you-die models for service visits and spend (R4.3, R4.4). No Django import.

Visits follow the BG/NBD model (Fader, Hardie & Lee 2005) and spend per visit the Gamma-Gamma
model (Fader, Hardie & Lee 2005, "RFM and CLV"), both fitted with ``lifetimes`` 0.11.3: the
reference implementation, which reproduces the published CDNOW parameters (see
tests/segmentation/test_btyd_cdnow.py) and fits in well under a second. The fits run on
*collapsed* rows: customers with the same (x, t_x, T), after rounding times to
``resolution`` weeks, become one row with a weight, so a million customers cost tens of
thousands of rows. Predictions use each customer's exact values.

BG/NBD lets a customer drop out only right after a transaction, so a customer with no repeat
visit (x = 0) always gets P(alive) = 1. We handle that case with the MBG/NBD rule of Batislam,
Denizel & Filiztekin (2007), which also allows a dropout at time zero:
P(alive | x=0, T) = 1 / (1 + (a / b) * ((alpha + T) / alpha) ** r), and scale the expected
visits of those customers by the same probability. Customers with repeat visits keep the
BG/NBD values.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import ConvergenceError
from scipy.special import betaln, gammaln


@dataclass(frozen=True)
class VisitModel:
    """Fitted BG/NBD parameters and fit statistics."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    rows: int
    customers: int
    penalizer: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.__dict__.items()}

    @classmethod
    def from_dict(cls, data: dict[str, float]) -> VisitModel:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})


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

    @property
    def population_mean(self) -> float:
        """Expected spend per visit of a customer the model knows nothing about."""
        return self.p * self.gamma / (self.q - 1)

    def as_dict(self) -> dict[str, float]:
        data = {k: float(v) for k, v in self.__dict__.items()}
        data["population_mean"] = self.population_mean
        return data

    @classmethod
    def from_dict(cls, data: dict[str, float]) -> SpendModel:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})


def collapse(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Group identical rows of ``columns`` into one row with a ``weight`` count."""
    return frame.groupby(columns, sort=False).size().rename("weight").reset_index()


def bgnbd_log_likelihood(
    r: float, alpha: float, a: float, b: float, x, t_x, T, weights=None
) -> float:
    """The full BG/NBD log-likelihood (equation 6 of Fader, Hardie & Lee 2005)."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    ln_a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    ln_a2 = betaln(a, b + x) - betaln(a, b)
    ln_a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        ln_a4 = np.where(
            x > 0,
            np.log(a) - np.log(np.maximum(b + x - 1, 1e-12)) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return float(np.sum(w * (ln_a1 + ln_a2 + np.logaddexp(ln_a3, ln_a4))))


def visit_rows(x, t_x, T, *, resolution: float = 1.0) -> pd.DataFrame:
    """(x, t_x, T, weight) rows for the BG/NBD fit, times rounded to ``resolution`` weeks.

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
    return collapse(frame, ["x", "t_x", "T"])


def merge_rows(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    """Collapsed rows of several shards as the collapsed rows of their union, sorted, so the
    fit sees the same rows in the same order however the customers were split."""
    rows = pd.concat(parts, ignore_index=True)
    return rows.groupby(columns, sort=True)["weight"].sum().reset_index()


def fit_visit_model(
    x: pd.Series, t_x: pd.Series, T: pd.Series, *, resolution: float = 1.0, penalizer: float = 0.0
) -> VisitModel:
    """Fit BG/NBD on (x repeat visits, t_x time of last, T age), times in weeks.

    Times are rounded to ``resolution`` weeks only to collapse rows for the fit.
    """
    rows = merge_rows([visit_rows(x, t_x, T, resolution=resolution)], ["x", "t_x", "T"])
    return fit_visit_rows(rows, penalizer=penalizer)


def fit_visit_rows(rows: pd.DataFrame, *, penalizer: float = 0.0) -> VisitModel:
    """Fit BG/NBD on collapsed (x, t_x, T, weight) rows."""
    fitter = _fit_with_fallback(
        BetaGeoFitter, penalizer, rows["x"], rows["t_x"], rows["T"], weights=rows["weight"]
    )
    p = fitter.params_
    ll = bgnbd_log_likelihood(
        p["r"], p["alpha"], p["a"], p["b"], rows["x"], rows["t_x"], rows["T"], rows["weight"]
    )
    return VisitModel(
        r=float(p["r"]),
        alpha=float(p["alpha"]),
        a=float(p["a"]),
        b=float(p["b"]),
        log_likelihood=ll,
        rows=len(rows),
        customers=int(rows["weight"].sum()),
        penalizer=fitter.used_penalizer,
    )


#: Penalizers tried in turn when a fit does not converge (flat likelihoods on lapsing data).
FALLBACK_PENALIZERS = (0.001, 0.01, 0.1)


def _fit_with_fallback(fitter_class, penalizer: float, *columns, weights):
    """Fit, retrying with a growing L2 penalizer if the optimiser does not converge."""
    last_error: Exception | None = None
    for coef in (penalizer, *(c for c in FALLBACK_PENALIZERS if c > penalizer)):
        fitter = fitter_class(penalizer_coef=coef)
        try:
            # lifetimes prints the optimiser's report when it gives up; the retry says enough.
            with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
                warnings.simplefilter("ignore")
                fitter.fit(*columns, weights=weights, tol=1e-7, verbose=False)
        except ConvergenceError as error:
            last_error = error
            continue
        fitter.used_penalizer = coef
        return fitter
    raise last_error


def gamma_gamma_log_likelihood(p: float, q: float, gamma: float, x, m, weights=None) -> float:
    """Gamma-Gamma log-likelihood of mean spend ``m`` over ``x`` visits."""
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    ll = (
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(gamma)
        + (p * x - 1) * np.log(m)
        + (p * x) * np.log(x)
        - (p * x + q) * np.log(gamma + m * x)
    )
    return float(np.sum(w * ll))


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


def fit_spend_model(
    x: pd.Series, mean_spend: pd.Series, *, rounding: float = 1.0, penalizer: float = 0.0
) -> SpendModel:
    """Fit Gamma-Gamma on customers with ``x`` ≥ 1 visits and positive mean spend."""
    rows = merge_rows([spend_rows(x, mean_spend, rounding=rounding)], ["x", "m"])
    return fit_spend_rows(rows, penalizer=penalizer)


def fit_spend_rows(rows: pd.DataFrame, *, penalizer: float = 0.0) -> SpendModel:
    """Fit Gamma-Gamma on collapsed (x, m, weight) rows."""
    fitter = _fit_with_fallback(
        GammaGammaFitter, penalizer, rows["x"], rows["m"], weights=rows["weight"]
    )
    p = fitter.params_
    ll = gamma_gamma_log_likelihood(p["p"], p["q"], p["v"], rows["x"], rows["m"], rows["weight"])
    return SpendModel(
        p=float(p["p"]),
        q=float(p["q"]),
        gamma=float(p["v"]),
        log_likelihood=ll,
        rows=len(rows),
        customers=int(rows["weight"].sum()),
        penalizer=fitter.used_penalizer,
    )


def p_alive(model: VisitModel, x, t_x, T) -> np.ndarray:
    """P(still active): BG/NBD for x ≥ 1, the MBG/NBD dropout-at-zero rule for x = 0."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    r, alpha, a, b = model.r, model.alpha, model.a, model.b
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + t_x)))
        repeat = 1.0 / (1.0 + (a / np.maximum(b + x - 1, 1e-12)) * ratio)
        never = 1.0 / (1.0 + (a / b) * np.exp(r * (np.log(alpha + T) - np.log(alpha))))
    return np.where(x > 0, repeat, never)


def expected_visits(model: VisitModel, horizon: float, x, t_x, T) -> np.ndarray:
    """Expected visits in the next ``horizon`` weeks (BG/NBD conditional expectation).

    For x = 0 the BG/NBD value assumes the customer is alive; it is scaled by the MBG/NBD
    P(alive) so a silent customer is not credited with a full future.
    """
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    fitter = BetaGeoFitter()
    fitter.params_ = pd.Series({"r": model.r, "alpha": model.alpha, "a": model.a, "b": model.b})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = np.asarray(
            fitter.conditional_expected_number_of_purchases_up_to_time(horizon, x, t_x, T),
            dtype=float,
        )
    raw = np.nan_to_num(raw, nan=0.0, posinf=0.0)
    return np.where(x > 0, raw, raw * p_alive(model, x, t_x, T))


def expected_spend_per_visit(model: SpendModel, x, mean_spend) -> np.ndarray:
    """Gamma-Gamma conditional expected spend per visit; the population mean without visits."""
    x = np.asarray(x, dtype=float)
    m = np.nan_to_num(np.asarray(mean_spend, dtype=float))
    conditional = (model.p * (model.gamma + x * m)) / (model.p * x + model.q - 1)
    return np.where((x >= 1) & (m > 0), conditional, model.population_mean)
