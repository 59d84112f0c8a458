"""What every buy-till-you-die fit shares: collapsed rows, special functions computed once per
distinct repeat count, and the bounded L-BFGS-B maximisation of a weighted log-likelihood.
No Django import.

The fits maximise the likelihood over the logarithms of the parameters with L-BFGS-B, from a
fixed list of starting points, inside bounds. The bounds matter: on data where every customer
has the same dropout probability the BG/NBD optimum lies at a → ∞, b → ∞ with a / (a + b)
fixed, and an unbounded optimiser fails there; a bounded one stops at the edge, which is the
same model to within the bound, and the fit records which parameters ended there. Several
starts make the result independent of the order of the rows and of a bad first guess.

The fits run on *collapsed* rows: customers with the same (x, t_x, T), after rounding times to
a resolution (see :func:`segmentation.btyd.visit_model.visit_rows`), become one row with a
weight. Predictions use each customer's exact values.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize

#: Bounds of the fitted parameters' logarithms: e^±12 covers every fit seen on CDNOW and the
#: demo dealership; a parameter at a bound says the optimum is a limit (e.g. no heterogeneity).
LOG_BOUNDS = (-12.0, 12.0)


def collapse(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Group identical rows of ``columns`` into one row with a ``weight`` count."""
    return frame.groupby(columns, sort=False).size().rename("weight").reset_index()


def merge_rows(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    """Collapsed rows of several shards as the collapsed rows of their union (the other
    columns summed), sorted, so the fit sees the same rows in the same order however the
    customers were split."""
    rows = pd.concat(parts, ignore_index=True)
    sums = [c for c in rows.columns if c not in columns]
    return rows.groupby(columns, sort=True)[sums].sum().reset_index()


def float_arrays(*values) -> tuple[np.ndarray, ...]:
    """Each of ``values`` as a float array."""
    return tuple(np.asarray(v, dtype=float) for v in values)


@functools.lru_cache(maxsize=4)
def _distinct(key: bytes) -> tuple[np.ndarray, np.ndarray]:
    values, index = np.unique(np.frombuffer(key), return_inverse=True)
    return values, index


def per_distinct_x(function: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    """``function(x)`` computed once per distinct x: a fit's tens of thousands of rows have a
    few dozen repeat counts, and the special functions of x are most of a gradient's cost."""
    values, index = _distinct(np.ascontiguousarray(x, dtype=float).tobytes())
    return function(values)[index]


@dataclass(frozen=True)
class Family:
    """A model to fit: its parameters' names, per-row log-likelihood and starting points
    (parameter values, not logs)."""

    names: tuple[str, ...]
    log_likelihood: Callable[..., np.ndarray]
    starts: tuple[tuple[float, ...], ...]
    #: Per-row log-likelihood and its derivatives in the log-parameters, when known.
    with_gradient: Callable[..., tuple[np.ndarray, ...]] | None = None


@dataclass(frozen=True)
class Fit:
    """The best of :func:`maximise`'s starts: parameters, total weighted log-likelihood, the
    parameters that ended at a bound, and whether the optimiser converged."""

    params: dict[str, float]
    log_likelihood: float
    at_bound: tuple[str, ...]
    converged: bool


def maximise(family: Family, columns: tuple[np.ndarray, ...], weights, penalizer: float) -> Fit:
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
    return Fit(params, ll, at_bound, bool(best.success) and np.isfinite(ll))


class FitError(ValueError):
    """The likelihood could not be evaluated at any starting point (degenerate data)."""
