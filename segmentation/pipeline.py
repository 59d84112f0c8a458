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
win_back_contacts  customer_id int64, contacted_at datetime64 (win-back calls that reached the
                   customer; only the backtest reads them)
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
(or the first visit, if earlier); every later visit day is a repeat transaction. The visit model
is ``settings.visit_model`` (:mod:`segmentation.btyd`). :attr:`ScoringResult.model` holds the
fitted models and the run's forecast backtest (:mod:`segmentation.backtest`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from segmentation import backtest, btyd
from segmentation import per_customer as pc
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
    win_back_contacts: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            {"customer_id": pd.Series(dtype="int64"), "contacted_at": pd.Series(dtype="M8[ns]")}
        )
    )


@dataclass
class ScoringResult:
    customers: pd.DataFrame
    model: dict = field(default_factory=dict)


@dataclass
class ShardSummary:
    """What one shard of customers contributes to the global statistics.

    ``recency``, ``frequency``, ``monetary``: (value, weight) counts of the values RFM ranks
    (recency negated, so higher is better); ``visits``: collapsed visit-model rows (x, t_x, T,
    weight and the gaps' sums); ``spend``: collapsed Gamma-Gamma rows (x, m, weight);
    ``backtest``/``backtest_spend``: the same as of the backtest's cut-off, with what followed
    (:mod:`segmentation.backtest`), over ``backtest_weeks``; ``paid_sum``/``paid_count``:
    paid service orders, for the spend fallback without a Gamma-Gamma fit.
    """

    recency: pd.DataFrame
    frequency: pd.DataFrame
    monetary: pd.DataFrame
    visits: pd.DataFrame
    spend: pd.DataFrame
    backtest: pd.DataFrame
    backtest_spend: pd.DataFrame
    paid_sum: float
    paid_count: int
    backtest_weeks: float

    _FRAMES = ("recency", "frequency", "monetary", "visits", "spend", "backtest", "backtest_spend")
    _SCALARS = ("paid_sum", "paid_count", "backtest_weeks")

    def to_dict(self) -> dict:
        """JSON-safe, for passing between processes (a Celery result)."""
        data = {name: getattr(self, name).to_dict(orient="list") for name in self._FRAMES}
        return {**data, **{name: getattr(self, name) for name in self._SCALARS}}

    @classmethod
    def from_dict(cls, data: dict) -> ShardSummary:
        frames = {name: pd.DataFrame(data[name]) for name in cls._FRAMES}
        return cls(**frames, **{name: data[name] for name in cls._SCALARS})


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
    backtest: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """JSON-safe; stored as the run's ``model`` (an edge of None means minus infinity)."""
        data: dict = {
            "btyd_customers": self.btyd_customers,
            "rfm_edges": {
                key: [None if np.isneginf(e) else float(e) for e in edges]
                for key, edges in (("r", self.r_edges), ("f", self.f_edges), ("m", self.m_edges))
            },
            "spend_fallback": self.spend_fallback,
            "backtest": self.backtest,
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
            backtest=data.get("backtest", {}),
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
    at = _Rows(pc.Positions(out["customer_id"].to_numpy()), pc.day_numbers([end])[0])
    purchases = at.rows(inputs.purchases, "purchased_on")
    visits = at.rows(inputs.visits, "opened_on", "amount")
    surveys = at.rows(inputs.surveys, "surveyed_on", "overall")
    events = at.rows(inputs.value_events, "occurred_on", "layer")
    odometer = at.rows(inputs.odometer, "read_on", "vehicle_id", "km", "is_meter_replacement")
    reached = at.rows(inputs.win_back_contacts, "contacted_at")
    complaints = _dated(inputs.complaints, "opened_at", end + pd.Timedelta(hours=23, minutes=59))
    _rfm_values(out, at, visits, purchases, settings)
    _nine_cells(out, at, purchases, surveys, odometer, settings)
    _visit_history(out, at, visits, purchases, reached, settings)
    out["value_layer_score"] = _value_layer_score(out, at, events, settings)
    _churn_indicators(out, at, visits, complaints, surveys, events, settings)
    return out


class _Rows:
    """An input table as numpy columns: ``pos`` (the customer's output position) and ``day``
    (days since 1970), keeping rows of known customers up to the as-of day."""

    def __init__(self, positions: pc.Positions, end_day: int) -> None:
        self.positions, self.end_day, self.n = positions, int(end_day), positions.n

    def rows(self, frame: pd.DataFrame, date_column: str, *columns: str) -> dict[str, np.ndarray]:
        if frame.empty:
            empty = {"pos": np.zeros(0, np.int64), "day": np.zeros(0, np.int64)}
            return empty | {c: frame[c].to_numpy() if c in frame else np.zeros(0) for c in columns}
        pos = self.positions.of(frame["customer_id"].to_numpy())
        day = pc.day_numbers(frame[date_column])
        keep = (pos >= 0) & (day <= self.end_day)
        data = {"pos": pos[keep], "day": day[keep]}
        return data | {c: frame[c].to_numpy()[keep] for c in columns}


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
            litt=features_.loc[known, "litt"],
            gap_cv2=features_.loc[known, "gap_cv2"],
            resolution=settings.fit_resolution_weeks,
        ),
        spend=btyd.spend_rows(features_["n_paid"], features_["mean_paid"], rounding=10.0),
        backtest=backtest.rows(features_, settings.fit_resolution_weeks),
        backtest_spend=backtest.spend_rows(features_),
        paid_sum=float(features_["paid_sum"].sum()),
        paid_count=int(features_["n_paid"].sum()),
        backtest_weeks=float(features_.attrs["backtest_weeks"]),
    )


