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


@dataclass
class ShardSummary:
    """What one shard of customers contributes to the global statistics.

    ``recency``, ``frequency``, ``monetary``: (value, weight) counts of the values RFM ranks
    (recency negated, so higher is better); ``visits``: collapsed BG/NBD rows (x, t_x, T,
    weight); ``spend``: collapsed Gamma-Gamma rows (x, m, weight); ``paid_sum``/``paid_count``:
    paid service orders, for the spend fallback without a Gamma-Gamma fit.
    """

    recency: pd.DataFrame
    frequency: pd.DataFrame
    monetary: pd.DataFrame
    visits: pd.DataFrame
    spend: pd.DataFrame
    paid_sum: float
    paid_count: int

    _FRAMES = ("recency", "frequency", "monetary", "visits", "spend")

    def to_dict(self) -> dict:
        """JSON-safe, for passing between processes (a Celery result)."""
        data = {name: getattr(self, name).to_dict(orient="list") for name in self._FRAMES}
        return {**data, "paid_sum": self.paid_sum, "paid_count": self.paid_count}

    @classmethod
    def from_dict(cls, data: dict) -> ShardSummary:
        frames = {name: pd.DataFrame(data[name]) for name in cls._FRAMES}
        return cls(**frames, paid_sum=data["paid_sum"], paid_count=data["paid_count"])


@dataclass
class ScoringStats:
    """The global statistics, computed once from every customer before per-customer scoring.

    Quintile edges (:func:`rank_edges`) for R (negated recency), F and M; the fitted visit and
    spend models (None when too few customers); the spend per visit used without a spend model.
    """

    r_edges: list[float]
    f_edges: list[float]
    m_edges: list[float]
    visit_model: btyd.VisitModel | None
    spend_model: btyd.SpendModel | None
    spend_fallback: float
    btyd_customers: int

    def as_dict(self) -> dict:
        """JSON-safe; stored as the run's ``model`` (an edge of None means minus infinity)."""
        data: dict = {
            "btyd_customers": self.btyd_customers,
            "rfm_edges": {
                key: [None if np.isneginf(e) else float(e) for e in edges]
                for key, edges in (("r", self.r_edges), ("f", self.f_edges), ("m", self.m_edges))
            },
            "spend_fallback": self.spend_fallback,
        }
        if self.visit_model:
            data["visit_model"] = self.visit_model.as_dict()
        if self.spend_model:
            data["spend_model"] = self.spend_model.as_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict) -> ScoringStats:
        edges = {
            key: [-np.inf if e is None else e for e in values]
            for key, values in data["rfm_edges"].items()
        }
        visit, spend = data.get("visit_model"), data.get("spend_model")
        return cls(
            r_edges=edges["r"],
            f_edges=edges["f"],
            m_edges=edges["m"],
            visit_model=btyd.VisitModel.from_dict(visit) if visit else None,
            spend_model=btyd.SpendModel.from_dict(spend) if spend else None,
            spend_fallback=data["spend_fallback"],
            btyd_customers=data["btyd_customers"],
        )


def value_counts(values: pd.Series | np.ndarray) -> pd.DataFrame:
    """(value, weight) rows of the non-missing ``values``, sorted by value."""
    series = pd.Series(np.asarray(values, dtype=float))
    counts = series.dropna().value_counts().sort_index()
    return pd.DataFrame({"value": counts.index.to_numpy(), "weight": counts.to_numpy()})


