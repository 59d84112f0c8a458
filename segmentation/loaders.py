"""Read the scoring inputs with one set-based query per table, write results in bulk.

The frames match :class:`segmentation.pipeline.ScoringInputs`. On PostgreSQL each query streams
through ``COPY (...) TO STDOUT``; elsewhere it is one plain query.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection

from contacts.models import UNRESOLVED_STATUSES, ContactOutcome, ContactType
from customers.bulk import PARALLEL_CONNECTIONS, read_frame, read_frames, write_frame
from segmentation.models import CustomerScore
from segmentation.pipeline import ScoringInputs

_UNRESOLVED = ", ".join(f"'{s.value}'" for s in UNRESOLVED_STATUSES)

#: One query per input table, raw columns only: joining and summing in pandas is faster than
#: in the database here, and keeps the load close to the floor of copying the tables out.
INPUT_QUERIES = {
    # Largest first: the connections reading at once then finish close together.
    "order_lines": (
        "SELECT order_id, CAST(amount AS DOUBLE PRECISION) AS amount FROM vehicles_serviceorderline"
    ),
    "readings": (
        "SELECT vehicle_id, read_on, km, is_meter_replacement FROM vehicles_odometerreading"
    ),
    "orders": "SELECT id AS order_id, customer_id, opened_on FROM vehicles_serviceorder",
    "surveys": "SELECT customer_id, surveyed_on, overall FROM contacts_satisfactionsurvey",
    "purchases": (
        "SELECT customer_id, purchased_on, CAST(price_paid AS DOUBLE PRECISION) AS price_paid "
        "FROM vehicles_purchase"
    ),
    "vehicles": "SELECT id AS vehicle_id, owner_id AS customer_id FROM vehicles_vehicle",
    "customers": "SELECT id AS customer_id FROM customers_customer",
    "value_events": "SELECT customer_id, layer, occurred_on FROM customers_valueevent",
    "complaints": (
        f"SELECT customer_id, opened_at, status IN ({_UNRESOLVED}) AS is_unresolved "
        "FROM contacts_complaint"
    ),
    # For the backtest: who the department reached with win-back work (their visits after it
    # are partly its effect, not the model's to foresee).
    "win_back_contacts": "SELECT customer_id, contacted_at FROM contacts_contactlog",
}

#: Rows every run skips: a vehicle without an owner counts for nobody's mileage.
_FILTERS = {
    "vehicles": "owner_id IS NOT NULL",
    "win_back_contacts": (
        f"contact_type = '{ContactType.WIN_BACK.value}' AND outcome = '{ContactOutcome.REACHED.value}'"
    ),
}

#: How each input query keeps one shard's customers (``customer_id % shards = shard``);
#: readings and order lines follow their vehicle's owner and their order's customer.
_SHARD_FILTERS = {
    "customers": "id % {n} = {k}",
    "purchases": "customer_id % {n} = {k}",
    "vehicles": "owner_id % {n} = {k}",
    "readings": "vehicle_id IN (SELECT id FROM vehicles_vehicle WHERE owner_id % {n} = {k})",
    "orders": "customer_id % {n} = {k}",
    "order_lines": (
        "order_id IN (SELECT id FROM vehicles_serviceorder WHERE customer_id % {n} = {k})"
    ),
    "surveys": "customer_id % {n} = {k}",
    "complaints": "customer_id % {n} = {k}",
    "value_events": "customer_id % {n} = {k}",
    "win_back_contacts": "customer_id % {n} = {k}",
}


def input_queries(shard: int = 0, shards: int = 1) -> dict[str, str]:
    """The input queries, for every customer or for one shard of ``shards``."""
    queries = {}
    for name, sql in INPUT_QUERIES.items():
        conditions = [_FILTERS[name]] if name in _FILTERS else []
        if shards > 1:
            conditions.append(_SHARD_FILTERS[name].format(n=int(shards), k=int(shard)))
        queries[name] = f"{sql} WHERE {' AND '.join(conditions)}" if conditions else sql
    return queries


_DATES = {
    "purchases": ["purchased_on"],
    "readings": ["read_on"],
    "orders": ["opened_on"],
    "surveys": ["surveyed_on"],
    "complaints": ["opened_at"],
    "value_events": ["occurred_on"],
    "win_back_contacts": ["contacted_at"],
}
#: Inputs whose times are stored in UTC and read as the dealership's naive local time.
_AWARE = {"complaints", "win_back_contacts"}
_DTYPES = {
    "customers": {"customer_id": "int64"},
    "purchases": {"customer_id": "int64", "price_paid": "float64"},
    "vehicles": {"vehicle_id": "int64", "customer_id": "int64"},
    "readings": {"vehicle_id": "int64", "km": "int64", "is_meter_replacement": "bool"},
    "orders": {"order_id": "int64", "customer_id": "int64"},
    "order_lines": {"order_id": "int64", "amount": "float64"},
    "surveys": {"customer_id": "int64", "overall": "int64"},
    "complaints": {"customer_id": "int64", "is_unresolved": "bool"},
    "value_events": {"customer_id": "int64"},
    "win_back_contacts": {"customer_id": "int64"},
}


def _typed(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as datetime64; stored times (complaints, contacts) as naive local time."""
    for column in _DATES.get(name, []):
        values = frame[column]
        if name in _AWARE:
            # Stored in UTC: text and naive values are UTC too.
            values = pd.to_datetime(values, utc=True, format="ISO8601")
            frame[column] = values.dt.tz_convert(settings.TIME_ZONE).dt.tz_localize(None)
        elif not pd.api.types.is_datetime64_any_dtype(values):
            frame[column] = pd.to_datetime(values, format="ISO8601")
    return frame


