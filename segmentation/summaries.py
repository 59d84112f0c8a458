"""Per-run summaries of the scores (R4, R6): what the segment explorer, the dashboard and the
monthly report show about a month, computed once per run and kept on it (``ScoringRun.summary``).

A month scores about a million customers; counting them per page view would cost seconds, so a
run's summary is built with three set-based queries when the run finishes (and lazily, then
stored, for a run that has none) and every later read costs nothing:

- ``customers``, ``future_value``: the run's totals;
- ``nine_cells``, ``rfm_segments``, ``statuses``, ``value_tiers``: ``{code: {"n", "value"}}``,
  the number of customers and their summed future value (yuan) per nine cell (every cell of the
  3 × 3 grid, empty ones included; customers without a cell — cars under the first age tier or
  no car — under :data:`NONE`), RFM segment, churn status and value tier (``"1"``…);
- ``rf_grid``: ``{"<R>/<F>": n}``, customers per recency and frequency score (1-5 each);
- ``early_warnings``: ``{"at_risk": n, "new": n}``, customers at risk and those of them who were
  not at risk in the previous run;
- ``transitions``: who moved where since the previous run, ``{"rfm_segment" | "nine_cell" |
  "status": {from: {to: n}}}``; ``from`` is :data:`ABSENT` for a customer the previous run did
  not score. Empty without a previous run. :func:`status_changes` reads the newly lost and the
  recovered from it;
- ``previous_run`` / ``previous_month``: the baseline of the transitions (the current monthly
  run of the latest earlier month), ``age_tiers`` and ``bands``: the grid's codes in order.

Keys and codes are JSON strings; labels are given by :func:`nine_cell_label` and the models'
choices. A rerun of a month replaces its run, so the next month's transitions are reset and
rebuilt on their next read (:func:`run_summary_refresh`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from core.months import add_months
from segmentation.models import CustomerScore, RunKind, ScoringRun, Status
from segmentation.scoring_settings import ScoringSettings

#: Bumped when the summary's contents change: older summaries are rebuilt on their next read.
SUMMARY_VERSION = 2
#: ``from`` of a customer the previous run did not score.
ABSENT = "absent"
#: A customer without a nine cell (a car younger than the first age tier, or no car).
NONE = "none"
#: Satisfaction bands of the grid, low to high.
BANDS = ("low", "medium", "high")


def run_summary(run: ScoringRun) -> dict[str, Any]:
    """The summary of ``run`` (see the module docstring): the stored one, or built and stored."""
    if run.summary and run.summary.get("version") == SUMMARY_VERSION:
        return run.summary
    return run_summary_store(run)


def run_summaries(last: int = 12) -> list[dict[str, Any]]:
    """The summaries of the current monthly runs of the ``last`` months scored, oldest first
    (the trend of the dashboard and the monthly report); one query when all are stored."""
    runs = list(
        ScoringRun.objects.current()
        .filter(kind=RunKind.MONTHLY)
        .defer("model", "timings", "counts", "error")
        .order_by("-month")[:last]
    )
    return [run_summary(run) for run in reversed(runs)]


def run_summary_store(run: ScoringRun) -> dict[str, Any]:
    """Build the summary of ``run`` from its scores and store it on the run."""
    summary = _summary_build(run)
    ScoringRun.objects.filter(pk=run.pk).update(summary=summary)
    run.summary = summary
    return summary


def run_summary_refresh(run: ScoringRun) -> None:
    """Called once ``run`` is the current run of its month: store its summary, and reset the
    summaries of the later runs whose transitions it is now the baseline of (a rerun of a past
    month), so they are rebuilt on their next read."""
    run_summary_store(run)
    if run.kind != RunKind.MONTHLY:
        return
    later = ScoringRun.objects.current().filter(
        month__gte=run.month, month__lte=add_months(run.month, 1)
    )
    for other in later.exclude(pk=run.pk):
        baseline = _baseline(other)
        if baseline is not None and baseline.pk == run.pk:
            ScoringRun.objects.filter(pk=other.pk).update(summary={})


def status_changes(summary: dict[str, Any]) -> dict[str, int]:
    """Status moves since the previous run: ``newly_lost`` (active or at risk then, lost now),
    ``recovered`` (lost then, active or at risk now), ``newly_at_risk`` (active then, at risk
    now) and ``back_to_active`` (at risk then, active now)."""
    moves = summary.get("transitions", {}).get("status", {})

    def moved(sources: Iterable[str], targets: Iterable[str]) -> int:
        return sum(moves.get(s, {}).get(t, 0) for s in sources for t in targets)

    return {
        "newly_lost": moved([Status.ACTIVE, Status.AT_RISK], [Status.LOST]),
        "recovered": moved([Status.LOST], [Status.ACTIVE, Status.AT_RISK]),
        "newly_at_risk": moved([Status.ACTIVE], [Status.AT_RISK]),
        "back_to_active": moved([Status.AT_RISK], [Status.ACTIVE]),
    }


def age_tiers(run: ScoringRun) -> list[str]:
    """The age-tier codes of the run's nine cells, youngest first (``5+``, ``6+``, ``7+`` by
    default; the run's settings may move the years)."""
    years = (run.settings or {}).get("age_tier_years") or ScoringSettings().age_tier_years
    return [f"{year}+" for year in years]


def nine_cell_codes(run: ScoringRun) -> list[str]:
    """The nine cells of the run, by age tier (youngest first), then band (low first)."""
    return [f"{tier}/{band}" for tier in age_tiers(run) for band in BANDS]


def age_tier_label(code: str) -> str:
    """``7+`` -> "7 years or more" (translated)."""
    return _("%(years)s+ years") % {"years": code.rstrip("+")}


