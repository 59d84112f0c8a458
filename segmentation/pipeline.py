"""The monthly scoring pipeline: pandas in, one row per customer out. No Django import.

Inputs (:class:`ScoringInputs`; any table may be empty; rows dated after ``as_of`` are ignored):

=================  ==========================================================================
customers          customer_id int64
purchases          customer_id int64, purchased_on datetime64, price_paid float64
odometer           customer_id int64, vehicle_id int64, read_on datetime64, km int64,
                   is_meter_replacement bool
visits             order_id int64, customer_id int64, opened_on datetime64, amount float64
                   (one row per service order; amount = the sum of its lines)
surveys            customer_id int64, surveyed_on datetime64, overall int (1-10)
complaints         customer_id int64, opened_at datetime64, is_unresolved bool
value_events       customer_id int64, layer str, occurred_on datetime64
=================  ==========================================================================

``previous`` is the previous run's output (customer_id, future_value, rfm_segment) or None.

Output (:attr:`ScoringResult.customers`, indexed 0..n-1, one row per input customer), by
requirement:

- R4.1 RFM: ``recency_days`` (float, NaN without a paid visit), ``frequency`` (int),
  ``monetary`` (float), ``r_score``/``f_score``/``m_score`` (int 1-5), ``rfm_segment`` (str).
  Tie policy: scores are ``ceil(5 * percentile rank)`` with ranks averaged over ties, so equal
  values always get equal scores; customers with no paid visit in the window are not ranked
  and get 1 (recency is ranked over everyone who ever paid).
- R4.2 nine cells: ``vehicle_age_years``, ``age_tier`` ("<5", "5+", "6+", "7+"),
  ``satisfaction`` (mean overall score in the window, NaN if none), ``satisfaction_band``
  (customers never surveyed in the window get ``settings.unsurveyed_band``; the
  ``satisfaction_known`` flag says so), ``nine_cell`` (e.g. "7+/low"; None under 5 years),
  ``est_annual_km``, ``est_current_km``, ``low_mileage`` (kept beside the cell, not a filter).
- R4.3/R4.5 churn: ``churn_<indicator>`` sub-scores in [0, 1] for each of
  :data:`~segmentation.scoring_settings.CHURN_INDICATORS`, ``churn_score`` (weighted mean),
  ``overdue_ratio``, ``visit_interval_days``, ``status`` ("active", "at_risk", "lost").
- R4.4 future value: ``p_alive``, ``expected_visits``, ``expected_spend_per_visit``,
  ``expected_spend`` (horizon ``settings.horizon_weeks``), ``value_layer_score`` in [0, 1),
  ``future_value = expected_spend * (1 + value_layer_bonus * value_layer_score)``,
  ``value_tier`` (1 = most valuable .. ``settings.value_tiers``; only lost and at-risk
  customers, ranked by future value; NaN otherwise).
- R4.6 growth: ``previous_future_value``, ``future_value_change``, ``previous_rfm_segment``.

Visits for the buy-till-you-die models: a customer is "born" at the first purchase of a car
(or the first visit, if earlier); every later visit day is a repeat transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from segmentation import btyd
from segmentation.scoring_settings import CHURN_INDICATORS, ScoringSettings

DAYS_PER_WEEK = 7.0
DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / 12

#: RFM segment rules, first match wins: (segment, min R, max R, min F, max F, min M).
RFM_RULES: tuple[tuple[str, int, int, int, int, int], ...] = (
    ("champions", 4, 5, 4, 5, 4),
    ("loyal", 3, 5, 4, 5, 1),
    ("cant_lose_them", 1, 2, 4, 5, 4),
    ("at_risk", 1, 2, 3, 5, 1),
    ("potential_loyalist", 4, 5, 2, 3, 1),
    ("new", 5, 5, 1, 1, 1),
    ("promising", 4, 4, 1, 1, 1),
    ("need_attention", 3, 3, 2, 3, 1),
    ("about_to_sleep", 3, 3, 1, 1, 1),
    ("hibernating", 2, 2, 1, 2, 1),
    ("lost", 1, 1, 1, 2, 1),
)


@dataclass
class ScoringInputs:
    customers: pd.DataFrame
    purchases: pd.DataFrame
    odometer: pd.DataFrame
    visits: pd.DataFrame
    surveys: pd.DataFrame
    complaints: pd.DataFrame
    value_events: pd.DataFrame


@dataclass
class ScoringResult:
    customers: pd.DataFrame
    model: dict = field(default_factory=dict)


def quintile_scores(values: pd.Series, eligible: pd.Series | None = None) -> pd.Series:
    """1-5 scores, higher values higher; equal values equal scores; ineligible rows get 1."""
    eligible = values.notna() if eligible is None else eligible & values.notna()
    scores = pd.Series(1, index=values.index, dtype="int64")
    if eligible.any():
        pct = values[eligible].rank(method="average", pct=True)
        scores[eligible] = np.clip(np.ceil(pct * 5), 1, 5).astype("int64")
    return scores


def rfm_segment(r: pd.Series, f: pd.Series, m: pd.Series) -> pd.Series:
    """Name each customer's (R, F, M) by :data:`RFM_RULES`; what matches no rule is "lost"."""
    segment = pd.Series("lost", index=r.index, dtype=object)
    unmatched = pd.Series(True, index=r.index)
    for name, r_lo, r_hi, f_lo, f_hi, m_lo in RFM_RULES:
        hit = unmatched & r.between(r_lo, r_hi) & f.between(f_lo, f_hi) & (m >= m_lo)
        segment[hit] = name
        unmatched &= ~hit
    return segment


