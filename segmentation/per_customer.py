"""Per-customer sums, counts and extremes of event rows with numpy. No Django import.

The scoring reduces tens of millions of rows (visits, readings, surveys) to one value per
customer. Grouping by customer id with pandas hashes the ids again for every statistic; here
each table's ids are turned into output positions once, and every statistic is one
``bincount`` or ``ufunc.at`` pass over those positions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


class Positions:
    """Where each customer id sits in the output (0..n-1)."""

    def __init__(self, customer_ids: np.ndarray) -> None:
        ids = np.asarray(customer_ids, dtype=np.int64)
        self.n = len(ids)
        self._dense: np.ndarray | None = None
        self._index: pd.Index | None = None
        if self.n and ids.min() >= 0 and ids.max() <= 4 * self.n + 1_000_000:
            self._dense = np.full(int(ids.max()) + 1, -1, dtype=np.int64)
            self._dense[ids] = np.arange(self.n)
        else:
            self._index = pd.Index(ids)

    def of(self, customer_ids) -> np.ndarray:
        """Positions of ``customer_ids``; -1 for ids not in the output."""
        ids = np.asarray(customer_ids, dtype=np.int64)
        if self._dense is None:
            return self._index.get_indexer(ids) if self._index is not None else -np.ones_like(ids)
        inside = (ids >= 0) & (ids < len(self._dense))
        return np.where(inside, self._dense[np.where(inside, ids, 0)], -1)


def count(pos: np.ndarray, n: int) -> np.ndarray:
    """Rows per position."""
    return np.bincount(pos, minlength=n).astype(np.int64)


def total(pos: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Sum of ``values`` per position (0.0 where none)."""
    return np.bincount(pos, weights=np.asarray(values, dtype=float), minlength=n)


def maximum(pos: np.ndarray, values: np.ndarray, n: int, empty: int) -> np.ndarray:
    """Largest integer value per position; ``empty`` where none."""
    out = np.full(n, empty, dtype=np.int64)
    np.maximum.at(out, pos, np.asarray(values, dtype=np.int64))
    return out


def minimum(pos: np.ndarray, values: np.ndarray, n: int, empty: int) -> np.ndarray:
    """Smallest integer value per position; ``empty`` where none."""
    out = np.full(n, empty, dtype=np.int64)
    np.minimum.at(out, pos, np.asarray(values, dtype=np.int64))
    return out


def day_numbers(values) -> np.ndarray:
    """Whole days since 1970-01-01 of datetime64 values."""
    return np.asarray(values, dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)


def distinct_days(pos: np.ndarray, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (position, day) pairs, sorted by position then day."""
    if not len(pos):
        return pos.astype(np.int64), days.astype(np.int64)
    low = int(days.min())
    span = int(days.max()) - low + 1
    keys = np.sort(pos.astype(np.int64) * span + (days - low))
    # Sorting then dropping repeats: several times faster here than np.unique on integers.
    keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])]
    return keys // span, keys % span + low
