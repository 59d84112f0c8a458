"""Buy-till-you-die models for service visits and spend (R4.3, R4.4). No Django import.

Visits: three models of the same family, each fitted by its own full likelihood and used with
its own formulas (nothing from one model is applied on top of another's fit):

- ``bg_nbd``: BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"). A
  customer can drop out only right after a repeat visit, so one who never came back is
  certainly alive (P(alive) = 1 at x = 0).
- ``mbg_nbd``: MBG/NBD (Batislam, Denizel & Filiztekin 2007): BG/NBD with a dropout possible
  at time zero too, so a customer silent since the purchase becomes less likely to be alive
  the longer the silence lasts.
- ``pareto_nbd``: Pareto/NBD (Schmittlein, Morrison & Colombo 1987), dropout at any moment,
  in the form of Fader & Hardie's derivations note (2005).

The scoring uses one of them (``ScoringSettings.visit_model``); every run backtests all three
(``segmentation.backtest``). Spend per visit follows the Gamma-Gamma model (Fader, Hardie & Lee
2005, "RFM and CLV").

The fits maximise the likelihood over the logarithms of the parameters with L-BFGS-B, from a
fixed list of starting points, inside bounds. The bounds matter: on data where every customer
has the same dropout probability the BG/NBD optimum lies at a → ∞, b → ∞ with a / (a + b)
fixed, and an unbounded optimiser fails there; a bounded one stops at the edge, which is the
same model to within the bound, and the fit records which parameters ended there. Several
starts make the result independent of the order of the rows and of a bad first guess.

The fits run on *collapsed* rows: customers with the same (x, t_x, T), after rounding times to
a resolution (see :func:`visit_rows`), become one row with a weight. Predictions use each
customer's exact values.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import betaln, digamma, gammaln, hyp2f1

#: Bounds of the fitted parameters' logarithms: e^±12 covers every fit seen on CDNOW and the
#: demo dealership; a parameter at a bound says the optimum is a limit (e.g. no heterogeneity).
LOG_BOUNDS = (-12.0, 12.0)

#: The most regular visits MBG/CNBD-k considers: Erlang-k gaps have a coefficient of variation
#: of 1/sqrt(k), so k = 40 is a gap that varies by ±16 %, tighter than any maintenance plan.
MAX_K = 40


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


def collapse(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Group identical rows of ``columns`` into one row with a ``weight`` count."""
    return frame.groupby(columns, sort=False).size().rename("weight").reset_index()


def _arrays(*values) -> tuple[np.ndarray, ...]:
    return tuple(np.asarray(v, dtype=float) for v in values)


# --- log-likelihoods, one value per row -------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _distinct(key: bytes) -> tuple[np.ndarray, np.ndarray]:
    values, index = np.unique(np.frombuffer(key), return_inverse=True)
    return values, index