def _days(delta: pd.Series) -> pd.Series:
    return delta / pd.Timedelta(days=1)


def _clip01(values) -> np.ndarray:
    return np.clip(np.nan_to_num(np.asarray(values, dtype=float)), 0.0, 1.0)


def _dated(frame: pd.DataFrame, column: str, until: pd.Timestamp) -> pd.DataFrame:
    """Rows up to ``until``, with the date column as naive local datetime64."""
    if frame.empty:
        return frame
    when = pd.to_datetime(frame[column])
    if getattr(when.dt, "tz", None) is not None:
        when = when.dt.tz_localize(None)
    return frame.assign(**{column: when})[when <= until]


def score(
    inputs: ScoringInputs,
    settings: ScoringSettings,
    as_of: dt.date,
    previous: pd.DataFrame | None = None,
) -> ScoringResult:
    """Score every customer of ``inputs`` as of the end of ``as_of``."""
    end = pd.Timestamp(as_of)
    out = pd.DataFrame({"customer_id": inputs.customers["customer_id"].astype("int64").to_numpy()})
    ids = out["customer_id"]
    model: dict = {}

    purchases = _dated(inputs.purchases, "purchased_on", end)
    visits = _dated(inputs.visits, "opened_on", end)
    surveys = _dated(inputs.surveys, "surveyed_on", end)
    complaints = _dated(inputs.complaints, "opened_at", end + pd.Timedelta(hours=23, minutes=59))
    events = _dated(inputs.value_events, "occurred_on", end)
    odometer = _dated(inputs.odometer, "read_on", end)

    if visits.empty:
        visits = pd.DataFrame(
            {
                "customer_id": pd.Series(dtype="int64"),
                "opened_on": pd.Series(dtype="datetime64[ns]"),
                "amount": pd.Series(dtype=float),
            }
        )
    _rfm(out, visits, purchases, end, settings)
    _nine_cells(out, purchases, surveys, odometer, end, settings)
    model.update(_future_value(out, visits, purchases, events, end, settings))
    _churn(out, visits, complaints, surveys, events, end, settings)
    _tiers(out, settings)
    _growth(out, previous)
    assert out["customer_id"].equals(ids)
    return ScoringResult(customers=out, model=model)


def _per_customer(out: pd.DataFrame, series: pd.Series, fill=np.nan) -> np.ndarray:
    return (
        series.reindex(out["customer_id"]).fillna(fill).to_numpy()
        if len(series)
        else np.full(len(out), fill, dtype=float)
    )


