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

#: One query per input table, raw columns only: joining and summing in pandas is faster than
#: in the database here, and keeps the load close to the floor of copying the tables out.
INPUT_QUERIES = {
    "customers": "SELECT id AS customer_id FROM customers_customer",
    "purchases": "SELECT customer_id, purchased_on, price_paid FROM vehicles_purchase",
    "vehicles": "SELECT id AS vehicle_id, owner_id AS customer_id FROM vehicles_vehicle",
    "readings": (
        "SELECT vehicle_id, read_on, km, is_meter_replacement FROM vehicles_odometerreading"
    ),
    "orders": "SELECT id AS order_id, customer_id, opened_on FROM vehicles_serviceorder",
    "order_lines": "SELECT order_id, amount FROM vehicles_serviceorderline",
    "surveys": "SELECT customer_id, surveyed_on, overall FROM contacts_satisfactionsurvey",
    "complaints": (
        f"SELECT customer_id, opened_at, status IN ({_UNRESOLVED}) AS is_unresolved "
        "FROM contacts_complaint"
    ),
    "value_events": "SELECT customer_id, layer, occurred_on FROM customers_valueevent",
}

_DATES = {
    "purchases": ["purchased_on"],
    "readings": ["read_on"],
    "orders": ["opened_on"],
    "surveys": ["surveyed_on"],
    "complaints": ["opened_at"],
    "value_events": ["occurred_on"],
}
_DTYPES = {
    "customers": {"customer_id": "int64"},
    "purchases": {"customer_id": "int64", "price_paid": "float64"},
    "vehicles": {"vehicle_id": "int64", "customer_id": "Int64"},
    "readings": {"vehicle_id": "int64", "km": "int64", "is_meter_replacement": "bool"},
    "orders": {"order_id": "int64", "customer_id": "int64"},
    "order_lines": {"order_id": "int64", "amount": "float64"},
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
    """Every input of the pipeline: one query per table, joined and summed in pandas."""
    raw = {
        name: _typed(name, read_frame(sql, dtype=_DTYPES[name]))
        for name, sql in INPUT_QUERIES.items()
    }
    orders, lines = raw.pop("orders"), raw.pop("order_lines")
    amounts = lines.groupby("order_id")["amount"].sum()
    visits = orders.assign(amount=amounts.reindex(orders["order_id"]).fillna(0.0).to_numpy())
    vehicles, readings = raw.pop("vehicles"), raw.pop("readings")
    owners = vehicles.dropna(subset=["customer_id"]).set_index("vehicle_id")["customer_id"]
    readings = readings.assign(customer_id=owners.reindex(readings["vehicle_id"]).to_numpy())
    odometer = readings.dropna(subset=["customer_id"]).astype({"customer_id": "int64"})
    return ScoringInputs(visits=visits, odometer=odometer, **raw)


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
