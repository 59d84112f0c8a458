"""The catalogue, vehicles and purchases of a generated chunk: each customer's car(s) with
VIN, plate, the price paid then and the financing, and how long each car was serviced by its
buyer (the span the service history is drawn over).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from demo import catalogue
from demo.chunk_context import SHANGHAI, IdCursor, dates_before, frame_stamp

_VIN_ALPHABET = np.array(list("ABCDEFGHJKLMNPRSTUVWXYZ0123456789"))
_PLATE_ALPHABET = np.array(list("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"))


def catalogue_frames(as_of: dt.date) -> dict[str, pd.DataFrame]:
    """The brand and model catalogue as rows for ``vehicles_brand`` / ``vehicles_vehiclemodel``."""
    brands = [
        {"id": brand_id, "name": name, "name_en": name_en}
        for brand_id, (name, name_en, _wmi) in enumerate(catalogue.BRANDS, start=1)
    ]
    models = [
        {
            "id": model_id,
            "brand_id": brand_id,
            "name": model_name,
            "body_type": body,
            "price_tier": tier,
            "list_price": float(price),
        }
        for model_id, (brand_id, _wmi, model_name, body, tier, price) in enumerate(
            catalogue.model_rows(), start=1
        )
    ]
    now = pd.Timestamp(as_of).tz_localize(SHANGHAI)
    return {
        "vehicles_brand": frame_stamp(pd.DataFrame(brands), now),
        "vehicles_vehiclemodel": frame_stamp(pd.DataFrame(models), now),
    }


def _model_arrays() -> dict[str, np.ndarray]:
    rows = catalogue.model_rows()
    return {
        "wmi": np.array([r[1] for r in rows]),
        "tier": np.array([r[4] for r in rows]),
        "price": np.array([r[5] for r in rows], dtype=float),
        # Cheaper cars sell more: weight by 1/sqrt(price).
        "weight": np.array([1 / np.sqrt(r[5]) for r in rows]),
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


def vehicles_and_purchases_generate(
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
    purchased_on = dates_before(age_days, as_of)
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

    vehicles = frame_stamp(
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
    purchases = frame_stamp(
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
