"""The scoring's input tables as numpy columns per customer position, as of the as-of day, and
the day arithmetic every scoring step shares. No Django import."""

from __future__ import annotations

import numpy as np
import pandas as pd

from segmentation import per_customer as pc

DAYS_PER_WEEK = 7.0
DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / 12

#: One input table as numpy columns (see :meth:`InputRows.rows`).
Columns = dict[str, np.ndarray]


class InputRows:
    """An input table as numpy columns: ``pos`` (the customer's output position) and ``day``
    (days since 1970), keeping rows of known customers up to the as-of day."""

    def __init__(self, positions: pc.Positions, end_day: int) -> None:
        self.positions, self.end_day, self.n = positions, int(end_day), positions.n

    def rows(self, frame: pd.DataFrame, date_column: str, *columns: str) -> Columns:
        if frame.empty:
            empty = {"pos": np.zeros(0, np.int64), "day": np.zeros(0, np.int64)}
            return empty | {c: frame[c].to_numpy() if c in frame else np.zeros(0) for c in columns}
        pos = self.positions.of(frame["customer_id"].to_numpy())
        day = pc.day_numbers(frame[date_column])
        keep = (pos >= 0) & (day <= self.end_day)
        data = {"pos": pos[keep], "day": day[keep]}
        return data | {c: frame[c].to_numpy()[keep] for c in columns}

    def since(self, days: np.ndarray, empty: np.ndarray) -> np.ndarray:
        """Days from ``days`` to the as-of day; NaN where ``empty``."""
        return np.where(empty, np.nan, self.end_day - days.astype(float))

    def in_last(self, days: np.ndarray, months: float) -> np.ndarray:
        """Days after the start of a window of ``months`` ending on the as-of day."""
        return days > self.end_day - months * DAYS_PER_MONTH


def by_customer(out: pd.DataFrame, series: pd.Series, fill=np.nan) -> np.ndarray:
    """``series`` (indexed by customer id) for each row of ``out``; ``fill`` where missing."""
    return (
        series.reindex(out["customer_id"]).fillna(fill).to_numpy()
        if len(series)
        else np.full(len(out), fill, dtype=float)
    )