def inputs_load(shard: int = 0, shards: int = 1) -> ScoringInputs:
    """The pipeline's inputs for every customer, or for one shard of them: one query per
    table, joined and summed in pandas."""
    raw = _read_all(input_queries(shard, shards))
    orders, lines = raw.pop("orders"), raw.pop("order_lines")
    visits = orders.assign(
        amount=_sum_by_id(lines["order_id"], lines["amount"], orders["order_id"])
    )
    vehicles, readings = raw.pop("vehicles"), raw.pop("readings")
    owner = _lookup(vehicles["vehicle_id"], vehicles["customer_id"], readings["vehicle_id"])
    odometer = readings.assign(customer_id=owner)[owner >= 0]
    return ScoringInputs(visits=visits, odometer=odometer, **raw)


def _sum_by_id(ids: pd.Series, values: pd.Series, wanted: pd.Series) -> np.ndarray:
    """Sum of ``values`` per id, for each of ``wanted`` (0.0 for ids without values)."""
    ids, wanted = ids.to_numpy(dtype=np.int64), wanted.to_numpy(dtype=np.int64)
    size = int(max(ids.max(initial=0), wanted.max(initial=0))) + 1
    sums = np.bincount(ids, weights=values.to_numpy(dtype=float), minlength=size)
    return sums[wanted]


def _lookup(keys: pd.Series, values: pd.Series, wanted: pd.Series) -> np.ndarray:
    """The value of each of ``wanted`` keys (non-negative ids); -1 for keys not given."""
    keys, wanted = keys.to_numpy(dtype=np.int64), wanted.to_numpy(dtype=np.int64)
    table = np.full(int(max(keys.max(initial=0), wanted.max(initial=0))) + 1, -1, dtype=np.int64)
    table[keys] = values.to_numpy(dtype=np.int64)
    return table[wanted]


#: Connections reading inputs (and writing results) at once on PostgreSQL.
LOAD_CONNECTIONS = PARALLEL_CONNECTIONS


def _read_all(queries: dict[str, str]) -> dict[str, pd.DataFrame]:
    """Every input query's rows, typed, read as of one moment (see ``read_frames``)."""
    frames = read_frames({name: (sql, None) for name, sql in queries.items()}, _DTYPES)
    return {name: _typed(name, frame) for name, frame in frames.items()}


def previous_load(run_id: int, shard: int = 0, shards: int = 1) -> pd.DataFrame:
    """The growth baseline: a run's future value and segment per customer (of one shard)."""
    return read_frame(
        "SELECT customer_id, future_value, rfm_segment FROM segmentation_customerscore "
        "WHERE run_id = %s AND customer_id %% %s = %s",
        [run_id, shards, shard],
    )


SCORE_COLUMNS = [
    f.column for f in CustomerScore._meta.concrete_fields if f.column not in ("id", "run_id")
]


def scores_write(run_id: int, customers: pd.DataFrame) -> int:
    """Write one run's results, or one shard's (COPY on PostgreSQL); returns rows written."""
    frame = customers[SCORE_COLUMNS].copy()
    frame.insert(0, "run_id", run_id)
    frame["value_tier"] = frame["value_tier"].astype("Int64")
    table = CustomerScore._meta.db_table
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        write_frame(table, frame)
        return len(frame)

    # Outside a transaction the rows are invisible until the run is made current, so parts
    # can go over several connections at once; a failure deletes the run's rows.
    def write_part(part: pd.DataFrame) -> None:
        try:
            write_frame(table, part)
        finally:
            connection.close()

    size = -(-len(frame) // LOAD_CONNECTIONS)
    parts = [frame.iloc[start : start + size] for start in range(0, len(frame), size)]
    with ThreadPoolExecutor(LOAD_CONNECTIONS) as pool:
        list(pool.map(write_part, parts))
    return len(frame)


def shard_scores_delete(run_id: int, shard: int, shards: int) -> None:
    """Drop what an earlier attempt of a shard wrote, so a retried shard writes it once."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM segmentation_customerscore WHERE run_id = %s AND customer_id %% %s = %s",
            [run_id, shards, shard],
        )


def tier_candidates_load(run_id: int, statuses: tuple[str, ...]) -> pd.Series:
    """The future values of a run's customers ranked into value tiers, exactly as stored."""
    values = CustomerScore.objects.filter(run_id=run_id, status__in=statuses).values_list(
        "future_value", flat=True
    )
    return pd.Series(list(values), dtype="float64")


def value_tiers_write(run_id: int, statuses: tuple[str, ...], edges: list[float]) -> int:
    """Set the value tier of a run's candidates in one UPDATE: 1 + the edges they fall below
    (tiers rank negated future values, see ``future_value.value_tier_edges``)."""
    below = "".join(" + CASE WHEN future_value < %s THEN 1 ELSE 0 END" for _ in edges)
    placeholders = ", ".join(["%s"] * len(statuses))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE segmentation_customerscore SET value_tier = 1{below} "
            f"WHERE run_id = %s AND status IN ({placeholders})",
            [*(-float(e) for e in edges), run_id, *statuses],
        )
        return cursor.rowcount
