"""The Pareto/NBD visit model (Schmittlein, Morrison & Colombo 1987): dropout at any moment,
in the form of Fader & Hardie's derivations note (2005). No Django import.

Its per-row log-likelihood, P(alive) and expected visits, in the parameters
(r, alpha, s, beta).
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln, hyp2f1

from segmentation.btyd.fitting import Family


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


PARETO_NBD = Family(("r", "alpha", "s", "beta"), _pareto_ll, ((1, 1, 1, 1), (0.5, 10, 0.5, 10)))


def p_alive(params: dict[str, float], x, t_x, T) -> np.ndarray:
    """P(still active | x, t_x, T) (float arrays; the caller silences floating-point
    warnings)."""
    r, alpha, s, beta = params["r"], params["alpha"], params["s"], params["beta"]
    log_odds = (
        np.log(s)
        - np.log(r + s + x)
        + (r + x) * np.log(alpha + T)
        + s * np.log(beta + T)
        + _pareto_log_a0(params, x, t_x, T)
    )
    alive = 1.0 / (1.0 + np.exp(log_odds))
    return np.where(t_x < T, alive, 1.0)


def expected_visits(params: dict[str, float], t: float, x, t_x, T) -> np.ndarray:
    """Expected visits in the next ``t`` weeks given (x, t_x, T) (float arrays; the caller
    silences floating-point warnings)."""
    r, alpha, s, beta = params["r"], params["alpha"], params["s"], params["beta"]
    # E[Y(t) | alive] * P(alive), Fader & Hardie's note, equation 41.
    if abs(s - 1) < 1e-9:
        tail = np.log((beta + T + t) / (beta + T))
    else:
        tail = (1 - ((beta + T) / (beta + T + t)) ** (s - 1)) / (s - 1)
    alive_rate = (r + x) * (beta + T) / (alpha + T)
    return alive_rate * tail * p_alive(params, x, t_x, T)