def _rfm(out, visits, purchases, end, settings) -> None:
    paid = visits[visits["amount"] > 0]
    last_paid = paid.groupby("customer_id")["opened_on"].max()
    out["recency_days"] = _per_customer(out, _days(end - last_paid))
    window_start = end - pd.Timedelta(days=settings.rfm_window_months * DAYS_PER_MONTH)
    recent = paid[paid["opened_on"] > window_start]
    grouped = recent.groupby("customer_id")["amount"]
    out["frequency"] = _per_customer(out, grouped.size(), 0).astype("int64")
    out["monetary"] = _per_customer(out, grouped.sum(), 0.0)
    in_window = pd.Series(out["frequency"] > 0, index=out.index)
    out["r_score"] = quintile_scores(-out["recency_days"])
    out["f_score"] = quintile_scores(out["frequency"].astype(float), in_window)
    out["m_score"] = quintile_scores(out["monetary"], in_window)
    segment = rfm_segment(out["r_score"], out["f_score"], out["m_score"])
    # Never a paid visit: new buyers of a car are "new", the rest are "lost".
    last_purchase = (
        purchases.groupby("customer_id")["purchased_on"].max()
        if len(purchases)
        else pd.Series(dtype="datetime64[ns]")
    )
    bought_days = _per_customer(out, _days(end - pd.to_datetime(last_purchase)))
    never_paid = out["recency_days"].isna().to_numpy()
    recent_buyer = bought_days <= settings.new_customer_months * DAYS_PER_MONTH
    segment[never_paid] = np.where(recent_buyer[never_paid], "new", "lost")
    out["rfm_segment"] = segment


def _nine_cells(out, purchases, surveys, odometer, end, settings) -> None:
    if len(purchases):
        latest = pd.to_datetime(purchases.groupby("customer_id")["purchased_on"].max())
        out["vehicle_age_years"] = _per_customer(out, _days(end - latest) / DAYS_PER_YEAR)
    else:
        out["vehicle_age_years"] = np.nan
    t5, t6, t7 = settings.age_tier_years
    age = out["vehicle_age_years"]
    out["age_tier"] = np.select(
        [age >= t7, age >= t6, age >= t5], [f"{t7}+", f"{t6}+", f"{t5}+"], "<5"
    )
    out.loc[age.isna(), "age_tier"] = None

    window_start = end - pd.Timedelta(days=settings.satisfaction_window_months * DAYS_PER_MONTH)
    if len(surveys):
        recent = surveys[pd.to_datetime(surveys["surveyed_on"]) > window_start]
        out["satisfaction"] = _per_customer(out, recent.groupby("customer_id")["overall"].mean())
    else:
        out["satisfaction"] = np.nan
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
    _mileage(out, odometer, end, settings)


def _mileage(out, odometer, end, settings) -> None:
    """Annual km from each customer's most recently read vehicle, since its last meter change."""
    if odometer.empty:
        out["est_annual_km"] = np.nan
        out["est_current_km"] = np.nan
        out["low_mileage"] = False
        return
    reads = odometer.assign(read_on=pd.to_datetime(odometer["read_on"])).sort_values(
        ["vehicle_id", "read_on", "km"], kind="stable"
    )
    # Readings after a vehicle's last meter replacement form its current segment.
    replaced_at = reads["read_on"].where(reads["is_meter_replacement"].astype(bool))
    last_replacement = replaced_at.groupby(reads["vehicle_id"]).transform("max")
    reads = reads[last_replacement.isna() | (reads["read_on"] >= last_replacement)]
    per_vehicle = reads.groupby("vehicle_id").agg(
        customer_id=("customer_id", "last"),
        first_on=("read_on", "first"),
        first_km=("km", "first"),
        last_on=("read_on", "last"),
        last_km=("km", "last"),
    )
    span_days = _days(per_vehicle["last_on"] - per_vehicle["first_on"])
    rate = ((per_vehicle["last_km"] - per_vehicle["first_km"]) / span_days * DAYS_PER_YEAR).where(
        span_days >= 30
    )
    per_vehicle = per_vehicle.assign(rate=rate).sort_values("last_on", kind="stable")
    latest = per_vehicle.groupby("customer_id").last()
    out["est_annual_km"] = _per_customer(out, latest["rate"])
    since = _days(end - latest["last_on"])
    current = latest["last_km"] + latest["rate"].fillna(0) * since / DAYS_PER_YEAR
    out["est_current_km"] = _per_customer(out, current)
    out["low_mileage"] = (
        (out["est_annual_km"] < settings.low_mileage_km_per_year).fillna(False).astype(bool)
    )


