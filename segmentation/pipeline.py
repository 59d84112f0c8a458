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

Each step is a module of its own: :mod:`~segmentation.rfm`, :mod:`~segmentation.nine_cells`,
:mod:`~segmentation.visit_history`, :mod:`~segmentation.churn` and
:mod:`~segmentation.future_value`, on the input tables as :mod:`~segmentation.input_rows`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from segmentation import backtest
from segmentation import per_customer as pc
from segmentation.btyd.fitting import merge_rows
from segmentation.btyd.gamma_gamma import SpendModel, fit_spend_rows, spend_rows
from segmentation.btyd.visit_model import VisitModel, fit_visit_rows, visit_rows
from segmentation.churn import churn_indicators, churn_status
from segmentation.future_value import (
    TIER_STATUSES,
    future_value,
    growth,
    value_layer_score,
    value_tier_edges,
    value_tiers,
)
from segmentation.input_rows import InputRows
from segmentation.nine_cells import nine_cells
from segmentation.rank_scores import rank_edges, value_counts
from segmentation.rfm import rfm_scores, rfm_values
from segmentation.scoring_settings import ScoringSettings
from segmentation.visit_history import visit_history


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

    Quintile edges (:func:`~segmentation.rank_scores.rank_edges`) for R (negated recency), F
    and M; the fitted visit and spend models (None when too few customers); the spend per visit
    used without a spend model.
    """

    r_edges: list[float]
    f_edges: list[float]
    m_edges: list[float]
    visit_model: VisitModel | None
    spend_model: SpendModel | None
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
            visit_model=VisitModel.from_dict(visit) if visit else None,
            spend_model=SpendModel.from_dict(spend) if spend else None,
            spend_fallback=data["spend_fallback"],
            btyd_customers=data["btyd_customers"],
            backtest=data.get("backtest", {}),
        )


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


def features(inputs: ScoringInputs, settings: ScoringSettings, as_of: dt.date) -> pd.DataFrame:
    """Everything about each customer that needs no statistic of the other customers."""
    end = pd.Timestamp(as_of)
    out = pd.DataFrame({"customer_id": inputs.customers["customer_id"].astype("int64").to_numpy()})
    at = InputRows(pc.Positions(out["customer_id"].to_numpy()), pc.day_numbers([end])[0])
    purchases = at.rows(inputs.purchases, "purchased_on")
    visits = at.rows(inputs.visits, "opened_on", "amount")
    surveys = at.rows(inputs.surveys, "surveyed_on", "overall")
    events = at.rows(inputs.value_events, "occurred_on", "layer")
    odometer = at.rows(inputs.odometer, "read_on", "vehicle_id", "km", "is_meter_replacement")
    reached = at.rows(inputs.win_back_contacts, "contacted_at")
    complaints = _dated(inputs.complaints, "opened_at", end + pd.Timedelta(hours=23, minutes=59))
    rfm_values(out, at, visits, purchases, settings)
    nine_cells(out, at, purchases, surveys, odometer, settings)
    visit_history(out, at, visits, purchases, reached, settings)
    out["value_layer_score"] = value_layer_score(at, events, settings)
    churn_indicators(out, at, visits, complaints, surveys, events, settings)
    return out


def summarize(features_: pd.DataFrame, settings: ScoringSettings) -> ShardSummary:
    """The part of the global statistics one shard's :func:`features` contribute."""
    paid_window = features_["frequency"] > 0
    known = features_["btyd_known"].to_numpy()
    return ShardSummary(
        recency=value_counts(-features_["recency_days"]),
        frequency=value_counts(features_.loc[paid_window, "frequency"]),
        monetary=value_counts(features_.loc[paid_window, "monetary"]),
        visits=visit_rows(
            features_.loc[known, "x"],
            features_.loc[known, "t_x"],
            features_.loc[known, "T"],
            litt=features_.loc[known, "litt"],
            gap_cv2=features_.loc[known, "gap_cv2"],
            resolution=settings.fit_resolution_weeks,
        ),
        spend=spend_rows(features_["n_paid"], features_["mean_paid"], rounding=10.0),
        backtest=backtest.rows(features_, settings.fit_resolution_weeks),
        backtest_spend=backtest.spend_rows(features_),
        paid_sum=float(features_["paid_sum"].sum()),
        paid_count=int(features_["n_paid"].sum()),
        backtest_weeks=float(features_.attrs["backtest_weeks"]),
    )


def global_stats(summaries: list[ShardSummary], settings: ScoringSettings) -> ScoringStats:
    """Quintile edges and model fits from every shard's summary, computed once."""

    def merged(name: str, columns: list[str]) -> pd.DataFrame:
        return merge_rows([getattr(s, name) for s in summaries], columns)

    visits, spend = merged("visits", ["x", "t_x", "T"]), merged("spend", ["x", "m"])
    report = backtest.run(
        merged("backtest", backtest.KEY),
        merged("backtest_spend", ["x", "m"]),
        summaries[0].backtest_weeks,
        settings,
    )
    visit_model = spend_model = None
    if visits["weight"].sum() >= 20 and visits.loc[visits["x"] > 0, "weight"].sum() >= 5:
        visit_model = fit_visit_rows(
            visits,
            kind=settings.visit_model,
            penalizer=settings.btyd_penalizer,
            start=backtest.fitted_params(report, settings.visit_model),
        )
    if spend.loc[spend["x"] >= 2, "weight"].sum() >= 20:
        spend_model = fit_spend_rows(spend, penalizer=settings.btyd_penalizer)
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
    rfm_scores(out, stats.r_edges, stats.f_edges, stats.m_edges, settings)
    future_value(out, stats.visit_model, stats.spend_model, stats.spend_fallback, settings)
    churn_status(out, settings)
    growth(out, previous)
    return out.drop(columns=_WORK_COLUMNS)
