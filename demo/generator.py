"""Deterministic generator of a realistic demo dealership, one chunk of customers at a time.

:func:`generate_chunk` returns one pandas DataFrame per table, with database column names and
explicit primary keys, so the same rows can be written by ``executemany`` (SQLite) or ``COPY``
(PostgreSQL) without touching the ORM per row. Everything is drawn from one numpy generator
seeded by (seed, chunk number), so a run is reproducible and chunks are independent.

What it models (R1-R3 of MISSION.md): purchases spread over 12 years with the price paid at the
time and real financing; a per-customer annual mileage and service interval; service visits
every 5-12 months until the customer lapses (about a third do), with lines by category whose
mix follows the customer's character; odometer readings that only go up; surveys, complaints
with status histories, contact logs, value-layer events, contact preferences and dated profile
observations.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from demo import catalogue

_VIN_ALPHABET = np.array(list("ABCDEFGHJKLMNPRSTUVWXYZ0123456789"))
_PLATE_ALPHABET = np.array(list("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"))
_CHANNELS = np.array(["phone", "sms", "email", "post", "wechat", "visit_office", "visit_home"])
_TIME_WINDOWS = ["morning", "noon", "working_hours", "afternoon", "evening"]
_INCOME_BANDS = ["low", "lower_middle", "middle", "upper_middle", "high"]
_TIER_INCOME = {"economy": 1, "mid": 2, "upper_mid": 2, "premium": 3, "luxury": 4}
_SHANGHAI = "Asia/Shanghai"
DAY = np.timedelta64(1, "D")


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


def catalogue_frames(as_of: dt.date) -> dict[str, pd.DataFrame]:
    """The brand and model catalogue as rows for ``vehicles_brand`` / ``vehicles_vehiclemodel``."""
    brands, models = [], []
    for brand_id, (name, name_en, _wmi, brand_models) in enumerate(catalogue.BRANDS, start=1):
        brands.append({"id": brand_id, "name": name, "name_en": name_en})
        for model_name, body, tier, price in brand_models:
            models.append(
                {
                    "id": len(models) + 1,
                    "brand_id": brand_id,
                    "name": model_name,
                    "body_type": body,
                    "price_tier": tier,
                    "list_price": float(price),
                }
            )
    now = pd.Timestamp(as_of).tz_localize(_SHANGHAI)
    return {
        "vehicles_brand": _stamp(pd.DataFrame(brands), now),
        "vehicles_vehiclemodel": _stamp(pd.DataFrame(models), now),
    }


def _model_arrays() -> dict[str, np.ndarray]:
    rows = []
    for brand_id, (_name, _en, wmi, brand_models) in enumerate(catalogue.BRANDS, start=1):
        for _model, _body, tier, price in brand_models:
            rows.append((brand_id, wmi, tier, price))
    return {
        "wmi": np.array([r[1] for r in rows]),
        "tier": np.array([r[2] for r in rows]),
        "price": np.array([r[3] for r in rows], dtype=float),
        # Cheaper cars sell more: weight by 1/sqrt(price).
        "weight": np.array([1 / np.sqrt(r[3]) for r in rows]),
    }


def _base_n(values: np.ndarray, alphabet: np.ndarray, width: int) -> np.ndarray:
    """Fixed-width base-len(alphabet) strings of non-negative integers, vectorised."""
    base = len(alphabet)
    digits = np.empty((len(values), width), dtype=alphabet.dtype)
    rest = values.astype(np.int64).copy()
    for pos in range(width - 1, -1, -1):
        digits[:, pos] = alphabet[rest % base]
        rest //= base
    return np.array(["".join(row) for row in digits])


def _dates(days: np.ndarray, as_of: dt.date) -> np.ndarray:
    """``as_of`` minus ``days`` as numpy datetime64[D]."""
    return np.datetime64(as_of, "D") - days.astype("timedelta64[D]")


def _add_months(dates: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Add whole months, clamping to month end (Jan 31 + 1 month = Feb 28/29).

    The rule of :func:`core.months.add_months`, over whole numpy arrays at once: the
    generator builds millions of dates, which a per-date Python call would make slow.
    """
    month_start = dates.astype("datetime64[M]")
    day_offset = (dates - month_start.astype("datetime64[D]")).astype(int)
    target_month = month_start + months.astype("timedelta64[M]")
    month_len = (
        (target_month + 1).astype("datetime64[D]") - target_month.astype("datetime64[D]")
    ).astype(int)
    return target_month.astype("datetime64[D]") + np.minimum(day_offset, month_len - 1).astype(
        "timedelta64[D]"
    )