def _on_x(function: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    """``function(x)`` computed once per distinct x: a fit's tens of thousands of rows have a
    few dozen repeat counts, and the special functions of x are most of a gradient's cost."""
    values, index = _distinct(np.ascontiguousarray(x, dtype=float).tobytes())
    return function(values)[index]


def _bgnbd_ll(params: dict[str, float], x, t_x, T) -> np.ndarray:
    """BG/NBD (equation 6 of Fader, Hardie & Lee 2005)."""
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    ln_a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    ln_a2 = betaln(a, b + x) - betaln(a, b)
    ln_a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        ln_a4 = np.where(
            x > 0,
            np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return ln_a1 + ln_a2 + np.logaddexp(ln_a3, ln_a4)


def _bgnbd_ll_grad(params: dict[str, float], x, t_x, T) -> tuple[np.ndarray, ...]:
    """Per-row :func:`_bgnbd_ll` and its derivatives in the log-parameters (analytic)."""
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    ln_a1 = _on_x(lambda v: gammaln(r + v) - gammaln(r) + betaln(a, b + v) - betaln(a, b), x)
    ln_a1 = ln_a1 + r * np.log(alpha)
    ln_a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        ln_a4 = np.where(
            x > 0,
            np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    both = np.logaddexp(ln_a3, ln_a4)
    value = ln_a1 + both
    repeat = np.exp(ln_a4 - both)
    end = 1 - repeat
    d_r = (
        _on_x(lambda v: digamma(r + v), x)
        - digamma(r)
        + np.log(alpha)
        - end * np.log(alpha + T)
        - repeat * np.log(alpha + t_x)
    )
    d_alpha = r / alpha - (r + x) * (end / (alpha + T) + repeat / (alpha + t_x))
    d_a = _on_x(lambda v: digamma(a + b) - digamma(a + b + v), x) + repeat / a
    with np.errstate(divide="ignore", invalid="ignore"):
        d_b = _on_x(lambda v: digamma(b + v) - digamma(a + b + v) - digamma(b) + digamma(a + b), x)
        d_b = d_b - np.where(x > 0, repeat / np.maximum(b + x - 1, 1e-300), 0.0)
    return value, d_r * r, d_alpha * alpha, d_a * a, d_b * b


def _pareto_log_a0(params: dict[str, float], x, t_x, T) -> np.ndarray:
    """log A0 of Fader & Hardie's Pareto/NBD note (equations 19 and 20)."""
    r, alpha, s, beta = params["r"], params["alpha"], params["s"], params["beta"]
    if alpha >= beta:
        big, small, second = alpha, beta, s + 1
    else:
        big, small, second = beta, alpha, r + x
    rsx = r + s + x
    diff = big - small
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.log(hyp2f1(rsx, second, rsx + 1, diff / (big + t_x)))
        f2 = np.log(hyp2f1(rsx, second, rsx + 1, diff / (big + T)))
        # A0 = F1 / (big + t_x)^rsx - F2 / (big + T)^rsx, the first term always the larger.
        term1 = f1 - rsx * np.log(big + t_x)
        term2 = f2 - rsx * np.log(big + T)
        return term1 + np.log1p(-np.exp(np.minimum(term2 - term1, 0.0)))


def _pareto_ll(params: dict[str, float], x, t_x, T) -> np.ndarray:
    """Pareto/NBD (Fader & Hardie 2005, "A note on deriving the Pareto/NBD model", eq. 18)."""
    r, alpha, s, beta = params["r"], params["alpha"], params["s"], params["beta"]
    ln_a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    ln_end = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    ln_before = np.log(s) - np.log(r + s + x) + _pareto_log_a0(params, x, t_x, T)
    with np.errstate(invalid="ignore"):
        ln_sum = np.where(t_x < T, np.logaddexp(ln_end, ln_before), ln_end)
    return ln_a1 + ln_sum


def _mbgcnbd_core(params: dict[str, float], x, t_x, T, k: int) -> np.ndarray:
    """MBG/CNBD-k (Reutterer, Platzer & Schröder 2021) without the term in the log
    inter-visit times, which does not depend on (r, alpha, a, b): see :func:`_regularity_ll`."""
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    rkx = r + k * x
    ln_a2 = betaln(a, b + x + 1) - betaln(a, b)
    ln_a3 = gammaln(rkx) - gammaln(r) + r * np.log(alpha) - rkx * np.log(alpha + T)
    ln_dropped = np.log(a) - np.log(b + x) + rkx * (np.log(alpha + T) - np.log(alpha + t_x))
    return ln_a2 + ln_a3 + np.logaddexp(ln_dropped, _log_waiting(rkx, alpha, t_x, T, k))


def _log_waiting(rkx, alpha, t_x, T, k: int) -> np.ndarray:
    """log of the chance, relative to the model's other terms, that an alive customer's next
    visit is still to come after T - t_x: the first k terms of a negative-binomial sum."""
    gap = (T - t_x) / (alpha + T)
    term = np.ones(np.broadcast(rkx, gap).shape)
    total = term.copy()
    factor = np.empty_like(total)
    for j in range(1, k):
        # In place: these arrays outgrow malloc's mmap threshold, so temporaries cost faults.
        np.add(rkx, j - 1, out=factor)
        factor *= gap
        factor *= 1.0 / j
        term *= factor
        total += term
    return np.log(total)


def _mbgcnbd_core_grad(params: dict[str, float], x, t_x, T, k: int) -> tuple[np.ndarray, ...]:
    """Per-row :func:`_mbgcnbd_core` and its derivatives in log r, log alpha, log a, log b
    (analytic, so a fit costs one evaluation per step instead of five)."""
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    rkx = r + k * x
    log_ratio = np.log(alpha + T) - np.log(alpha + t_x)
    ln_dropped = np.log(a) - np.log(b + x) + rkx * log_ratio
    gap = (T - t_x) / (alpha + T)
    term = np.ones_like(rkx)
    total, d_shape, d_j = term.copy(), np.zeros_like(rkx), np.zeros_like(rkx)
    harmonic, shape, scratch = np.zeros_like(rkx), np.empty_like(rkx), np.empty_like(rkx)
    for j in range(1, k):
        # In place, as in _log_waiting.
        np.add(rkx, j - 1, out=shape)
        np.divide(1.0, shape, out=scratch)
        harmonic += scratch
        shape *= gap
        shape *= 1.0 / j
        term *= shape
        total += term
        np.multiply(term, harmonic, out=scratch)
        d_shape += scratch
        np.multiply(term, j, out=scratch)
        d_j += scratch
    ln_waiting = np.log(total)
    both = np.logaddexp(ln_dropped, ln_waiting)
    dropped = np.exp(ln_dropped - both)
    waiting = 1 - dropped
    value = (
        _on_x(lambda v: betaln(a, b + v + 1) - betaln(a, b) + gammaln(r + k * v) - gammaln(r), x)
        + r * np.log(alpha)
        - rkx * np.log(alpha + T)
        + both
    )
    d_r = (
        _on_x(lambda v: digamma(r + k * v), x)
        - digamma(r)
        + np.log(alpha)
        - np.log(alpha + T)
        + dropped * log_ratio
        + waiting * d_shape / total
    )
    d_alpha = (
        r / alpha
        - rkx / (alpha + T)
        + dropped * rkx * (1 / (alpha + T) - 1 / (alpha + t_x))
        - waiting * d_j / total / (alpha + T)
    )
    d_a = _on_x(lambda v: digamma(a + b) - digamma(a + b + v + 1), x) + dropped / a
    d_b = _on_x(lambda v: digamma(b + v + 1) - digamma(a + b + v + 1), x)
    d_b = d_b - digamma(b) + digamma(a + b) - dropped / (b + x)
    return value, d_r * r, d_alpha * alpha, d_a * a, d_b * b


def _regularity_ll(k: int, litt: float, visits: float) -> float:
    """The part of the MBG/CNBD-k log-likelihood that depends only on k: Erlang-k densities of
    the observed gaps contribute (k - 1) log(gap) - log((k - 1)!) per repeat visit (times in
    weeks; the rate terms are in the core)."""
    return (k - 1) * litt - math.lgamma(k) * visits


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


# --- fitting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Family:
    names: tuple[str, ...]
    log_likelihood: Callable[..., np.ndarray]
    starts: tuple[tuple[float, ...], ...]
    #: Per-row log-likelihood and its derivatives in the log-parameters, when known.
    with_gradient: Callable[..., tuple[np.ndarray, ...]] | None = None


#: Each visit model's parameters, likelihood and starting points (parameter values, not logs).
VISIT_FAMILIES: dict[str, _Family] = {
    "bg_nbd": _Family(("r", "alpha", "a", "b"), _bgnbd_ll, ((1, 1, 1, 1),), _bgnbd_ll_grad),
    "mbg_nbd": _Family(
        ("r", "alpha", "a", "b"),
        # MBG/NBD is MBG/CNBD-k at k = 1 (Batislam, Denizel & Filiztekin 2007, equation 3).
        lambda params, x, t_x, T: _mbgcnbd_core(params, x, t_x, T, 1),
        ((1, 1, 1, 1),),
        lambda params, x, t_x, T: _mbgcnbd_core_grad(params, x, t_x, T, 1),
    ),
    "pareto_nbd": _Family(
        ("r", "alpha", "s", "beta"), _pareto_ll, ((1, 1, 1, 1), (0.5, 10, 0.5, 10))
    ),
}
#: Every visit model: the three above and MBG/CNBD-k, MBG/NBD with Erlang-k gaps between
#: visits (k = 1 is MBG/NBD), fitted by :func:`_fit_regularity`.
VISIT_MODELS = (*VISIT_FAMILIES, "mbg_cnbd")

_SPEND_FAMILY = _Family(
    ("p", "q", "gamma"),
    _gamma_gamma_ll,
    ((1, 1, 1), (5, 3, 15), (10, 10, 100), (2, 20, 1000)),
    _gamma_gamma_ll_grad,
)


@dataclass(frozen=True)
class _Fit:
    params: dict[str, float]
    log_likelihood: float
    at_bound: tuple[str, ...]
    converged: bool


def _maximise(family: _Family, columns: tuple[np.ndarray, ...], weights, penalizer: float) -> _Fit:
    """Maximise the weighted log-likelihood over log-parameters from every start; keep the
    best. Ties between starts are broken by the order of the starts, so the result does not
    depend on the order of the rows."""
    w = np.asarray(weights, dtype=float)
    total = w.sum()

    def objective(log_params: np.ndarray) -> float:
        params = dict(zip(family.names, np.exp(log_params), strict=True))
        with np.errstate(all="ignore"):
            ll = float(np.sum(w * family.log_likelihood(params, *columns))) / total
        if not np.isfinite(ll):
            return 1e10
        return -ll + penalizer * float(np.sum(np.exp(log_params) ** 2))

    def objective_and_gradient(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        params = dict(zip(family.names, np.exp(log_params), strict=True))
        with np.errstate(all="ignore"):
            value, *grads = family.with_gradient(params, *columns)
            ll = float(np.sum(w * value)) / total
            grad = np.array([float(np.sum(w * g)) / total for g in grads])
        if not (np.isfinite(ll) and np.all(np.isfinite(grad))):
            return 1e10, np.zeros_like(log_params)
        values = np.exp(log_params)
        return (
            -ll + penalizer * float(np.sum(values**2)),
            -grad + 2 * penalizer * values**2,
        )

    jac = family.with_gradient is not None

    best = None
    bounds = [LOG_BOUNDS] * len(family.names)
    for start in family.starts:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = minimize(
                objective_and_gradient if jac else objective,
                np.log(np.asarray(start, dtype=float)),
                jac=jac,
                method="L-BFGS-B",
                bounds=bounds,
                options={"maxiter": 500, "ftol": 1e-11, "gtol": 1e-7},
            )
        if best is None or result.fun < best.fun - 1e-10:
            best = result
    values = np.clip(best.x, *LOG_BOUNDS)
    params = dict(zip(family.names, (float(v) for v in np.exp(values)), strict=True))
    at_bound = tuple(
        name
        for name, v in zip(family.names, values, strict=True)
        if min(abs(v - LOG_BOUNDS[0]), abs(v - LOG_BOUNDS[1])) < 1e-3
    )
    ll = float(np.sum(w * family.log_likelihood(params, *columns)))
    return _Fit(params, ll, at_bound, bool(best.success) and np.isfinite(ll))


class FitError(ValueError):
    """The likelihood could not be evaluated at any starting point (degenerate data)."""


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


def merge_rows(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    """Collapsed rows of several shards as the collapsed rows of their union (the other
    columns summed), sorted, so the fit sees the same rows in the same order however the
    customers were split."""
    rows = pd.concat(parts, ignore_index=True)
    sums = [c for c in rows.columns if c not in columns]
    return rows.groupby(columns, sort=True)[sums].sum().reset_index()


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

    For ``mbg_cnbd`` the regularity k is chosen by likelihood (see :func:`_fit_regularity`);
    without a ``litt`` column (sum of log inter-visit weeks) k is 1, which is MBG/NBD.
    ``start`` (parameters of a fit on similar rows, e.g. the backtest's) replaces the fixed
    starting points.
    """
    columns = _arrays(rows["x"], rows["t_x"], rows["T"])
    if kind == "mbg_cnbd":
        fit, k = _fit_regularity(rows, columns, penalizer, max_k, start)
        params = {**fit.params, "k": float(k)}
    else:
        family = VISIT_FAMILIES[kind]
        if start:
            first = tuple(start[name] for name in family.names)
            family = dataclasses.replace(family, starts=(first,))
        fit = _maximise(family, columns, rows["weight"], penalizer)
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


def _fit_regularity(
    rows: pd.DataFrame,
    columns: tuple[np.ndarray, ...],
    penalizer: float,
    max_k: int,
    start: dict[str, float] | None = None,
) -> tuple[_Fit, int]:
    """MBG/CNBD-k at the k of highest likelihood.

    The search starts from ``start``'s k, else from the moment estimate k = 1 / (mean squared
    coefficient of variation of customers' gaps), then moves to a better neighbour while there
    is one (the profile likelihood of k is unimodal in practice); each fit starts from its
    neighbour's optimum (the first from ``start``, else from the fixed starts).
    """
    weights = rows["weight"].to_numpy(dtype=float)
    litt = float(rows["litt"].sum()) if "litt" in rows else None
    visits = float(np.sum(weights * columns[0]))
    fits: dict[int, _Fit] = {}

    def total(k: int) -> float:
        if k not in fits:
            nearest = min(fits, key=lambda j: abs(j - k)) if fits else None
            if nearest is not None:
                starts = (tuple(fits[nearest].params.values()),)
            elif start:
                first = tuple(start[name] for name in ("r", "alpha", "a", "b"))
                starts = (first,)
            else:
                starts = VISIT_FAMILIES["mbg_nbd"].starts
            family = _Family(
                ("r", "alpha", "a", "b"),
                lambda params, x, t_x, T: _mbgcnbd_core(params, x, t_x, T, k),
                starts,
                lambda params, x, t_x, T: _mbgcnbd_core_grad(params, x, t_x, T, k),
            )
            fit = _maximise(family, columns, weights, penalizer)
            extra = _regularity_ll(k, litt, visits) if litt is not None else 0.0
            fits[k] = _Fit(fit.params, fit.log_likelihood + extra, fit.at_bound, fit.converged)
        return fits[k].log_likelihood

    if litt is None:
        total(1)
        return fits[1], 1
    k = int(np.clip(start["k"], 1, max_k)) if start and "k" in start else _moment_k(rows, max_k)
    for step in (1, -1):
        while 1 <= k + step <= max_k and total(k + step) > total(k):
            k += step
    return fits[k], k


def _moment_k(rows: pd.DataFrame, max_k: int) -> int:
    """k = 1 / mean squared CV of customers' gaps, within [1, max_k]; 1 without data."""
    n = float(rows["cv2_n"].sum()) if "cv2_n" in rows else 0.0
    mean = float(rows["cv2_sum"].sum()) / n if n else 0.0
    return int(np.clip(round(1 / mean), 1, max_k)) if mean > 0 else 1


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
    fit = _maximise(_SPEND_FAMILY, _arrays(rows["x"], rows["m"]), rows["weight"], penalizer)
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


# --- predictions ---------------------------------------------------------------------------


def p_alive(model: VisitModel, x, t_x, T) -> np.ndarray:
    """P(still active | x, t_x, T) under the model's own assumptions."""
    x, t_x, T = _arrays(x, t_x, T)
    p = model.params
    with np.errstate(all="ignore"):
        if model.kind == "pareto_nbd":
            r, alpha, s, beta = p["r"], p["alpha"], p["s"], p["beta"]
            log_odds = (
                np.log(s)
                - np.log(r + s + x)
                + (r + x) * np.log(alpha + T)
                + s * np.log(beta + T)
                + _pareto_log_a0(p, x, t_x, T)
            )
            alive = 1.0 / (1.0 + np.exp(log_odds))
            return np.where(t_x < T, alive, 1.0)
        r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
        if model.kind == "mbg_cnbd":
            k = int(p["k"])
            rkx = r + k * x
            ln_dropped = np.log(a) - np.log(b + x) + rkx * (np.log(alpha + T) - np.log(alpha + t_x))
            return 1.0 / (1.0 + np.exp(ln_dropped - _log_waiting(rkx, alpha, t_x, T, k)))
        ratio = np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + t_x)))
        if model.kind == "mbg_nbd":
            return 1.0 / (1.0 + (a / (b + x)) * ratio)
        repeat = 1.0 / (1.0 + (a / np.maximum(b + x - 1, 1e-300)) * ratio)
        return np.where(x > 0, repeat, 1.0)


def expected_visits(model: VisitModel, horizon: float, x, t_x, T) -> np.ndarray:
    """Expected visits in the next ``horizon`` weeks given (x, t_x, T): the model's
    conditional expectation."""
    x, t_x, T = _arrays(x, t_x, T)
    p, t = model.params, float(horizon)
    with np.errstate(all="ignore"):
        if model.kind == "pareto_nbd":
            r, alpha, s, beta = p["r"], p["alpha"], p["s"], p["beta"]
            # E[Y(t) | alive] * P(alive), Fader & Hardie's note, equation 41.
            if abs(s - 1) < 1e-9:
                tail = np.log((beta + T + t) / (beta + T))
            else:
                tail = (1 - ((beta + T) / (beta + T + t)) ** (s - 1)) / (s - 1)
            alive_rate = (r + x) * (beta + T) / (alpha + T)
            out = alive_rate * tail * p_alive(model, x, t_x, T)
        else:
            r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
            # MBG/CNBD-k: an alive customer's rate has the posterior Gamma(r + kx, alpha + T)
            # and Erlang-k gaps come at 1/k of it in the long run, so the MBG/NBD formula
            # applies with r + kx and t / k (ignoring the tilt of the last, unfinished gap).
            k = int(p.get("k", 1))
            t, shape = t / k, r + k * x
            z = t / (alpha + T + t)
            shrink = ((alpha + T) / (alpha + T + t)) ** shape
            if model.kind in ("mbg_nbd", "mbg_cnbd"):
                first = (a + b + x) / (a - 1)
                hyp = hyp2f1(shape, b + x + 1, a + b + x, z)
            else:
                first = (a + b + x - 1) / (a - 1)
                hyp = hyp2f1(r + x, b + x, a + b + x - 1, z)
            out = first * (1 - shrink * hyp) * p_alive(model, x, t_x, T)
    return np.nan_to_num(np.asarray(out, dtype=float), nan=0.0, posinf=0.0, neginf=0.0)


def expected_spend_per_visit(model: SpendModel, x, mean_spend) -> np.ndarray:
    """Gamma-Gamma conditional expected spend per visit; the population mean without visits."""
    x = np.asarray(x, dtype=float)
    m = np.nan_to_num(np.asarray(mean_spend, dtype=float))
    conditional = (model.p * (model.gamma + x * m)) / (model.p * x + model.q - 1)
    return np.where((x >= 1) & (m > 0), conditional, model.population_mean)
