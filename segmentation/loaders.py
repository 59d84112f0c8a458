"""Read the scoring inputs with one set-based query per table, write results in bulk.

The frames match :class:`segmentation.pipeline.ScoringInputs`. On PostgreSQL each query streams
through ``COPY (...) TO STDOUT``; elsewhere it is one plain query.
"""

from __future__ import annotations

import pandas as pd
from django.conf import settings

from contacts.models import UNRESOLVED_STATUSES
from customers.bulk import read_frame, write_frame
from segmentation.models import CustomerScore
from segmentation.pipeline import ScoringInputs

_UNRESOLVED = ", ".join(f"'{s.value}'" for s in UNRESOLVED_STATUSES)

#: One query per input table (the benchmark's floor copies exactly these out).
INPUT_QUERIES = {
    "customers": "SELECT id AS customer_id FROM customers_customer",
    "purchases": "SELECT customer_id, purchased_on, price_paid FROM vehicles_purchase",
    "odometer": (
        "SELECT v.owner_id AS customer_id, o.vehicle_id, o.read_on, o.km, o.is_meter_replacement "
        "FROM vehicles_odometerreading o JOIN vehicles_vehicle v ON v.id = o.vehicle_id "
        "WHERE v.owner_id IS NOT NULL"
    ),
    # Summed per order in the database: the pipeline scores visits, not lines.
    "visits": (
        "SELECT o.id AS order_id, o.customer_id, o.opened_on, COALESCE(l.amount, 0) AS amount "
        "FROM vehicles_serviceorder o LEFT JOIN (SELECT order_id, SUM(amount) AS amount "
        "FROM vehicles_serviceorderline GROUP BY order_id) l ON l.order_id = o.id"
    ),
    "surveys": "SELECT customer_id, surveyed_on, overall FROM contacts_satisfactionsurvey",
    "complaints": (
        f"SELECT customer_id, opened_at, status IN ({_UNRESOLVED}) AS is_unresolved "
        "FROM contacts_complaint"
    ),
    "value_events": "SELECT customer_id, layer, occurred_on FROM customers_valueevent",
}
#: The raw columns the input queries read, table by table: the benchmark's floor copies these.
RAW_INPUT_COLUMNS = {
    "customers_customer": "id",
    "vehicles_purchase": "customer_id, purchased_on, price_paid",
    "vehicles_vehicle": "id, owner_id",
    "vehicles_odometerreading": "vehicle_id, read_on, km, is_meter_replacement",
    "vehicles_serviceorder": "id, customer_id, opened_on",
    "vehicles_serviceorderline": "order_id, amount",
    "contacts_satisfactionsurvey": "customer_id, surveyed_on, overall",
    "contacts_complaint": "customer_id, opened_at, status",
    "customers_valueevent": "customer_id, layer, occurred_on",
}

_DATES = {
    "purchases": ["purchased_on"],
    "odometer": ["read_on"],
    "visits": ["opened_on"],
    "surveys": ["surveyed_on"],
    "complaints": ["opened_at"],
    "value_events": ["occurred_on"],
}
_DTYPES = {
    "customers": {"customer_id": "int64"},
    "purchases": {"customer_id": "int64", "price_paid": "float64"},
    "odometer": {
        "customer_id": "int64",
        "vehicle_id": "int64",
        "km": "int64",
        "is_meter_replacement": "bool",
    },
    "visits": {"order_id": "int64", "customer_id": "int64", "amount": "float64"},
    "surveys": {"customer_id": "int64", "overall": "int64"},
    "complaints": {"customer_id": "int64", "is_unresolved": "bool"},
    "value_events": {"customer_id": "int64"},
}


def _typed(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    for column in _DATES.get(name, []):
        if name == "complaints":
            values = pd.to_datetime(frame[column], utc=True, format="ISO8601")
            frame[column] = values.dt.tz_convert(settings.TIME_ZONE).dt.tz_localize(None)
        else:
            frame[column] = pd.to_datetime(frame[column], format="ISO8601")
    return frame


def inputs_load() -> ScoringInputs:
    """Every input table of the pipeline, one query each."""
    return ScoringInputs(
        **{
            name: _typed(name, read_frame(sql, dtype=_DTYPES[name]))
            for name, sql in INPUT_QUERIES.items()
        }
    )


def previous_load(run_id: int) -> pd.DataFrame:
    """The growth baseline: a run's future value and segment per customer."""
    return read_frame(
        "SELECT customer_id, future_value, rfm_segment FROM segmentation_customerscore WHERE run_id = %s",
        [run_id],
    )


SCORE_COLUMNS = [
    f.column for f in CustomerScore._meta.concrete_fields if f.column not in ("id", "run_id")
]


def scores_write(run_id: int, customers: pd.DataFrame) -> int:
    """Write one run's results (COPY on PostgreSQL); returns rows written."""
    frame = customers[SCORE_COLUMNS].copy()
    frame.insert(0, "run_id", run_id)
    frame["value_tier"] = frame["value_tier"].astype("Int64")
    write_frame(CustomerScore._meta.db_table, frame)
    return len(frame)