def global_stats(summaries: list[ShardSummary], settings: ScoringSettings) -> ScoringStats:
    """Quintile edges and model fits from every shard's summary, computed once."""

    def merged(name: str, columns: list[str]) -> pd.DataFrame:
        return btyd.merge_rows([getattr(s, name) for s in summaries], columns)

    visits, spend = merged("visits", ["x", "t_x", "T"]), merged("spend", ["x", "m"])
    report = backtest.run(
        merged("backtest", backtest.KEY),
        merged("backtest_spend", ["x", "m"]),
        summaries[0].backtest_weeks,
        settings,
    )
    visit_model = spend_model = None
    if visits["weight"].sum() >= 20 and visits.loc[visits["x"] > 0, "weight"].sum() >= 5:
        visit_model = btyd.fit_visit_rows(
            visits,
            kind=settings.visit_model,
            penalizer=settings.btyd_penalizer,
            start=backtest.fitted_params(report, settings.visit_model),
        )
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
        backtest=report,
    )


#: Feature columns used only on the way to the scores, not part of the output.
_WORK_COLUMNS = [
    "btyd_known",
    "x",
    "t_x",
    "T",
    "litt",
    "gap_cv2",
    "n_paid",
    "mean_paid",
    "paid_sum",
    "bought_days",
    *backtest.COLUMNS,
]


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


def _since(at: _Rows, days: np.ndarray, empty: np.ndarray) -> np.ndarray:
    """Days from ``days`` to the as-of day; NaN where ``empty``."""
    return np.where(empty, np.nan, at.end_day - days.astype(float))


def _in_last(at: _Rows, days: np.ndarray, months: float) -> np.ndarray:
    """Days after the start of a window of ``months`` ending on the as-of day."""
    return days > at.end_day - months * DAYS_PER_MONTH


def _rfm_values(out, at, visits, purchases, settings) -> None:
    paid = visits["amount"] > 0
    pos, day, amount = visits["pos"][paid], visits["day"][paid], visits["amount"][paid]
    last_paid = pc.maximum(pos, day, at.n, empty=-1)
    out["recency_days"] = _since(at, last_paid, last_paid < 0)
    window = _in_last(at, day, settings.rfm_window_months)
    out["frequency"] = pc.count(pos[window], at.n)
    # In cents: a shard's sum then equals the whole run's, whatever order the rows came in.
    out["monetary"] = np.round(pc.total(pos[window], amount[window], at.n), 2)
    last_purchase = pc.maximum(purchases["pos"], purchases["day"], at.n, empty=-1)
    out["bought_days"] = _since(at, last_purchase, last_purchase < 0)


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


def _nine_cells(out, at, purchases, surveys, odometer, settings) -> None:
    latest = pc.maximum(purchases["pos"], purchases["day"], at.n, empty=-1)
    out["vehicle_age_years"] = _since(at, latest, latest < 0) / DAYS_PER_YEAR
    t5, t6, t7 = settings.age_tier_years
    age = out["vehicle_age_years"]
    out["age_tier"] = np.select(
        [age >= t7, age >= t6, age >= t5], [f"{t7}+", f"{t6}+", f"{t5}+"], "<5"
    )
    out.loc[age.isna(), "age_tier"] = None

    recent = _in_last(at, surveys["day"], settings.satisfaction_window_months)
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


def _mileage(out, at, odometer, settings) -> None:
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