def rank_edges(counts: pd.DataFrame, steps: int) -> list[float]:
    """Edges of ``steps`` rank scores: score(v) = 1 + the number of edges below v.

    The score of a value is ``ceil(steps * average rank / n)`` over the counted values: equal
    values share their average rank, so they always get equal scores (no ``qcut`` duplicate
    edges). Edge s is the largest value scoring at most s (minus infinity if none does).
    Computed in integers, so no boundary case depends on rounding. ``counts`` may hold the
    (value, weight) rows of several shards.
    """
    grouped = counts.groupby("value", sort=True)["weight"].sum() if len(counts) else None
    if grouped is None or grouped.sum() == 0:
        return []
    weight = grouped.to_numpy(dtype=np.int64)
    n = int(weight.sum())
    at_most = np.cumsum(weight)
    below = at_most - weight
    numerator = steps * (below + at_most + 1)
    score = np.clip(-(-numerator // (2 * n)), 1, steps)
    values = grouped.index.to_numpy(dtype=float)
    return [
        float(values[score <= s].max()) if (score <= s).any() else -np.inf for s in range(1, steps)
    ]


def step_scores(values: pd.Series | np.ndarray, edges: list[float]) -> np.ndarray:
    """1 + the number of ``edges`` strictly below each value (see :func:`rank_edges`)."""
    return np.searchsorted(np.asarray(edges, dtype=float), np.asarray(values, dtype=float)) + 1


def quintile_scores(values: pd.Series, eligible: pd.Series | None = None) -> pd.Series:
    """1-5 scores, higher values higher; equal values equal scores; ineligible rows get 1."""
    eligible = values.notna() if eligible is None else eligible & values.notna()
    edges = rank_edges(value_counts(values[eligible]), 5)
    scores = np.where(eligible, step_scores(values.fillna(0), edges), 1)
    return pd.Series(scores, index=values.index, dtype="int64")


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
    """Score every customer of ``inputs`` as of the end of ``as_of``.

    The same steps a sharded run spreads over workers, in one process: per-customer
    :func:`features`, their :func:`summarize` into :func:`global_stats`, :func:`finish`, then
    the value tiers over everyone.
    """
    features_ = features(inputs, settings, as_of)
    stats = global_stats([summarize(features_, settings)], settings)
    out = finish(features_, stats, settings, previous)
    candidates = out["status"].isin(TIER_STATUSES)
    edges = value_tier_edges(out.loc[candidates, "future_value"], settings)
    out["value_tier"] = value_tiers(out["future_value"], candidates, edges)
    return ScoringResult(customers=out, model=stats.as_dict())


#: Customers ranked into value tiers (R4.4): the ones worth winning back.
TIER_STATUSES = ("lost", "at_risk")


def value_tier_edges(future_values: pd.Series, settings: ScoringSettings) -> list[float]:
    """Edges of the value tiers over the candidates' future values (tier 1 = most valuable)."""
    return rank_edges(value_counts(-np.asarray(future_values, dtype=float)), settings.value_tiers)


def value_tiers(future_values: pd.Series, candidates: pd.Series, edges: list[float]) -> np.ndarray:
    """Tier of each candidate by :func:`value_tier_edges`; NaN for everyone else."""
    tiers = step_scores(-np.asarray(future_values, dtype=float), edges).astype(float)
    return np.where(np.asarray(candidates, dtype=bool), tiers, np.nan)


def features(inputs: ScoringInputs, settings: ScoringSettings, as_of: dt.date) -> pd.DataFrame:
    """Everything about each customer that needs no statistic of the other customers."""
    end = pd.Timestamp(as_of)
    out = pd.DataFrame({"customer_id": inputs.customers["customer_id"].astype("int64").to_numpy()})
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
    _rfm_values(out, visits, purchases, end, settings)
    _nine_cells(out, purchases, surveys, odometer, end, settings)
    _visit_history(out, visits, purchases, end)
    out["value_layer_score"] = _value_layer_score(out, events, end, settings)
    _churn_indicators(out, visits, complaints, surveys, events, end, settings)
    return out


def summarize(features_: pd.DataFrame, settings: ScoringSettings) -> ShardSummary:
    """The part of the global statistics one shard's :func:`features` contribute."""
    paid_window = features_["frequency"] > 0
    known = features_["btyd_known"].to_numpy()
    return ShardSummary(
        recency=value_counts(-features_["recency_days"]),
        frequency=value_counts(features_.loc[paid_window, "frequency"]),
        monetary=value_counts(features_.loc[paid_window, "monetary"]),
        visits=btyd.visit_rows(
            features_.loc[known, "x"],
            features_.loc[known, "t_x"],
            features_.loc[known, "T"],
            resolution=settings.fit_resolution_weeks,
        ),
        spend=btyd.spend_rows(features_["n_paid"], features_["mean_paid"], rounding=10.0),
        paid_sum=float(features_["paid_sum"].sum()),
        paid_count=int(features_["n_paid"].sum()),
    )


def global_stats(summaries: list[ShardSummary], settings: ScoringSettings) -> ScoringStats:
    """Quintile edges and model fits from every shard's summary, computed once."""

    def merged(name: str, columns: list[str]) -> pd.DataFrame:
        return btyd.merge_rows([getattr(s, name) for s in summaries], columns)

    visits, spend = merged("visits", ["x", "t_x", "T"]), merged("spend", ["x", "m"])
    visit_model = spend_model = None
    if visits["weight"].sum() >= 20 and visits.loc[visits["x"] > 0, "weight"].sum() >= 5:
        visit_model = btyd.fit_visit_rows(visits, penalizer=settings.btyd_penalizer)
    if spend.loc[spend["x"] >= 2, "weight"].sum() >= 20:
        spend_model = btyd.fit_spend_rows(spend, penalizer=settings.btyd_penalizer)
    paid_count = sum(s.paid_count for s in summaries)
    return ScoringStats(
        r_edges=rank_edges(merged("recency", ["value"]), 5),
        f_edges=rank_edges(merged("frequency", ["value"]), 5),
        m_edges=rank_edges(merged("monetary", ["value"]), 5),
        visit_model=visit_model,
        spend_model=spend_model,
        spend_fallback=sum(s.paid_sum for s in summaries) / paid_count if paid_count else 0.0,
        btyd_customers=int(visits["weight"].sum()),
    )


#: Feature columns used only on the way to the scores, not part of the output.
_WORK_COLUMNS = ["btyd_known", "x", "t_x", "T", "n_paid", "mean_paid", "paid_sum", "bought_days"]


def finish(
    features_: pd.DataFrame,
    stats: ScoringStats,
    settings: ScoringSettings,
    previous: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Each customer's scores from its features and the global statistics (no value tier)."""
    out = features_.copy()
    _rfm_scores(out, stats, settings)
    _future_value(out, stats, settings)
    _churn_status(out, settings)
    _growth(out, previous)
    return out.drop(columns=_WORK_COLUMNS)


def _per_customer(out: pd.DataFrame, series: pd.Series, fill=np.nan) -> np.ndarray:
    return (
        series.reindex(out["customer_id"]).fillna(fill).to_numpy()
        if len(series)
        else np.full(len(out), fill, dtype=float)
    )


def _rfm_values(out, visits, purchases, end, settings) -> None:
    paid = visits[visits["amount"] > 0]
    last_paid = paid.groupby("customer_id")["opened_on"].max()
    out["recency_days"] = _per_customer(out, _days(end - last_paid))
    window_start = end - pd.Timedelta(days=settings.rfm_window_months * DAYS_PER_MONTH)
    recent = paid[paid["opened_on"] > window_start]
    grouped = recent.groupby("customer_id")["amount"]
    out["frequency"] = _per_customer(out, grouped.size(), 0).astype("int64")
    # In cents: a shard's sum then equals the whole run's, whatever order the rows came in.
    out["monetary"] = np.round(_per_customer(out, grouped.sum(), 0.0), 2)
    last_purchase = (
        purchases.groupby("customer_id")["purchased_on"].max()
        if len(purchases)
        else pd.Series(dtype="datetime64[ns]")
    )
    out["bought_days"] = _per_customer(out, _days(end - pd.to_datetime(last_purchase)))


def _rfm_scores(out, stats, settings) -> None:
    in_window = out["frequency"] > 0
    ever_paid = out["recency_days"].notna()
    out["r_score"] = np.where(ever_paid, step_scores(-out["recency_days"], stats.r_edges), 1)
    out["f_score"] = np.where(in_window, step_scores(out["frequency"], stats.f_edges), 1)
    out["m_score"] = np.where(in_window, step_scores(out["monetary"], stats.m_edges), 1)
    segment = rfm_segment(out["r_score"], out["f_score"], out["m_score"])
    # Never a paid visit: new buyers of a car are "new", the rest are "lost".
    never_paid = (~ever_paid).to_numpy()
    recent_buyer = out["bought_days"].to_numpy() <= settings.new_customer_months * DAYS_PER_MONTH
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


def _visit_history(out, visits, purchases, end) -> None:
    """(x, t_x, T) in weeks per customer for the buy-till-you-die models, and paid visits.

    Transactions are the first car purchase and every visit day; the first of them is the
    birth and the others are repeats.
    """
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
    out["x"] = _per_customer(out, count - 1, 0.0)
    out["t_x"] = _per_customer(out, _days(last - birth) / DAYS_PER_WEEK, 0.0)
    out["T"] = _per_customer(out, _days(end - birth) / DAYS_PER_WEEK)
    out["btyd_known"] = (out["T"] > 0).to_numpy()
    paid = visits[visits["amount"] > 0]
    per_customer = paid.groupby("customer_id")["amount"].agg(["size", "sum"])
    out["n_paid"] = _per_customer(out, per_customer["size"], 0)
    out["paid_sum"] = _per_customer(out, per_customer["sum"], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["mean_paid"] = np.where(out["n_paid"] > 0, out["paid_sum"] / out["n_paid"], 0.0)


def _future_value(out, stats, settings) -> None:
    out["p_alive"] = np.nan
    out["expected_visits"] = 0.0
    known = out["btyd_known"].to_numpy()
    if stats.visit_model is not None and known.any():
        x, t_x, T = (out.loc[known, c] for c in ("x", "t_x", "T"))
        out.loc[known, "p_alive"] = btyd.p_alive(stats.visit_model, x, t_x, T)
        out.loc[known, "expected_visits"] = btyd.expected_visits(
            stats.visit_model, settings.horizon_weeks, x, t_x, T
        )
    n_paid, mean_paid = out["n_paid"].to_numpy(), out["mean_paid"].to_numpy()
    if stats.spend_model is not None:
        out["expected_spend_per_visit"] = btyd.expected_spend_per_visit(
            stats.spend_model, n_paid, mean_paid
        )
    else:
        out["expected_spend_per_visit"] = np.where(n_paid > 0, mean_paid, stats.spend_fallback)
    out["expected_spend"] = out["expected_visits"] * out["expected_spend_per_visit"]
    out["future_value"] = out["expected_spend"] * (
        1 + settings.value_layer_bonus * out["value_layer_score"]
    )


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


def _churn_indicators(out, visits, complaints, surveys, events, end, settings) -> None:
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
    out["churn_overdue"] = _clip01((out["overdue_ratio"] - 1) / (settings.overdue_full_ratio - 1))
    year = pd.Timedelta(days=settings.frequency_window_months * DAYS_PER_MONTH)
    last_year = _per_customer(out, days[days["day"] > end - year].groupby("customer_id").size(), 0)
    year_before = _per_customer(
        out,
        days[(days["day"] <= end - year) & (days["day"] > end - 2 * year)]
        .groupby("customer_id")
        .size(),
        0,
    )
    out["churn_falling_frequency"] = np.where(
        year_before > 0, _clip01((year_before - last_year) / np.maximum(year_before, 1)), 0.0
    )
    unresolved = (
        complaints[complaints["is_unresolved"].astype(bool)].groupby("customer_id").size()
        if len(complaints)
        else pd.Series(dtype=float)
    )
    out["unresolved_complaints"] = _per_customer(out, unresolved, 0).astype("int64")
    out["churn_unresolved_complaints"] = _clip01(
        out["unresolved_complaints"] / settings.complaints_for_full_score
    )
    out["churn_falling_satisfaction"] = _satisfaction_drop(out, surveys, settings)
    window = pd.Timedelta(days=settings.engagement_window_months * DAYS_PER_MONTH)
    engaged = (
        events[pd.to_datetime(events["occurred_on"]) > end - window].groupby("customer_id").size()
        if len(events)
        else pd.Series(dtype=float)
    )
    out["churn_no_engagement"] = (_per_customer(out, engaged, 0) == 0).astype(float)


def _churn_status(out, settings) -> None:
    out["churn_not_alive"] = _clip01(1 - out["p_alive"].fillna(1.0))
    weights = settings.churn_weights
    churn = sum(weights[name] * out[f"churn_{name}"].to_numpy() for name in CHURN_INDICATORS)
    out["churn_score"] = churn / sum(weights.values())
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


def _growth(out, previous) -> None:
    if previous is None or previous.empty:
        out["previous_future_value"] = np.nan
        out["previous_rfm_segment"] = None
    else:
        prev = previous.set_index("customer_id")
        out["previous_future_value"] = _per_customer(out, prev["future_value"])
        out["previous_rfm_segment"] = prev["rfm_segment"].reindex(out["customer_id"]).to_numpy()
    out["future_value_change"] = out["future_value"] - out["previous_future_value"]