def _btyd_frame(out, visits, purchases, end) -> pd.DataFrame:
    """(x, t_x, T) in weeks per customer: transactions are the first car purchase and every
    visit day; the first of them is the birth and the others are repeats."""
    days = [visits[["customer_id"]].assign(day=visits["opened_on"].dt.normalize())]
    if len(purchases):
        first_purchase = pd.to_datetime(purchases.groupby("customer_id")["purchased_on"].min())
        days.append(
            pd.DataFrame(
                {
                    "customer_id": first_purchase.index,
                    "day": first_purchase.dt.normalize().to_numpy(),
                }
            )
        )
    tx = pd.concat(days, ignore_index=True).drop_duplicates()
    grouped = tx.groupby("customer_id")["day"]
    birth, last, count = grouped.min(), grouped.max(), grouped.size()
    return pd.DataFrame(
        {
            "birth": birth.reindex(out["customer_id"]).to_numpy(),
            "x": _per_customer(out, count - 1, 0.0),
            "t_x": _per_customer(out, _days(last - birth) / DAYS_PER_WEEK, 0.0),
            "T": _per_customer(out, _days(end - birth) / DAYS_PER_WEEK),
        }
    )


def _future_value(out, visits, purchases, events, end, settings) -> dict:
    frame = _btyd_frame(out, visits, purchases, end)
    known = frame["birth"].notna().to_numpy() & (frame["T"] > 0).to_numpy()
    model: dict = {"btyd_customers": int(known.sum())}
    out["p_alive"] = np.nan
    out["expected_visits"] = 0.0
    if known.sum() >= 20 and (frame.loc[known, "x"] > 0).sum() >= 5:
        sub = frame[known]
        visit_model = btyd.fit_visit_model(
            sub["x"],
            sub["t_x"],
            sub["T"],
            resolution=settings.fit_resolution_weeks,
            penalizer=settings.btyd_penalizer,
        )
        model["visit_model"] = visit_model.as_dict()
        out.loc[known, "p_alive"] = btyd.p_alive(visit_model, sub["x"], sub["t_x"], sub["T"])
        out.loc[known, "expected_visits"] = btyd.expected_visits(
            visit_model, settings.horizon_weeks, sub["x"], sub["t_x"], sub["T"]
        )
    # Spend per visit: Gamma-Gamma on customers with paid visits.
    paid = visits[visits["amount"] > 0]
    per_customer = paid.groupby("customer_id")["amount"].agg(["size", "mean"])
    n_paid = _per_customer(out, per_customer["size"], 0)
    mean_paid = _per_customer(out, per_customer["mean"], 0.0)
    if (n_paid >= 2).sum() >= 20:
        spend_model = btyd.fit_spend_model(
            n_paid, mean_paid, rounding=10.0, penalizer=settings.btyd_penalizer
        )
        model["spend_model"] = spend_model.as_dict()
        out["expected_spend_per_visit"] = btyd.expected_spend_per_visit(
            spend_model, n_paid, mean_paid
        )
    else:
        fallback = float(paid["amount"].mean()) if len(paid) else 0.0
        out["expected_spend_per_visit"] = np.where(n_paid > 0, mean_paid, fallback)
    out["expected_spend"] = out["expected_visits"] * out["expected_spend_per_visit"]
    out["value_layer_score"] = _value_layer_score(out, events, end, settings)
    out["future_value"] = out["expected_spend"] * (
        1 + settings.value_layer_bonus * out["value_layer_score"]
    )
    return model


def _value_layer_score(out, events, end, settings) -> np.ndarray:
    """Recency-weighted sum of value-layer events, squashed to [0, 1)."""
    if events.empty:
        return np.zeros(len(out))
    age_months = _days(end - pd.to_datetime(events["occurred_on"])) / DAYS_PER_MONTH
    weight = events["layer"].map(settings.value_layer_weights).fillna(0.0)
    points = weight * np.power(0.5, age_months / settings.value_half_life_months)
    points = points.where(age_months <= settings.value_window_months, 0.0)
    raw = _per_customer(out, points.groupby(events["customer_id"]).sum(), 0.0)
    return 1 - np.exp(-raw / 2.0)


