"""Each customer's visit history for the buy-till-you-die models (R4.3, R4.4): (x, t_x, T) in
weeks, the gaps' statistics and paid spend, as of the as-of day and as of the backtest's
cut-off with what followed. No Django import."""

from __future__ import annotations

import numpy as np
import pandas as pd

from segmentation import backtest
from segmentation import per_customer as pc
from segmentation.input_rows import DAYS_PER_WEEK, Columns, InputRows
from segmentation.scoring_settings import ScoringSettings


def visit_history(
    out: pd.DataFrame,
    at: InputRows,
    visits: Columns,
    purchases: Columns,
    reached: Columns,
    settings: ScoringSettings,
) -> None:
    """Add the visit history for the buy-till-you-die models as of the as-of day, and as of the
    backtest's cut-off with what happened after it (``bt_`` columns, see
    :mod:`segmentation.backtest`), including whether win-back work reached the customer
    after the cut-off (``reached``: win-back contacts).

    Transactions are the first car purchase and every visit day; the first of them is the
    birth and the others are repeats. Sorted once by customer and day, each customer's are a
    run of rows, and those up to the cut-off a prefix of it, so both dates are read from the
    same rows with ``reduceat`` (no ``ufunc.at``, no filtered copies of ten million rows).
    """
    first_purchase = pc.minimum(purchases["pos"], purchases["day"], at.n, empty=2**62)
    bought = first_purchase < 2**62
    pos, day = pc.distinct_days(
        np.concatenate([visits["pos"], np.flatnonzero(bought)]),
        np.concatenate([visits["day"], first_purchase[bought]]),
    )
    cutoff = backtest.cutoff_day(at.end_day, settings.backtest_months)
    out.attrs["backtest_weeks"] = (at.end_day - cutoff) / DAYS_PER_WEEK
    paid = visits["amount"] > 0
    paid_before = paid & (visits["day"] <= cutoff)
    history = _Histories(at.n, pos, day)
    now = history.at(at.end_day, None)
    now |= _paid(at.n, visits["pos"], visits["amount"], paid)
    then = history.at(cutoff, day <= cutoff)
    then |= _paid(at.n, visits["pos"], visits["amount"], paid_before)
    for name, values in now.items():
        out[name] = values
    for name, values in then.items():
        out[f"bt_{name}"] = values
    out["btyd_known"] = (out["T"] > 0).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["mean_paid"] = np.where(out["n_paid"] > 0, out["paid_sum"] / out["n_paid"], 0.0)
    # Repeat visits and paid spend after the cut-off, of customers born before it.
    out["bt_visits"] = np.where(then["T"] > 0, now["x"] - then["x"], 0.0)
    out["bt_spend"] = np.where(then["T"] > 0, now["paid_sum"] - then["paid_sum"], 0.0)
    after = reached["day"] > cutoff
    out["bt_reached"] = pc.count(reached["pos"][after], at.n) > 0


class _Histories:
    """Each customer's transaction days (``pos``, ``day`` sorted by position then day) as
    runs of rows, read as of any day by :meth:`at`."""

    def __init__(self, n: int, pos: np.ndarray, day: np.ndarray) -> None:
        self.n, self.day = n, day
        self.starts = np.flatnonzero(np.concatenate([[True], pos[1:] != pos[:-1]]))[: len(pos)]
        self.owner = pos[self.starts]
        self.rows = np.diff(np.append(self.starts, len(pos)))
        # Per row: the gap in weeks since the customer's previous transaction (0 on the first).
        weeks = np.zeros(len(day))
        weeks[1:] = (day[1:] - day[:-1]) / DAYS_PER_WEEK
        weeks[self.starts] = 0.0
        with np.errstate(divide="ignore"):
            self.log_gap = np.where(weeks > 0, np.log(weeks), 0.0)
        self.square_gap = weeks**2

    def at(self, end_day: int, upto: np.ndarray | None) -> dict[str, np.ndarray]:
        """(x, t_x, T) in weeks and the gaps' statistics as of ``end_day``; ``upto`` marks the
        rows up to that day (None: all)."""
        n, starts = self.n, self.starts
        if len(starts) == 0:
            empty = np.zeros(n)
            return {"x": empty, "t_x": empty, "T": np.full(n, np.nan), "litt": empty,
                    "gap_cv2": np.full(n, np.nan)}  # fmt: skip
        if upto is None:
            rows, log_gap, square_gap = self.rows, self.log_gap, self.square_gap
        else:
            rows = np.add.reduceat(upto.astype(np.int64), starts)
            log_gap, square_gap = self.log_gap * upto, self.square_gap * upto
        has = rows > 0
        who = self.owner[has]
        count = np.zeros(n, dtype=np.int64)
        count[who] = rows[has]
        birth = np.zeros(n, dtype=np.int64)
        birth[who] = self.day[starts[has]]
        last = np.zeros(n, dtype=np.int64)
        last[who] = self.day[starts[has] + rows[has] - 1]
        litt, squares = np.zeros(n), np.zeros(n)
        litt[who] = np.add.reduceat(log_gap, starts)[has]
        squares[who] = np.add.reduceat(square_gap, starts)[has]
        gap_count = np.maximum(count - 1, 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_gap = (last - birth) / DAYS_PER_WEEK / gap_count
            cv2 = squares / gap_count / mean_gap**2 - 1
        return {
            "x": gap_count.astype(float),
            "t_x": (last - birth) / DAYS_PER_WEEK,
            "T": np.where(count > 0, (end_day - birth) / DAYS_PER_WEEK, np.nan),
            # Sum of log gaps (weeks): MBG/CNBD-k's regularity statistic.
            "litt": litt,
            # Squared CV of the gaps (3 or more), whose mean estimates 1 / k (see btyd.bg_nbd).
            "gap_cv2": np.where(gap_count >= 3, np.maximum(cv2, 0.0), np.nan),
        }


def _paid(n: int, pos: np.ndarray, amount: np.ndarray, paid: np.ndarray) -> dict[str, np.ndarray]:
    """Paid visits and their sum per customer, of the visits marked ``paid``."""
    return {
        "n_paid": np.bincount(pos, weights=paid, minlength=n).astype(np.int64),
        "paid_sum": np.bincount(pos, weights=np.where(paid, amount, 0.0), minlength=n),
    }