def _aware(dates: np.ndarray, seconds: np.ndarray) -> pd.DatetimeIndex:
    """Local (Asia/Shanghai) datetimes from dates plus seconds after midnight."""
    naive = pd.to_datetime(dates.astype("datetime64[s]") + seconds.astype("timedelta64[s]"))
    return naive.tz_localize(_SHANGHAI)


def generate_chunk(
    *,
    first_customer_id: int,
    count: int,
    seed: int,
    chunk_no: int,
    as_of: dt.date,
    staff: Staff,
    ids: IdCursor,
    now: dt.datetime | None = None,
) -> dict[str, pd.DataFrame]:
    """Generate ``count`` customers starting at ``first_customer_id`` and all their records.

    Rows are written, and complaints answered, no later than ``now`` (default: noon of
    ``as_of``); seeding passes the moment it started, so a demo seeded this morning has no
    rows stamped this afternoon.
    """
    rng = np.random.default_rng([seed, chunk_no])
    noon = pd.Timestamp(as_of).tz_localize(_SHANGHAI) + pd.Timedelta(hours=12)
    now = noon if now is None else min(noon, pd.Timestamp(now).tz_convert(_SHANGHAI))
    frames: dict[str, pd.DataFrame] = {}

    customers = _customers(rng, first_customer_id, count, as_of, staff, now)
    frames["customers_customer"] = customers
    cid = customers["id"].to_numpy()
    character = customers["character"].to_numpy()

    vehicles, purchases, owner_span = _vehicles_and_purchases(rng, cid, as_of, ids, now)
    frames["vehicles_vehicle"] = vehicles
    frames["vehicles_purchase"] = purchases

    orders, lines, readings = _service_history(rng, owner_span, character, as_of, ids, now)
    frames["vehicles_serviceorder"] = orders
    frames["vehicles_serviceorderline"] = lines
    frames["vehicles_odometerreading"] = readings

    frames["contacts_satisfactionsurvey"] = _surveys(rng, orders, as_of, ids, now)
    complaints, changes = _complaints(rng, orders, staff, now, ids)
    frames["contacts_complaint"] = complaints
    frames["contacts_complaintstatuschange"] = changes
    frames["contacts_contactlog"] = _contact_logs(rng, customers, as_of, ids, now)
    frames["customers_valueevent"] = _value_events(rng, cid, as_of, ids, now)
    prefs, opt_outs = _preferences(rng, cid, as_of, ids, now)
    frames["customers_contactpreference"] = prefs
    frames["customers_channeloptout"] = opt_outs
    frames["customers_profileobservation"] = _profile_observations(
        rng, purchases, staff, as_of, ids, now
    )
    return frames


def _stamp(
    frame: pd.DataFrame, now: pd.Timestamp, source: str = "", external: list | None = None
) -> pd.DataFrame:
    frame["source"] = source
    frame["external_id"] = external if external is not None else None
    frame["created_at"] = now
    frame["updated_at"] = now
    return frame