def _churn(out, visits, complaints, surveys, events, end, settings) -> None:
    days = visits.assign(day=visits["opened_on"].dt.normalize()).drop_duplicates(
        ["customer_id", "day"]
    )
    grouped = days.groupby("customer_id")["day"]
    span = _days(grouped.max() - grouped.min())
    count = grouped.size()
    interval = (span / (count - 1)).where(count >= 2)
    interval = _per_customer(out, interval)
    interval = np.where(
        np.isnan(interval) | (interval < 30), settings.default_interval_days, interval
    )
    out["visit_interval_days"] = interval
    since_last = _per_customer(out, _days(end - grouped.max()))
    # Never visited: silence counts from the birth (first purchase), like a missed first visit.
    since = np.where(
        np.isnan(since_last), out["vehicle_age_years"].to_numpy() * DAYS_PER_YEAR, since_last
    )
    out["overdue_ratio"] = np.nan_to_num(since / interval)
    subs = {
        "overdue": _clip01((out["overdue_ratio"] - 1) / (settings.overdue_full_ratio - 1)),
        "not_alive": _clip01(1 - out["p_alive"].fillna(1.0)),
    }
    year = pd.Timedelta(days=settings.frequency_window_months * DAYS_PER_MONTH)
    last_year = _per_customer(out, days[days["day"] > end - year].groupby("customer_id").size(), 0)
    year_before = _per_customer(
        out,
        days[(days["day"] <= end - year) & (days["day"] > end - 2 * year)]
        .groupby("customer_id")
        .size(),
        0,
    )
    subs["falling_frequency"] = np.where(
        year_before > 0, _clip01((year_before - last_year) / np.maximum(year_before, 1)), 0.0
    )
    unresolved = (
        complaints[complaints["is_unresolved"].astype(bool)].groupby("customer_id").size()
        if len(complaints)
        else pd.Series(dtype=float)
    )
    out["unresolved_complaints"] = _per_customer(out, unresolved, 0).astype("int64")
    subs["unresolved_complaints"] = _clip01(
        out["unresolved_complaints"] / settings.complaints_for_full_score
    )
    subs["falling_satisfaction"] = _satisfaction_drop(out, surveys, settings)
    window = pd.Timedelta(days=settings.engagement_window_months * DAYS_PER_MONTH)
    engaged = (
        events[pd.to_datetime(events["occurred_on"]) > end - window].groupby("customer_id").size()
        if len(events)
        else pd.Series(dtype=float)
    )
    subs["no_engagement"] = (_per_customer(out, engaged, 0) == 0).astype(float)
    weights = settings.churn_weights
    total = sum(weights.values())
    churn = np.zeros(len(out))
    for name in CHURN_INDICATORS:
        out[f"churn_{name}"] = subs[name]
        churn += weights[name] * subs[name]
    out["churn_score"] = churn / total
    lost = (out["churn_score"] >= settings.lost_score) | (
        out["overdue_ratio"] >= settings.lost_overdue_ratio
    )
    at_risk = (out["churn_score"] >= settings.at_risk_score) | (
        out["overdue_ratio"] >= settings.at_risk_overdue_ratio
    )
    out["status"] = np.select([lost, at_risk], ["lost", "at_risk"], "active")


def _satisfaction_drop(out, surveys, settings) -> np.ndarray:
    """Drop of the latest survey below the mean of the earlier ones, scaled to [0, 1]."""
    if surveys.empty:
        return np.zeros(len(out))
    ordered = surveys.assign(surveyed_on=pd.to_datetime(surveys["surveyed_on"])).sort_values(
        ["customer_id", "surveyed_on"], kind="stable"
    )
    grouped = ordered.groupby("customer_id")["overall"]
    latest = grouped.last()
    count = grouped.size()
    earlier_mean = (grouped.sum() - latest) / (count - 1)
    drop = (earlier_mean - latest).where(count >= 2)
    return _clip01(_per_customer(out, drop, 0.0) / settings.satisfaction_drop_for_full_score)


def _tiers(out, settings) -> None:
    """At most ``value_tiers`` tiers of lost and at-risk customers by future value (1 = best)."""
    candidates = out["status"].isin(["lost", "at_risk"])
    out["value_tier"] = np.nan
    if candidates.any():
        pct = out.loc[candidates, "future_value"].rank(method="average", pct=True, ascending=False)
        out.loc[candidates, "value_tier"] = np.clip(
            np.ceil(pct * settings.value_tiers), 1, settings.value_tiers
        )


def _growth(out, previous) -> None:
    if previous is None or previous.empty:
        out["previous_future_value"] = np.nan
        out["previous_rfm_segment"] = None
    else:
        prev = previous.set_index("customer_id")
        out["previous_future_value"] = _per_customer(out, prev["future_value"])
        out["previous_rfm_segment"] = prev["rfm_segment"].reindex(out["customer_id"]).to_numpy()
    out["future_value_change"] = out["future_value"] - out["previous_future_value"]
