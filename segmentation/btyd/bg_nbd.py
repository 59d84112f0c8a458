"""The BG/NBD family of visit models: BG/NBD, MBG/NBD and MBG/CNBD-k. No Django import.

- ``bg_nbd``: BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"). A
  customer can drop out only right after a repeat visit, so one who never came back is
  certainly alive (P(alive) = 1 at x = 0).
- ``mbg_nbd``: MBG/NBD (Batislam, Denizel & Filiztekin 2007): BG/NBD with a dropout possible
  at time zero too, so a customer silent since the purchase becomes less likely to be alive
  the longer the silence lasts.
- ``mbg_cnbd``: MBG/CNBD-k (Reutterer, Platzer & Schröder 2021), MBG/NBD with Erlang-k gaps
  between visits (k = 1 is MBG/NBD), k chosen by likelihood (:func:`fit_regularity`).

Each one's per-row log-likelihood with its analytic gradient (for :func:`~segmentation.btyd.fitting.maximise`), P(alive)
and expected visits, in the parameters (r, alpha, a, b) (and k).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma, gammaln, hyp2f1

from segmentation.btyd.fitting import Family, Fit, maximise, per_distinct_x

#: The most regular visits MBG/CNBD-k considers: Erlang-k gaps have a coefficient of variation
#: of 1/sqrt(k), so k = 40 is a gap that varies by ±16 %, tighter than any maintenance plan.
MAX_K = 40

#: The parameters every model of the family fits (MBG/CNBD-k also has its k).
PARAMS = ("r", "alpha", "a", "b")


def _bgnbd_ln_a4(r: float, alpha: float, a: float, b: float, x, t_x) -> np.ndarray:
    """log A4 of BG/NBD's equation 6: the customer dropped out right after the last repeat
    visit (minus infinity without one)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            x > 0,
            np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )


def _bgnbd_ll(params: dict[str, float], x, t_x, T) -> np.ndarray:
    """BG/NBD (equation 6 of Fader, Hardie & Lee 2005)."""
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    ln_a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    ln_a2 = betaln(a, b + x) - betaln(a, b)
    ln_a3 = -(r + x) * np.log(alpha + T)
    ln_a4 = _bgnbd_ln_a4(r, alpha, a, b, x, t_x)
    return ln_a1 + ln_a2 + np.logaddexp(ln_a3, ln_a4)


