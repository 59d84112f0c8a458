"""The nine cells (R4.2): vehicle age tier by satisfaction band, and the mileage kept beside
the cell (annual and current km, low mileage). No Django import."""

from __future__ import annotations

import numpy as np
import pandas as pd

from segmentation import per_customer as pc
from segmentation.input_rows import DAYS_PER_YEAR, Columns, InputRows
from segmentation.scoring_settings import ScoringSettings


def nine_cells(
    out: pd.DataFrame,
    at: InputRows,
    purchases: Columns,
    surveys: Columns,
    odometer: Columns,
    settings: ScoringSettings,
) -> None:
    """Add the vehicle age and tier, satisfaction and its band, the ``nine_cell`` and the
    mileage columns to ``out``."""
    latest = pc.maximum(purchases["pos"], purchases["day"], at.n, empty=-1)
    out["vehicle_age_years"] = at.since(latest, latest < 0) / DAYS_PER_YEAR
    t5, t6, t7 = settings.age_tier_years
    age = out["vehicle_age_years"]
    out["age_tier"] = np.select(
        [age >= t7, age >= t6, age >= t5], [f"{t7}+", f"{t6}+", f"{t5}+"], "<5"
    )
    out.loc[age.isna(), "age_tier"] = None

    recent = at.in_last(surveys["day"], settings.satisfaction_window_months)
    surveyed = pc.count(surveys["pos"][recent], at.n)
    with np.errstate(invalid="ignore", divide="ignore"):
        sat = pc.total(surveys["pos"][recent], surveys["overall"][recent], at.n) / surveyed
    out["satisfaction"] = np.where(surveyed > 0, sat, np.nan)
    sat = out["satisfaction"]
    band = np.select(
        [sat < settings.satisfaction_low_below, sat >= settings.satisfaction_high_from],
        ["low", "high"],
        "medium",
    ).astype(object)
    known = sat.notna().to_numpy()
    band[~known] = settings.unsurveyed_band
    out["satisfaction_band"] = band
    out["satisfaction_known"] = known
    has_tier = out["age_tier"].notna() & (out["age_tier"] != "<5")
    out["nine_cell"] = np.where(
        has_tier, out["age_tier"].astype(str) + "/" + out["satisfaction_band"], None
    )
    _mileage(out, at, odometer, settings)


#: Readings pack (day, km) into one integer that orders by day, then km (km < 2**22).
_KM_BITS = 22


def _mileage(
    out: pd.DataFrame, at: InputRows, odometer: Columns, settings: ScoringSettings
) -> None:
    """Annual km from each customer's most recently read vehicle, since its last meter change.

    Per vehicle, the first and last readings (by day, then km) after its last meter
    replacement give the rate; a customer's vehicle is the one read most recently (on a tie,
    the higher vehicle id). Under 30 days between them gives no rate.
    """
    out["est_annual_km"] = np.nan
    out["est_current_km"] = np.nan
    out["low_mileage"] = False
    if not len(odometer["pos"]):
        return
    vehicle, vehicle_ids = pd.factorize(odometer["vehicle_id"], sort=True)
    vehicles = len(vehicle_ids)
    day, km = odometer["day"], odometer["km"].astype(np.int64)
    replaced = odometer["is_meter_replacement"].astype(bool)
    last_replacement = pc.maximum(vehicle[replaced], day[replaced], vehicles, empty=-(2**62))
    current = day >= last_replacement[vehicle]
    vehicle, day, km, pos = vehicle[current], day[current], km[current], odometer["pos"][current]
    stamp = (day << _KM_BITS) + km
    first = pc.minimum(vehicle, stamp, vehicles, empty=2**62)
    last = pc.maximum(vehicle, stamp, vehicles, empty=-1)
    owner = pc.maximum(vehicle, pos, vehicles, empty=-1)
    mask = (1 << _KM_BITS) - 1
    first_day, first_km = first >> _KM_BITS, first & mask
    last_day, last_km = last >> _KM_BITS, last & mask
    span = (last_day - first_day).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(span >= 30, (last_km - first_km) / span * DAYS_PER_YEAR, np.nan)
    read = owner >= 0
    latest = pc.maximum(owner[read], (last_day[read] << 32) + np.flatnonzero(read), at.n, empty=-1)
    has = latest >= 0
    chosen = latest[has] & ((1 << 32) - 1)
    annual = np.full(at.n, np.nan)
    annual[has] = rate[chosen]
    now = np.full(at.n, np.nan)
    since = at.end_day - last_day[chosen]
    now[has] = last_km[chosen] + np.nan_to_num(rate[chosen]) * since / DAYS_PER_YEAR
    out["est_annual_km"] = annual
    out["est_current_km"] = now
    out["low_mileage"] = np.nan_to_num(annual, nan=np.inf) < settings.low_mileage_km_per_year