def _customers(
    rng: np.random.Generator, first_id: int, n: int, as_of: dt.date, staff: Staff, now: pd.Timestamp
) -> pd.DataFrame:
    ids = np.arange(first_id, first_id + n, dtype=np.int64)
    surname = rng.choice(catalogue.SURNAMES, n)
    given1 = rng.choice(catalogue.GIVEN_NAME_CHARS, n)
    given2 = np.where(rng.random(n) < 0.7, rng.choice(catalogue.GIVEN_NAME_CHARS, n), "")
    prefixes = np.array(catalogue.MOBILE_PREFIXES)
    # An odd multiplier coprime with 10^8 makes the 8-digit suffix a bijection of the id.
    suffix = (ids * 48_271 + 12_345_679) % 100_000_000
    mobile = [f"{p}{s:08d}" for p, s in zip(prefixes[ids % len(prefixes)], suffix, strict=True)]
    region_idx = rng.integers(0, len(catalogue.REGIONS), n)
    regions = np.array([r[0] for r in catalogue.REGIONS])[region_idx]
    liked_count = rng.choice([0, 0, 1, 2], n)
    liked = [
        json.dumps(list(rng.choice(catalogue.LIKED_BRANDS, k, replace=False)), ensure_ascii=False)
        for k in liked_count
    ]
    experience = rng.choice(
        ["first_car", "some", "experienced", "unknown"], n, p=[0.35, 0.35, 0.2, 0.1]
    )
    owned = np.where(
        experience == "first_car",
        0,
        np.where(experience == "some", rng.integers(1, 3, n), rng.integers(3, 8, n)),
    )
    frame = pd.DataFrame(
        {
            "id": ids,
            "name": np.char.add(np.char.add(surname, given1), given2),
            "mobile": mobile,
            "phone_alt": "",
            "wechat_id": [
                f"wx_{i:x}" if w else "" for i, w in zip(ids, rng.random(n) < 0.6, strict=True)
            ],
            "email": [
                f"c{i}@example.cn" if e else ""
                for i, e in zip(ids, rng.random(n) < 0.3, strict=True)
            ],
            "address": np.char.add(
                regions,
                "某区某路" + pd.Series(rng.integers(1, 999, n)).astype(str).to_numpy() + "号",
            ),
            "region": regions,
            "gender": rng.choice(["male", "female", "unknown"], n, p=[0.62, 0.35, 0.03]),
            "birth_year": rng.integers(1958, min(2001, as_of.year - 18), n),
            "sales_advisor_id": np.array(staff.advisor_ids)[
                rng.integers(0, len(staff.advisor_ids), n)
            ],
            "service_owner_id": np.array(staff.marketing_ids)[
                rng.integers(0, len(staff.marketing_ids), n)
            ],
            "character": rng.choice(
                ["thrifty", "car_lover", "easy_going", "unknown"], n, p=[0.35, 0.2, 0.3, 0.15]
            ),
            "buying_habits": "",
            "liked_brands": liked,
            "driving_experience": experience,
            "cars_owned_before": np.where(experience == "unknown", None, owned),
            "notes": "",
        }
    )
    return _stamp(frame, now, "dms", [f"C{i:08d}" for i in ids])