def _bgnbd_ll_grad(params: dict[str, float], x, t_x, T) -> tuple[np.ndarray, ...]:
    """Per-row :func:`_bgnbd_ll` and its derivatives in the log-parameters (analytic)."""
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    ln_a1 = per_distinct_x(
        lambda v: gammaln(r + v) - gammaln(r) + betaln(a, b + v) - betaln(a, b), x
    )
    ln_a1 = ln_a1 + r * np.log(alpha)
    ln_a3 = -(r + x) * np.log(alpha + T)
    ln_a4 = _bgnbd_ln_a4(r, alpha, a, b, x, t_x)
    both = np.logaddexp(ln_a3, ln_a4)
    value = ln_a1 + both
    repeat = np.exp(ln_a4 - both)
    end = 1 - repeat
    d_r = (
        per_distinct_x(lambda v: digamma(r + v), x)
        - digamma(r)
        + np.log(alpha)
        - end * np.log(alpha + T)
        - repeat * np.log(alpha + t_x)
    )
    d_alpha = r / alpha - (r + x) * (end / (alpha + T) + repeat / (alpha + t_x))
    d_a = per_distinct_x(lambda v: digamma(a + b) - digamma(a + b + v), x) + repeat / a
    with np.errstate(divide="ignore", invalid="ignore"):
        d_b = per_distinct_x(
            lambda v: digamma(b + v) - digamma(a + b + v) - digamma(b) + digamma(a + b), x
        )
        d_b = d_b - np.where(x > 0, repeat / np.maximum(b + x - 1, 1e-300), 0.0)
    return value, d_r * r, d_alpha * alpha, d_a * a, d_b * b


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
        per_distinct_x(
            lambda v: betaln(a, b + v + 1) - betaln(a, b) + gammaln(r + k * v) - gammaln(r), x
        )
        + r * np.log(alpha)
        - rkx * np.log(alpha + T)
        + both
    )
    d_r = (
        per_distinct_x(lambda v: digamma(r + k * v), x)
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
    d_a = per_distinct_x(lambda v: digamma(a + b) - digamma(a + b + v + 1), x) + dropped / a
    d_b = per_distinct_x(lambda v: digamma(b + v + 1) - digamma(a + b + v + 1), x)
    d_b = d_b - digamma(b) + digamma(a + b) - dropped / (b + x)
    return value, d_r * r, d_alpha * alpha, d_a * a, d_b * b


def _regularity_ll(k: int, litt: float, visits: float) -> float:
    """The part of the MBG/CNBD-k log-likelihood that depends only on k: Erlang-k densities of
    the observed gaps contribute (k - 1) log(gap) - log((k - 1)!) per repeat visit (times in
    weeks; the rate terms are in the core)."""
    return (k - 1) * litt - math.lgamma(k) * visits


def mbg_cnbd_family(k: int, starts: tuple[tuple[float, ...], ...]) -> Family:
    """MBG/CNBD-k at a fixed k, to fit (r, alpha, a, b) from ``starts``."""
    return Family(
        PARAMS,
        lambda params, x, t_x, T: _mbgcnbd_core(params, x, t_x, T, k),
        starts,
        lambda params, x, t_x, T: _mbgcnbd_core_grad(params, x, t_x, T, k),
    )


BG_NBD = Family(PARAMS, _bgnbd_ll, ((1, 1, 1, 1),), _bgnbd_ll_grad)
# MBG/NBD is MBG/CNBD-k at k = 1 (Batislam, Denizel & Filiztekin 2007, equation 3).
MBG_NBD = mbg_cnbd_family(1, ((1, 1, 1, 1),))


def fit_regularity(
    rows: pd.DataFrame,
    columns: tuple[np.ndarray, ...],
    penalizer: float,
    max_k: int,
    start: dict[str, float] | None = None,
) -> tuple[Fit, int]:
    """MBG/CNBD-k at the k of highest likelihood.

    The search starts from ``start``'s k, else from the moment estimate k = 1 / (mean squared
    coefficient of variation of customers' gaps), then moves to a better neighbour while there
    is one (the profile likelihood of k is unimodal in practice); each fit starts from its
    neighbour's optimum (the first from ``start``, else from the fixed starts).
    """
    weights = rows["weight"].to_numpy(dtype=float)
    litt = float(rows["litt"].sum()) if "litt" in rows else None
    visits = float(np.sum(weights * columns[0]))
    fits: dict[int, Fit] = {}

    def total(k: int) -> float:
        if k not in fits:
            nearest = min(fits, key=lambda j: abs(j - k)) if fits else None
            if nearest is not None:
                starts = (tuple(fits[nearest].params.values()),)
            elif start:
                first = tuple(start[name] for name in PARAMS)
                starts = (first,)
            else:
                starts = MBG_NBD.starts
            fit = maximise(mbg_cnbd_family(k, starts), columns, weights, penalizer)
            extra = _regularity_ll(k, litt, visits) if litt is not None else 0.0
            fits[k] = Fit(fit.params, fit.log_likelihood + extra, fit.at_bound, fit.converged)
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


def p_alive(kind: str, params: dict[str, float], x, t_x, T) -> np.ndarray:
    """P(still active | x, t_x, T) under the model ``kind`` of the family (float arrays; the
    caller silences floating-point warnings)."""
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    if kind == "mbg_cnbd":
        k = int(params["k"])
        rkx = r + k * x
        ln_dropped = np.log(a) - np.log(b + x) + rkx * (np.log(alpha + T) - np.log(alpha + t_x))
        return 1.0 / (1.0 + np.exp(ln_dropped - _log_waiting(rkx, alpha, t_x, T, k)))
    ratio = np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + t_x)))
    if kind == "mbg_nbd":
        return 1.0 / (1.0 + (a / (b + x)) * ratio)
    repeat = 1.0 / (1.0 + (a / np.maximum(b + x - 1, 1e-300)) * ratio)
    return np.where(x > 0, repeat, 1.0)


def expected_visits(kind: str, params: dict[str, float], t: float, x, t_x, T) -> np.ndarray:
    """Expected visits in the next ``t`` weeks given (x, t_x, T) under the model ``kind`` of
    the family (float arrays; the caller silences floating-point warnings)."""
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    # MBG/CNBD-k: an alive customer's rate has the posterior Gamma(r + kx, alpha + T)
    # and Erlang-k gaps come at 1/k of it in the long run, so the MBG/NBD formula
    # applies with r + kx and t / k (ignoring the tilt of the last, unfinished gap).
    k = int(params.get("k", 1))
    t, shape = t / k, r + k * x
    z = t / (alpha + T + t)
    shrink = ((alpha + T) / (alpha + T + t)) ** shape
    if kind in ("mbg_nbd", "mbg_cnbd"):
        first = (a + b + x) / (a - 1)
        hyp = hyp2f1(shape, b + x + 1, a + b + x, z)
    else:
        first = (a + b + x - 1) / (a - 1)
        hyp = hyp2f1(r + x, b + x, a + b + x - 1, z)
    return first * (1 - shrink * hyp) * p_alive(kind, params, x, t_x, T)