def _visit_history(out, at, visits, purchases, reached, settings) -> None:
    """The visit history for the buy-till-you-die models as of the as-of day, and as of the
    backtest's cut-off with what happened after it (``bt_`` columns, see
    :mod:`segmentation.backtest`), including whether win-back work reached the customer
    after the cut-off (``reached``: win-back contacts).

    Transactions are the first car purchase and every visit day; the first of them is the
    birth and the others are repeats. Sorted once by customer and day, each customer's are a
    run of rows, and those up to the cut-off a prefix of it, so both dates are read from the
    same rows with ``reduceat`` (no ``ufunc.at``, no filtered copies of ten million rows).
    """
    first_purchase = pc.minimum(purchases["pos"], purchases["day"], at.n, empty=2**62)
    bought = first_purchase < 2**62
    pos, day = pc.distinct_days(
        np.concatenate([visits["pos"], np.flatnonzero(bought)]),
        np.concatenate([visits["day"], first_purchase[bought]]),
    )
    cutoff = backtest.cutoff_day(at.end_day, settings.backtest_months)
    out.attrs["backtest_weeks"] = (at.end_day - cutoff) / DAYS_PER_WEEK
    paid = visits["amount"] > 0
    paid_before = paid & (visits["day"] <= cutoff)
    history = _Histories(at.n, pos, day)
    now = history.at(at.end_day, None)
    now |= _paid(at.n, visits["pos"], visits["amount"], paid)
    then = history.at(cutoff, day <= cutoff)
    then |= _paid(at.n, visits["pos"], visits["amount"], paid_before)
    for name, values in now.items():
        out[name] = values
    for name, values in then.items():
        out[f"bt_{name}"] = values
    out["btyd_known"] = (out["T"] > 0).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["mean_paid"] = np.where(out["n_paid"] > 0, out["paid_sum"] / out["n_paid"], 0.0)
    # Repeat visits and paid spend after the cut-off, of customers born before it.
    out["bt_visits"] = np.where(then["T"] > 0, now["x"] - then["x"], 0.0)
    out["bt_spend"] = np.where(then["T"] > 0, now["paid_sum"] - then["paid_sum"], 0.0)
    after = reached["day"] > cutoff
    out["bt_reached"] = pc.count(reached["pos"][after], at.n) > 0


