"""The service history of a generated chunk: visits until the car leaves or the customer
lapses, their lines by category following the customer's character, and odometer readings
that only go up.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from demo import catalogue
from demo.chunk_context import IdCursor, dates_before, frame_stamp


def service_history_generate(
    rng: np.random.Generator,
    span: pd.DataFrame,
    character: np.ndarray,
    as_of: dt.date,
    ids: IdCursor,
    now: pd.Timestamp,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Visits every 5-12 months per customer until the car leaves or the customer lapses."""
    m = len(span)
    customer_ids = span["customer_id"].to_numpy()
    first_cid = customer_ids.min()
    char_of = character[customer_ids - first_cid]
    interval = rng.uniform(120, 300, m)
    annual_km = np.clip(rng.lognormal(np.log(13_000), 0.45, m), 2_000, 60_000)
    # A third of customers stop coming at some point: the lapsed ones win-back work is for.
    lapses = rng.random(m) < 0.3
    lapse_age = np.where(lapses, rng.integers(0, 5 * 365, m), 0)
    start_age = span["start_age"].to_numpy()
    end_age = np.maximum(span["end_age"].to_numpy(), lapse_age)
    active_days = np.clip(start_age - end_age, 0, None)
    visits = np.floor(active_days / interval).astype(np.int64)
    visits = np.minimum(visits, 40)

    row = np.repeat(np.arange(m), visits)
    k = np.arange(len(row)) - np.repeat(np.cumsum(visits) - visits, visits)
    jitter = rng.uniform(-0.2, 0.2, len(row)) * interval[row]
    days_after_purchase = np.round((k + 1) * interval[row] + jitter).astype(np.int64)
    age = start_age[row] - days_after_purchase
    keep = age >= end_age[row]
    row, k, days_after_purchase, age = row[keep], k[keep], days_after_purchase[keep], age[keep]
    order_count = len(row)
    order_ids = ids.take("vehicles_serviceorder", order_count)
    opened_on = dates_before(age, as_of)
    km = (span["start_km"].to_numpy()[row] + annual_km[row] * days_after_purchase / 365.25).astype(
        np.int64
    )
    orders = frame_stamp(
        pd.DataFrame(
            {
                "id": order_ids,
                "customer_id": customer_ids[row],
                "vehicle_id": span["vehicle_id"].to_numpy()[row],
                "opened_on": opened_on,
                "closed_on": opened_on + rng.integers(0, 3, order_count).astype("timedelta64[D]"),
                "odometer_km": km,
                "advisor_name": rng.choice(["李工", "王工", "陈工", "赵工", "刘工"], order_count),
                "note": "",
            }
        ),
        now,
        "dms",
        [f"RO{i:09d}" for i in order_ids],
    )
    orders["closed_on"] = np.minimum(orders["closed_on"].to_numpy(), np.datetime64(as_of, "D"))

    lines = _order_lines(rng, order_ids, char_of[row], ids)
    reading_rows = pd.DataFrame(
        {
            "vehicle_id": orders["vehicle_id"],
            "read_on": opened_on,
            "km": km,
            "reading_source": "service_order",
            "service_order_id": order_ids,
            "is_meter_replacement": False,
            "ext": [f"OR{i:09d}" for i in order_ids],
        }
    )
    # Some extra readings from calls, events and surveys between visits, on the same straight line.
    extra = rng.random(m) < 0.3
    extra_days = (rng.uniform(0.2, 0.9, m) * active_days).astype(np.int64)
    extra = extra & (extra_days > 0)
    extra_rows = pd.DataFrame(
        {
            "vehicle_id": span["vehicle_id"].to_numpy()[extra],
            "read_on": dates_before(start_age[extra] - extra_days[extra], as_of),
            "km": (
                span["start_km"].to_numpy()[extra] + annual_km[extra] * extra_days[extra] / 365.25
            ).astype(np.int64),
            "reading_source": rng.choice(["call", "event", "survey"], extra.sum()),
            "service_order_id": None,
            "is_meter_replacement": False,
            "ext": None,
        }
    )
    readings = pd.concat([reading_rows, extra_rows], ignore_index=True)
    readings.insert(0, "id", ids.take("vehicles_odometerreading", len(readings)))
    external = readings.pop("ext").tolist()
    readings = frame_stamp(readings, now)
    readings["source"] = np.where(pd.notna(external), "dms", "")
    readings["external_id"] = external
    return orders, lines, readings


_FIRST_LINE = (["maintenance", "repair", "insurance", "warranty"], [0.62, 0.24, 0.08, 0.06])
_EXTRA_LINE = [
    "tyres",
    "accessories",
    "detailing",
    "extended_warranty",
    "insurance_policy",
    "repair",
]
_EXTRA_P = {
    "car_lover": [0.1, 0.3, 0.35, 0.1, 0.1, 0.05],
    "thrifty": [0.35, 0.05, 0.05, 0.05, 0.2, 0.3],
    "other": [0.2, 0.2, 0.2, 0.1, 0.15, 0.15],
}
_AMOUNT = {  # (median ¥, lognormal sigma)
    "maintenance": (650, 0.35),
    "repair": (1_800, 0.8),
    "insurance": (4_500, 0.9),
    "warranty": (0, 0),
    "accessories": (900, 0.6),
    "detailing": (450, 0.5),
    "tyres": (1_600, 0.4),
    "extended_warranty": (3_200, 0.3),
    "insurance_policy": (5_200, 0.35),
}
_NECESSARY = {"maintenance", "repair", "warranty", "insurance", "tyres", "insurance_policy"}


def _order_lines(
    rng: np.random.Generator, order_ids: np.ndarray, char: np.ndarray, ids: IdCursor
) -> pd.DataFrame:
    """1-3 lines a visit; car lovers add detailing and accessories, the thrifty add little."""
    n = len(order_ids)
    lover, thrifty = char == "car_lover", char == "thrifty"
    extra_p = np.where(lover, 0.75, np.where(thrifty, 0.2, 0.4))
    extras = (rng.random(n) < extra_p).astype(int) + (rng.random(n) < extra_p / 3).astype(int)
    first = rng.choice(_FIRST_LINE[0], n, p=_FIRST_LINE[1])
    parts = [pd.DataFrame({"order_id": order_ids, "line_no": 1, "category": first})]
    for extra_no in (1, 2):
        has = extras >= extra_no
        group = np.where(lover[has], "car_lover", np.where(thrifty[has], "thrifty", "other"))
        cats = np.empty(has.sum(), dtype=object)
        for name, probs in _EXTRA_P.items():
            sel = group == name
            cats[sel] = rng.choice(_EXTRA_LINE, sel.sum(), p=probs)
        parts.append(
            pd.DataFrame({"order_id": order_ids[has], "line_no": extra_no + 1, "category": cats})
        )
    lines = pd.concat(parts, ignore_index=True)
    cat = lines["category"].to_numpy()
    median = np.array([_AMOUNT[c][0] for c in cat], dtype=float)
    sigma = np.array([_AMOUNT[c][1] for c in cat], dtype=float)
    lines["amount"] = np.round(median * np.exp(sigma * rng.standard_normal(len(lines))), 2)
    lines["description"] = [catalogue.LINE_DESCRIPTIONS[c] for c in cat]
    lines["necessity"] = np.where(np.isin(cat, list(_NECESSARY)), "necessary", "discretionary")
    lines.insert(0, "id", ids.take("vehicles_serviceorderline", len(lines)))
    return lines