def _vehicles_and_purchases(
    rng: np.random.Generator, cid: np.ndarray, as_of: dt.date, ids: IdCursor, now: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """One purchase per customer, a quarter with a later second car traded in for the first."""
    n = len(cid)
    models = _model_arrays()
    # First purchase between 12 years and 2 months ago.
    first_age = rng.integers(60, 12 * 365, n)
    gap = rng.integers(3 * 365, 8 * 365, n)
    has_second = (rng.random(n) < 0.25) & (first_age - gap > 30)
    owner = np.concatenate([cid, cid[has_second]])
    age_days = np.concatenate([first_age, first_age[has_second] - gap[has_second]])
    is_second = np.concatenate([np.zeros(n, bool), np.ones(has_second.sum(), bool)])
    m = len(owner)
    vehicle_ids = ids.take("vehicles_vehicle", m)
    purchase_ids = ids.take("vehicles_purchase", m)
    model_idx = rng.choice(len(models["price"]), m, p=models["weight"] / models["weight"].sum())
    # A second car is usually a step up.
    upgrade = is_second & (rng.random(m) < 0.6)
    pricier = np.argsort(models["price"])
    rank = np.searchsorted(models["price"][pricier], models["price"][model_idx])
    model_idx = np.where(
        upgrade, pricier[np.minimum(rank + rng.integers(1, 5, m), len(pricier) - 1)], model_idx
    )
    purchased_on = _dates(age_days, as_of)
    used = rng.random(m) < 0.1
    years_ago = age_days / 365.25
    # List prices drift down about 2% a year, so the price then was higher than today's.
    price = models["price"][model_idx] * (1 + 0.02 * years_ago) * rng.uniform(0.86, 1.0, m)
    price = np.where(used, price * rng.uniform(0.4, 0.7, m), price)
    price = np.round(price, -2)
    method = rng.choice(["full", "loan", "lease"], m, p=[0.55, 0.38, 0.07])
    financed = method != "full"
    term = np.where(financed, rng.choice([12, 24, 36, 48, 60], m), 0)
    down = np.where(financed, np.round(price * rng.uniform(0.2, 0.5, m), -2), np.nan)
    monthly = np.where(
        financed,
        np.round((price - np.nan_to_num(down)) * (1 + 0.04 * term / 12) / np.maximum(term, 1), 2),
        np.nan,
    )
    end = _add_months(purchased_on, term)
    funding = np.where(
        financed,
        rng.choice(["loan_by_choice", "loan_needed"], m, p=[0.3, 0.7]),
        rng.choice(["own", "family", "employer"], m, p=[0.8, 0.15, 0.05]),
    )
    region_plate = np.array([r[1] for r in catalogue.REGIONS])[
        rng.integers(0, len(catalogue.REGIONS), m)
    ]
    vin = np.char.add(
        np.char.add(models["wmi"][model_idx], "A"), _base_n(vehicle_ids, _VIN_ALPHABET, 13)
    )
    plate = np.char.add(region_plate, _base_n(vehicle_ids * 7_919 % 34**5, _PLATE_ALPHABET, 5))
    # The first car of a customer who bought again was traded in on the second purchase.
    first_vehicle_of = pd.Series(vehicle_ids[:n], index=cid)
    trade_in_vehicle = np.where(is_second, first_vehicle_of.reindex(owner).to_numpy(), -1)
    traded_in = np.zeros(m, bool)
    traded_in[:n] = has_second
    trade_in_value = np.where(is_second, np.round(price * rng.uniform(0.2, 0.4, m), -2), np.nan)

    vehicles = _stamp(
        pd.DataFrame(
            {
                "id": vehicle_ids,
                "vin": vin,
                "plate": plate,
                "model_id": model_idx + 1,
                "trim": rng.choice(["舒适版", "豪华版", "尊贵版", "运动版"], m),
                "model_year": (
                    purchased_on.astype("datetime64[Y]").astype(int)
                    + 1970
                    - used * rng.integers(1, 5, m)
                ),
                "color": rng.choice(catalogue.COLOURS, m),
                "owner_id": np.where(traded_in, None, owner),
            }
        ),
        now,
        "dms",
        [f"V{i:08d}" for i in vehicle_ids],
    )
    purchases = _stamp(
        pd.DataFrame(
            {
                "id": purchase_ids,
                "customer_id": owner,
                "vehicle_id": vehicle_ids,
                "purchased_on": purchased_on,
                "price_paid": price,
                "condition": np.where(used, "used", "new"),
                "trade_in_vehicle_id": np.where(trade_in_vehicle > 0, trade_in_vehicle, None),
                "trade_in_value": trade_in_value,
                "payment_method": method,
                "finance_term_months": np.where(financed, term, None),
                "down_payment": down,
                "monthly_payment": monthly,
                "finance_end_date": np.where(financed, end, None),
                "funding_source": funding,
                "sales_advisor_name": "",
            }
        ),
        now,
        "dms",
        [f"P{i:08d}" for i in purchase_ids],
    )
    purchases["price_tier"] = models["tier"][model_idx]
    # How long each car was serviced by its buyer: from purchase to trade-in or today.
    second_age = pd.Series(first_age - gap, index=cid)[has_second]
    until_age = np.where(traded_in, second_age.reindex(owner).fillna(0).to_numpy(), 0)
    span = pd.DataFrame(
        {
            "customer_id": owner,
            "vehicle_id": vehicle_ids,
            "start_age": age_days,
            "end_age": until_age.astype(np.int64),
            "start_km": np.where(used, rng.integers(20_000, 90_000, m), rng.integers(5, 50, m)),
        }
    )
    return vehicles, purchases, span


def _service_history(
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
    opened_on = _dates(age, as_of)
    km = (span["start_km"].to_numpy()[row] + annual_km[row] * days_after_purchase / 365.25).astype(
        np.int64
    )
    orders = _stamp(
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
            "read_on": _dates(start_age[extra] - extra_days[extra], as_of),
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
    readings = _stamp(readings, now)
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


def _surveys(
    rng: np.random.Generator, orders: pd.DataFrame, as_of: dt.date, ids: IdCursor, now: pd.Timestamp
) -> pd.DataFrame:
    """Surveys after about 40% of visits; each customer has a base satisfaction level."""
    picked = orders[rng.random(len(orders)) < 0.4]
    n = len(picked)
    cust = picked["customer_id"].to_numpy()
    base = 7.8 + 1.6 * np.sin(cust * 12.9898) * 1.0  # stable per customer, spread 6.2-9.4
    overall = np.clip(np.round(base + rng.normal(0, 1.2, n)), 1, 10).astype(int)
    frame = pd.DataFrame(
        {
            "customer_id": cust,
            "service_order_id": picked["id"].to_numpy(),
            "surveyed_on": np.minimum(
                picked["opened_on"].to_numpy() + rng.integers(1, 6, n).astype("timedelta64[D]"),
                np.datetime64(as_of, "D"),
            ),
            "channel": rng.choice(["phone", "sms", "wechat"], n, p=[0.5, 0.2, 0.3]),
            "overall": overall,
        }
    )
    for dim in ("repair_quality", "price", "speed", "reception_attitude", "information_clarity"):
        frame[dim] = np.clip(overall + rng.integers(-2, 2, n), 1, 10)
    frame["comment"] = ""
    frame.insert(0, "id", ids.take("contacts_satisfactionsurvey", n))
    return _stamp(frame, now)


def _complaints(
    rng: np.random.Generator, orders: pd.DataFrame, staff: Staff, now: pd.Timestamp, ids: IdCursor
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Complaints after ~3% of visits, most answered in time, some late, some still open."""
    picked = orders[rng.random(len(orders)) < 0.03]
    n = len(picked)
    complaint_ids = ids.take("contacts_complaint", n)
    categories = np.array(list(catalogue.COMPLAINT_TEXTS))
    category = rng.choice(categories, n)
    opened = _aware(picked["opened_on"].to_numpy(), rng.integers(9 * 3600, 18 * 3600, n))
    opened = opened.where(opened < now, now - pd.Timedelta(hours=3))
    promised = opened + pd.Timedelta(hours=24)
    late = rng.random(n) < 0.2
    response_hours = np.where(late, rng.uniform(25, 96, n), rng.uniform(1, 23, n))
    first_response = opened + pd.to_timedelta(response_hours, unit="h")
    unresolved = rng.random(n) < 0.15
    recent = (now - opened) < pd.Timedelta(days=2)
    answered = ~recent & (first_response < now)
    resolved_at = first_response + pd.to_timedelta(rng.uniform(24, 240, n), unit="h")
    resolved = ~unresolved & answered & (resolved_at < now)
    status = np.where(
        resolved,
        rng.choice(["resolved", "closed"], n, p=[0.3, 0.7]),
        np.where(answered, rng.choice(["acknowledged", "in_progress", "escalated"], n), "open"),
    )
    complaints = pd.DataFrame(
        {
            "id": complaint_ids,
            "customer_id": picked["customer_id"].to_numpy(),
            "service_order_id": picked["id"].to_numpy(),
            "opened_at": opened,
            "category": category,
            "description": [catalogue.COMPLAINT_TEXTS[c] for c in category],
            "promised_response_by": promised,
            "first_response_at": pd.Series(first_response).where(answered, None).to_numpy(),
            "status": status,
            "handler_id": np.array(staff.marketing_ids)[
                rng.integers(0, len(staff.marketing_ids), n)
            ],
            "escalation_level": np.where(status == "escalated", 1, 0),
            "resolution": np.where(resolved, "已向客户解释并免费返修", ""),
            "resolved_at": pd.Series(resolved_at).where(resolved, None).to_numpy(),
            "customer_accepted": pd.Series(np.where(rng.random(n) < 0.8, True, False))
            .where(resolved, None)
            .to_numpy(),
        }
    )
    complaints = _stamp(complaints, now)
    # Status history: opened, then acknowledged at the first response, then the final status.
    steps = [pd.DataFrame({"complaint_id": complaint_ids, "status": "open", "changed_at": opened})]
    steps.append(
        pd.DataFrame(
            {
                "complaint_id": complaint_ids[answered],
                "status": "acknowledged",
                "changed_at": first_response[answered],
            }
        )
    )
    later = answered & (status != "acknowledged")
    later_at = pd.Series(resolved_at).where(resolved, first_response + pd.Timedelta(hours=2))
    later_at = later_at.where(later_at < now, now)
    steps.append(
        pd.DataFrame(
            {
                "complaint_id": complaint_ids[later],
                "status": status[later],
                "changed_at": later_at[later].to_numpy(),
            }
        )
    )
    changes = pd.concat(steps, ignore_index=True).sort_values(
        ["complaint_id", "changed_at"], kind="stable"
    )
    changes.insert(0, "id", ids.take("contacts_complaintstatuschange", len(changes)))
    changes["changed_by_id"] = None
    changes["note"] = ""
    return complaints, changes.reset_index(drop=True)


def _contact_logs(
    rng: np.random.Generator,
    customers: pd.DataFrame,
    as_of: dt.date,
    ids: IdCursor,
    now: pd.Timestamp,
) -> pd.DataFrame:
    """0-6 contacts per customer over the last three years."""
    count = rng.integers(0, 7, len(customers))
    rows = np.repeat(np.arange(len(customers)), count)
    n = len(rows)
    contacted = _aware(
        _dates(rng.integers(1, 3 * 365, n), as_of), rng.integers(9 * 3600, 20 * 3600, n)
    )
    ctype = rng.choice(
        [
            "care_call",
            "maintenance_reminder",
            "survey",
            "win_back",
            "sales_follow_up",
            "event_invitation",
        ],
        n,
        p=[0.3, 0.3, 0.15, 0.1, 0.1, 0.05],
    )
    outcome = rng.choice(
        ["reached", "no_answer", "call_back", "refused"], n, p=[0.7, 0.2, 0.07, 0.03]
    )
    staff_ids = np.where(
        ctype == "sales_follow_up",
        customers["sales_advisor_id"].to_numpy()[rows],
        customers["service_owner_id"].to_numpy()[rows],
    )
    frame = pd.DataFrame(
        {
            "id": ids.take("contacts_contactlog", n),
            "customer_id": customers["id"].to_numpy()[rows],
            "contacted_at": contacted,
            "staff_id": staff_ids,
            "channel": rng.choice(
                ["phone", "sms", "wechat", "in_store"], n, p=[0.6, 0.1, 0.25, 0.05]
            ),
            "contact_type": ctype,
            "outcome": outcome,
            "feedback": np.where(outcome == "reached", rng.choice(catalogue.FEEDBACK_TEXTS, n), ""),
            "next_step": "",
            "next_step_due": None,
        }
    )
    return _stamp(frame, now)


def _value_events(
    rng: np.random.Generator, cid: np.ndarray, as_of: dt.date, ids: IdCursor, now: pd.Timestamp
) -> pd.DataFrame:
    """Non-spending value (R3.5): a few customers are very engaged, most not at all."""
    engagement = rng.gamma(0.4, 1.5, len(cid))
    count = rng.poisson(engagement)
    rows = np.repeat(np.arange(len(cid)), count)
    n = len(rows)
    layers = np.array(list(catalogue.VALUE_EVENT_TEXTS))
    layer = rng.choice(layers, n, p=[0.08, 0.22, 0.1, 0.3, 0.2, 0.1])
    customer = cid[rows]
    # Referred friends are customers already written (this chunk or an earlier one).
    last_id = int(cid.max())
    referred = rng.integers(1, last_id + 1, n)
    referred = np.where(referred == customer, referred % last_id + 1, referred)
    frame = pd.DataFrame(
        {
            "id": ids.take("customers_valueevent", n),
            "customer_id": customer,
            "layer": layer,
            "occurred_on": _dates(rng.integers(1, 4 * 365, n), as_of),
            "description": [catalogue.VALUE_EVENT_TEXTS[x] for x in layer],
            "referred_customer_id": np.where(layer == "referral", referred, None),
        }
    )
    return _stamp(frame, now)


def _preferences(
    rng: np.random.Generator, cid: np.ndarray, as_of: dt.date, ids: IdCursor, now: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ordered preferred channels, disliked ones never among them, and a few opt-outs."""
    has = rng.random(len(cid)) < 0.7
    n = int(has.sum())
    order = np.argsort(rng.random((n, len(_CHANNELS))), axis=1)
    n_pref = rng.integers(1, 4, n)
    n_dislike = rng.choice([0, 0, 1, 2], n)
    preferred = [json.dumps(list(_CHANNELS[o[:p]])) for o, p in zip(order, n_pref, strict=True)]
    disliked_lists = [
        list(_CHANNELS[o[p : p + d]]) for o, p, d in zip(order, n_pref, n_dislike, strict=True)
    ]
    windows = [
        json.dumps(
            sorted(rng.choice(_TIME_WINDOWS, k, replace=False).tolist(), key=_TIME_WINDOWS.index)
        )
        for k in rng.integers(0, 3, n)
    ]
    prefs = pd.DataFrame(
        {
            "id": ids.take("customers_contactpreference", n),
            "customer_id": cid[has],
            "preferred_channels": preferred,
            "disliked_channels": [json.dumps(d) for d in disliked_lists],
            "preferred_days": rng.choice(["any", "weekday", "weekend"], n, p=[0.5, 0.2, 0.3]),
            "time_windows": windows,
            "do_not_contact": rng.random(n) < 0.01,
            "note": "",
        }
    )
    # A third of those who dislike a channel have formally opted out of it.
    opt_rows = [(c, d[0]) for c, d in zip(cid[has], disliked_lists, strict=True) if d]
    opt_rows = [
        r for r, keep in zip(opt_rows, rng.random(len(opt_rows)) < 0.33, strict=True) if keep
    ]
    opt_outs = pd.DataFrame(opt_rows, columns=["customer_id", "channel"])
    opt_outs.insert(0, "id", ids.take("customers_channeloptout", len(opt_outs)))
    opt_outs["reason"] = "客户明确表示不希望通过该渠道联系"
    opt_outs["opted_out_on"] = _dates(rng.integers(1, 2 * 365, len(opt_outs)), as_of)
    return _stamp(prefs, now), _stamp(opt_outs, now)


def _profile_observations(
    rng: np.random.Generator,
    purchases: pd.DataFrame,
    staff: Staff,
    as_of: dt.date,
    ids: IdCursor,
    now: pd.Timestamp,
) -> pd.DataFrame:
    """Income, family, job and upkeep payer at the first purchase, then 0-3 dated changes."""
    first = purchases.drop_duplicates("customer_id")
    n = len(first)
    cust = first["customer_id"].to_numpy()
    bought = first["purchased_on"].to_numpy().astype("datetime64[D]")
    tier_income = np.array([_TIER_INCOME[t] for t in first["price_tier"]])
    funding = first["funding_source"].to_numpy()
    # Judged from the price paid then and where the money came from (000: 经济状况).
    income = np.clip(
        tier_income + rng.integers(-1, 2, n) - (funding == "family") - (funding == "loan_needed"),
        0,
        4,
    )
    family = rng.choice(["single", "married", "family"], n, p=[0.35, 0.25, 0.4])
    job = rng.choice(
        ["employee", "civil_servant", "business_owner", "self_employed", "retired"],
        n,
        p=[0.55, 0.1, 0.15, 0.15, 0.05],
    )
    payer = np.where(
        funding == "employer", "employer", np.where(funding == "family", "family", "self")
    )
    base = [
        ("income_band", np.array(_INCOME_BANDS)[income]),
        ("family_status", family),
        ("job_status", job),
        ("upkeep_payer", payer),
    ]
    frames = [
        pd.DataFrame(
            {
                "customer_id": cust,
                "attribute": attr,
                "value": values,
                "observed_on": bought,
                "observation_source": "purchase",
            }
        )
        for attr, values in base
    ]
    days_owned = (np.datetime64(as_of, "D") - bought).astype(int)
    # Income moves a step up or down once or twice over the years.
    for step in (1, 2):
        moves = (rng.random(n) < 0.45 / step) & (days_owned > 400 * step)
        delta = rng.choice([-1, 1, 1], n)
        income = np.clip(income + np.where(moves, delta, 0), 0, 4)
        when = bought + (days_owned * (0.35 * step + rng.uniform(0, 0.25, n))).astype(
            "timedelta64[D]"
        )
        frames.append(
            pd.DataFrame(
                {
                    "customer_id": cust[moves],
                    "attribute": "income_band",
                    "value": np.array(_INCOME_BANDS)[income][moves],
                    "observed_on": when[moves],
                    "observation_source": rng.choice(["survey", "call", "visit"], moves.sum()),
                }
            )
        )
    # Family life moves forward: single -> married -> family.
    nxt = {"single": "married", "married": "family"}
    moves = np.isin(family, list(nxt)) & (rng.random(n) < 0.4) & (days_owned > 365)
    frames.append(
        pd.DataFrame(
            {
                "customer_id": cust[moves],
                "attribute": "family_status",
                "value": [nxt[f] for f in family[moves]],
                "observed_on": bought[moves]
                + (days_owned[moves] * rng.uniform(0.3, 0.95, moves.sum())).astype(
                    "timedelta64[D]"
                ),
                "observation_source": "call",
            }
        )
    )
    obs = pd.concat(frames, ignore_index=True).sort_values(
        ["customer_id", "observed_on"], kind="stable"
    )
    obs["observed_on"] = np.minimum(obs["observed_on"].to_numpy(), np.datetime64(as_of, "D"))
    obs.insert(0, "id", ids.take("customers_profileobservation", len(obs)))
    obs["observed_by_id"] = None
    obs["note"] = ""
    return _stamp(obs.reset_index(drop=True), now)