def band_label(code: str) -> str:
    """A satisfaction band's label (translated)."""
    labels = {
        "low": _("low satisfaction"),
        "medium": _("medium satisfaction"),
        "high": _("high satisfaction"),
    }
    return labels.get(code, code)


def nine_cell_label(code: str | None) -> str:
    """``7+/low`` -> "7+ years · low satisfaction" (translated); no cell -> "No nine cell"."""
    if not code or code == NONE or "/" not in code:
        return _("No nine cell (car under 5 years or none)")
    tier, band = code.split("/", 1)
    return f"{age_tier_label(tier)} · {band_label(band)}"


def _summary_build(run: ScoringRun) -> dict[str, Any]:
    started = time.perf_counter()
    baseline = _baseline(run)
    cells: dict[str, dict] = {code: _zero() for code in nine_cell_codes(run)}
    cells[NONE] = _zero()
    segments: dict[str, dict] = {}
    statuses: dict[str, dict] = {code: _zero() for code in Status.values}
    tiers: dict[str, dict] = {}
    rfm_moves: dict[str, dict[str, int]] = {}
    customers, total = 0, 0.0
    at_risk = 0
    rows = (
        CustomerScore.objects.filter(run_id=run.pk)
        .values_list("nine_cell", "rfm_segment", "previous_rfm_segment", "status", "value_tier")
        .annotate(n=Count("*"), value=Sum("future_value"))
        .order_by()
    )
    for cell, segment, previous_segment, status, tier, n, value in rows:
        value = float(value or 0.0)
        customers += n
        total += value
        _add(cells, cell or NONE, n, value)
        _add(segments, segment, n, value)
        _add(statuses, status, n, value)
        if tier is not None:
            _add(tiers, str(tier), n, value)
        if status == Status.AT_RISK:
            at_risk += n
        if baseline is not None:
            _move(rfm_moves, previous_segment or ABSENT, segment, n)
    rf_grid = {
        f"{r}/{f}": n
        for r, f, n in CustomerScore.objects.filter(run_id=run.pk)
        .values_list("r_score", "f_score")
        .annotate(n=Count("*"))
        .order_by("r_score", "f_score")
    }
    cell_moves: dict[str, dict[str, int]] = {}
    status_moves: dict[str, dict[str, int]] = {}
    if baseline is not None:
        for before_cell, before_status, cell, status, n in _moves(run.pk, baseline.pk):
            absent = before_status is None
            _move(cell_moves, ABSENT if absent else before_cell or NONE, cell or NONE, n)
            _move(status_moves, ABSENT if absent else before_status, status, n)
    newly_at_risk = sum(
        targets.get(Status.AT_RISK, 0)
        for source, targets in status_moves.items()
        if source != Status.AT_RISK
    )
    return {
        "version": SUMMARY_VERSION,
        "run": run.pk,
        "month": f"{run.month:%Y-%m}",
        "kind": run.kind,
        "previous_run": baseline.pk if baseline else None,
        "previous_month": f"{baseline.month:%Y-%m}" if baseline else None,
        "age_tiers": age_tiers(run),
        "bands": list(BANDS),
        "customers": customers,
        "future_value": round(total, 2),
        "nine_cells": _rounded(cells),
        "rfm_segments": _rounded(segments),
        "statuses": _rounded(statuses),
        "value_tiers": _rounded(dict(sorted(tiers.items(), key=lambda item: int(item[0])))),
        "rf_grid": rf_grid,
        "early_warnings": {
            "at_risk": at_risk,
            "new": newly_at_risk if baseline is not None else None,
        },
        "transitions": {"rfm_segment": rfm_moves, "nine_cell": cell_moves, "status": status_moves},
        "seconds": round(time.perf_counter() - started, 3),
    }


def _baseline(run: ScoringRun) -> ScoringRun | None:
    """The run the transitions compare with: the current monthly run of the latest earlier
    month (for a daily warning run, of its own month or earlier), as the scoring uses."""
    months = {"month__lt": run.month} if run.kind == RunKind.MONTHLY else {"month__lte": run.month}
    return (
        ScoringRun.objects.current()
        .filter(kind=RunKind.MONTHLY, **months)
        .exclude(pk=run.pk)
        .order_by("-month")
        .first()
    )


def _moves(run_id: int, baseline_id: int) -> list[tuple]:
    """(previous cell, previous status, cell, status, customers) of the run against its
    baseline, joined on the customer in the database: one pass over both runs' scores (the
    (run, customer) index serves both sides); the previous status is NULL for a customer the
    baseline did not score."""
    table = connection.ops.quote_name(CustomerScore._meta.db_table)
    sql = f"""
        SELECT p.nine_cell, p.status, c.nine_cell, c.status, COUNT(*)
        FROM {table} c
        LEFT JOIN {table} p ON p.run_id = %s AND p.customer_id = c.customer_id
        WHERE c.run_id = %s
        GROUP BY p.nine_cell, p.status, c.nine_cell, c.status
    """  # noqa: S608 - the table name comes from the model, the values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [baseline_id, run_id])
        return cursor.fetchall()


def _zero() -> dict[str, float]:
    return {"n": 0, "value": 0.0}


def _add(into: dict[str, dict], key: str, n: int, value: float) -> None:
    entry = into.setdefault(key, _zero())
    entry["n"] += n
    entry["value"] += value


def _move(into: dict[str, dict[str, int]], source: str, target: str, n: int) -> None:
    row = into.setdefault(source, {})
    row[target] = row.get(target, 0) + n


def _rounded(entries: dict[str, dict]) -> dict[str, dict]:
    return {key: {"n": e["n"], "value": round(e["value"], 2)} for key, e in entries.items()}
