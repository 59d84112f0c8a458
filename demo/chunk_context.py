"""What every table generator of a chunk shares: the staff its rows refer to, the next free
primary keys, the stamp every row carries, and dates counted back from the demo's today.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

SHANGHAI = "Asia/Shanghai"


@dataclass(frozen=True)
class Staff:
    """Ids of the demo users the generated rows refer to."""

    advisor_ids: tuple[int, ...]
    marketing_ids: tuple[int, ...]


@dataclass
class IdCursor:
    """Next free primary key per table, so chunks get disjoint explicit ids."""

    next_ids: dict[str, int] = field(default_factory=dict)

    def take(self, table: str, count: int) -> np.ndarray:
        start = self.next_ids.get(table, 1)
        self.next_ids[table] = start + count
        return np.arange(start, start + count, dtype=np.int64)


def frame_stamp(
    frame: pd.DataFrame, now: pd.Timestamp, source: str = "", external: list | None = None
) -> pd.DataFrame:
    """Add the columns every generated row carries: its source system and external id, and
    when it was written (``now``)."""
    frame["source"] = source
    frame["external_id"] = external if external is not None else None
    frame["created_at"] = now
    frame["updated_at"] = now
    return frame


def dates_before(days: np.ndarray, as_of: dt.date) -> np.ndarray:
    """``as_of`` minus ``days`` as numpy datetime64[D]."""
    return np.datetime64(as_of, "D") - days.astype("timedelta64[D]")