class _Histories:
    """Each customer's transaction days (``pos``, ``day`` sorted by position then day) as
    runs of rows, read as of any day by :meth:`at`."""

    def __init__(self, n: int, pos: np.ndarray, day: np.ndarray) -> None:
        self.n, self.day = n, day
        self.starts = np.flatnonzero(np.concatenate([[True], pos[1:] != pos[:-1]]))[: len(pos)]
        self.owner = pos[self.starts]
        self.rows = np.diff(np.append(self.starts, len(pos)))
        # Per row: the gap in weeks since the customer's previous transaction (0 on the first).
        weeks = np.zeros(len(day))
        weeks[1:] = (day[1:] - day[:-1]) / DAYS_PER_WEEK
        weeks[self.starts] = 0.0
        with np.errstate(divide="ignore"):
            self.log_gap = np.where(weeks > 0, np.log(weeks), 0.0)
        self.square_gap = weeks**2

    def at(self, end_day: int, upto: np.ndarray | None) -> dict[str, np.ndarray]:
        """(x, t_x, T) in weeks and the gaps' statistics as of ``end_day``; ``upto`` marks the
        rows up to that day (None: all)."""
        n, starts = self.n, self.starts
        if len(starts) == 0:
            empty = np.zeros(n)
            return {"x": empty, "t_x": empty, "T": np.full(n, np.nan), "litt": empty,
                    "gap_cv2": np.full(n, np.nan)}  # fmt: skip
        if upto is None:
            rows, log_gap, square_gap = self.rows, self.log_gap, self.square_gap
        else:
            rows = np.add.reduceat(upto.astype(np.int64), starts)
            log_gap, square_gap = self.log_gap * upto, self.square_gap * upto
        has = rows > 0
        who = self.owner[has]
        count = np.zeros(n, dtype=np.int64)
        count[who] = rows[has]
        birth = np.zeros(n, dtype=np.int64)
        birth[who] = self.day[starts[has]]
        last = np.zeros(n, dtype=np.int64)
        last[who] = self.day[starts[has] + rows[has] - 1]
        litt, squares = np.zeros(n), np.zeros(n)
        litt[who] = np.add.reduceat(log_gap, starts)[has]
        squares[who] = np.add.reduceat(square_gap, starts)[has]
        gap_count = np.maximum(count - 1, 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_gap = (last - birth) / DAYS_PER_WEEK / gap_count
            cv2 = squares / gap_count / mean_gap**2 - 1
        return {
            "x": gap_count.astype(float),
            "t_x": (last - birth) / DAYS_PER_WEEK,
            "T": np.where(count > 0, (end_day - birth) / DAYS_PER_WEEK, np.nan),
            # Sum of log gaps (weeks): MBG/CNBD-k's regularity statistic.
            "litt": litt,
            # Squared CV of the gaps (3 or more), whose mean estimates 1 / k (see btyd).
            "gap_cv2": np.where(gap_count >= 3, np.maximum(cv2, 0.0), np.nan),
        }


def _paid(n: int, pos: np.ndarray, amount: np.ndarray, paid: np.ndarray) -> dict[str, np.ndarray]:
    """Paid visits and their sum per customer, of the visits marked ``paid``."""
    return {
        "n_paid": np.bincount(pos, weights=paid, minlength=n).astype(np.int64),
        "paid_sum": np.bincount(pos, weights=np.where(paid, amount, 0.0), minlength=n),
    }


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


def _value_layer_score(out, at, events, settings) -> np.ndarray:
    """Recency-weighted sum of value-layer events, squashed to [0, 1)."""
    if not len(events["pos"]):
        return np.zeros(at.n)
    age_months = (at.end_day - events["day"]) / DAYS_PER_MONTH
    weight = pd.Series(events["layer"]).map(settings.value_layer_weights).fillna(0.0).to_numpy()
    points = weight * np.power(0.5, age_months / settings.value_half_life_months)
    points = np.where(age_months <= settings.value_window_months, points, 0.0)
    return 1 - np.exp(-pc.total(events["pos"], points, at.n) / 2.0)


def _churn_indicators(out, at, visits, complaints, surveys, events, settings) -> None:
    pos, day = pc.distinct_days(visits["pos"], visits["day"])
    count = pc.count(pos, at.n)
    first = np.where(count > 0, pc.minimum(pos, day, at.n, empty=2**62), 0)
    last = pc.maximum(pos, day, at.n, empty=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        interval = np.where(count >= 2, (last - first) / (count - 1), np.nan)
    interval = np.where(
        np.isnan(interval) | (interval < 30), settings.default_interval_days, interval
    )
    out["visit_interval_days"] = interval
    since_last = _since(at, last, count == 0)
    # Never visited: silence counts from the birth (first purchase), like a missed first visit.
    since = np.where(
        np.isnan(since_last), out["vehicle_age_years"].to_numpy() * DAYS_PER_YEAR, since_last
    )
    out["overdue_ratio"] = np.nan_to_num(since / interval)
    out["churn_overdue"] = _clip01((out["overdue_ratio"] - 1) / (settings.overdue_full_ratio - 1))
    months = settings.frequency_window_months
    last_year = _in_last(at, day, months)
    year_before = ~last_year & _in_last(at, day, 2 * months)
    last_year, year_before = pc.count(pos[last_year], at.n), pc.count(pos[year_before], at.n)
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
    out["churn_falling_satisfaction"] = _satisfaction_drop(at, surveys, settings)
    window = _in_last(at, events["day"], settings.engagement_window_months)
    engaged = pc.count(events["pos"][window], at.n)
    out["churn_no_engagement"] = (engaged == 0).astype(float)


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


def _satisfaction_drop(at, surveys, settings) -> np.ndarray:
    """Drop of the latest survey below the mean of the earlier ones, scaled to [0, 1].

    The latest survey is the last by day; of several on one day, the last one given.
    """
    pos, n = surveys["pos"], len(surveys["pos"])
    if not n:
        return np.zeros(at.n)
    latest = pc.maximum(pos, surveys["day"] * n + np.arange(n), at.n, empty=-1)
    has = latest >= 0
    overall = surveys["overall"].astype(float)
    latest_score = np.zeros(at.n)
    latest_score[has] = overall[latest[has] % n]
    count = pc.count(pos, at.n)
    with np.errstate(invalid="ignore", divide="ignore"):
        earlier_mean = (pc.total(pos, overall, at.n) - latest_score) / (count - 1)
    drop = np.where(count >= 2, earlier_mean - latest_score, 0.0)
    return _clip01(drop / settings.satisfaction_drop_for_full_score)


def _growth(out, previous) -> None:
    if previous is None or previous.empty:
        out["previous_future_value"] = np.nan
        out["previous_rfm_segment"] = None
    else:
        prev = previous.set_index("customer_id")
        out["previous_future_value"] = _per_customer(out, prev["future_value"])
        out["previous_rfm_segment"] = prev["rfm_segment"].reindex(out["customer_id"]).to_numpy()
    out["future_value_change"] = out["future_value"] - out["previous_future_value"]
