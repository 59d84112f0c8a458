"""The segment explorer (R4): a month's nine-cell grid, RFM segments, churn statuses, value tiers
and who moved where since the previous month, each linking to its customers and to a campaign.

Everything shown comes from the run's stored summary (``segmentation.summaries``), so the page
costs two small queries whatever the number of customers.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _

from accounts.access import staff_page
from accounts.roles import Role
from core.months import parse_month
from customers.filters import month_clean
from segmentation.models import RfmSegment, RunKind, ScoringRun, Status
from segmentation.selectors import scoring_run_list
from segmentation.summaries import (
    ABSENT,
    BANDS,
    NONE,
    age_tier_label,
    band_label,
    nine_cell_label,
    run_summary,
)

#: Heat levels of the grid's cells (CSS classes heat-0 .. heat-4).
HEAT_LEVELS = 4


@staff_page(Role.SERVICE_MARKETING, Role.MANAGER)
def segments(request: HttpRequest) -> HttpResponse:
    """The segments of the month picked (``?month=YYYY-MM``; default: the latest scored)."""
    months = list(scoring_run_list().filter(kind=RunKind.MONTHLY).values_list("month", flat=True))
    error = None
    try:
        month = month_clean(request.GET.get("month"))
    except ValidationError as invalid:
        error, month = invalid.messages[0], None
    if month not in months:
        month = months[0] if months else None
    run = (
        ScoringRun.objects.current()
        .filter(kind=RunKind.MONTHLY, month=month)
        .defer("model", "timings", "counts", "error")
        .first()
        if month
        else None
    )
    context: dict[str, Any] = {"months": months, "month": month, "error": error, "run": run}
    if run is not None:
        context.update(segments_context(run, run_summary(run)))
    return render(request, "segmentation/segments.html", context)


def segments_context(run: ScoringRun, summary: dict[str, Any]) -> dict[str, Any]:
    """What the page shows of a run's summary: labelled rows with their links."""
    month = summary["month"]
    total = summary["customers"]
    previous = summary["previous_month"]
    return {
        "summary": summary,
        "previous_label": formats.date_format(parse_month(previous), "YEAR_MONTH_FORMAT")
        if previous
        else "",
        "total": total,
        "grid": _grid(summary, month),
        "no_cell": _row(summary["nine_cells"].get(NONE), total, nine_cell_label(None)),
        "rfm_rows": _rows(summary["rfm_segments"], RfmSegment.choices, total, month, "rfm_segment"),
        "status_rows": _rows(summary["statuses"], Status.choices, total, month, "status"),
        "tier_rows": _rows(
            summary["value_tiers"],
            [(code, _tier_label(code)) for code in summary["value_tiers"]],
            total,
            month,
            "value_tier",
        ),
        "early_warnings": summary["early_warnings"],
        "at_risk_url": _customers_url(month, status=Status.AT_RISK),
        "rfm_moves": _matrix(
            summary["transitions"]["rfm_segment"],
            dict(RfmSegment.choices),
            month,
            "rfm_segment",
        ),
        "cell_moves": _matrix(
            summary["transitions"]["nine_cell"],
            {
                **{code: nine_cell_label(code) for code in summary["nine_cells"]},
                NONE: _("No nine cell"),
            },
            month,
            "nine_cell",
        ),
        "status_moves": _matrix(
            summary["transitions"]["status"], dict(Status.choices), month, "status"
        ),
    }


def _customers_url(month: str, **filters: Any) -> str:
    return f"{reverse('customer_list')}?{urlencode({'month': month, **filters})}"


def _campaign_url(month: str, **filters: Any) -> str:
    return f"{reverse('campaign_create')}?{urlencode({'month': month, **filters})}"


def _tier_label(code: str) -> str:
    return _("Value tier %(tier)s") % {"tier": code}


def _row(entry: dict | None, total: int, label: str, **links: str) -> dict[str, Any]:
    entry = entry or {"n": 0, "value": 0.0}
    return {
        "label": label,
        "n": entry["n"],
        "value": entry["value"],
        "share": entry["n"] / total if total else None,
        **links,
    }


def _rows(
    entries: dict[str, dict], choices: list, total: int, month: str, key: str
) -> list[dict[str, Any]]:
    """One row per choice that has customers, in the choices' order."""
    rows = []
    for code, label in choices:
        entry = entries.get(str(code))
        if not entry or not entry["n"]:
            continue
        rows.append(
            _row(
                entry,
                total,
                str(label),
                customers_url=_customers_url(month, **{key: code}),
                campaign_url=_campaign_url(month, **{key: code}),
            )
        )
    return rows


def _grid(summary: dict[str, Any], month: str) -> dict[str, Any]:
    """The 3 x 3 grid: the oldest cars on top, satisfaction low to high left to right."""
    cells = summary["nine_cells"]
    total = summary["customers"]
    largest = max(
        (cells.get(f"{t}/{b}", {}).get("n", 0) for t in summary["age_tiers"] for b in BANDS),
        default=0,
    )
    rows = []
    for tier in reversed(summary["age_tiers"]):
        row = []
        for band in summary["bands"]:
            code = f"{tier}/{band}"
            entry = _row(
                cells.get(code),
                total,
                nine_cell_label(code),
                customers_url=_customers_url(month, nine_cell=code),
                campaign_url=_campaign_url(month, nine_cell=code),
            )
            entry["heat"] = math.ceil(HEAT_LEVELS * entry["n"] / largest) if largest else 0
            row.append(entry)
        rows.append({"label": age_tier_label(tier), "cells": row})
    return {"rows": rows, "bands": [band_label(band) for band in summary["bands"]]}


def _matrix(
    moves: dict[str, dict[str, int]], labels: dict[str, str], month: str, key: str
) -> dict[str, Any] | None:
    """A from -> to table of counts: rows are where customers were, columns where they are;
    each column's total links to the customers there now (the list filters by the current
    value only, so a single move is shown as a number)."""
    if not moves:
        return None
    order = [*dict.fromkeys([*labels, NONE])]
    sources = [code for code in [*order, ABSENT] if code in moves]
    targets = [code for code in order if any(code in row for row in moves.values())]
    column_totals = {t: sum(row.get(t, 0) for row in moves.values()) for t in targets}

    def label(code: str) -> str:
        if code == ABSENT:
            return _("Not scored last month")
        return str(labels.get(code) or nine_cell_label(None))

    return {
        "targets": [
            {
                "label": label(t),
                "total": column_totals[t],
                "url": _customers_url(month, **{key: t}) if t != NONE else "",
            }
            for t in targets
        ],
        "rows": [
            {
                "label": label(s),
                "total": sum(moves[s].values()),
                "cells": [{"n": moves[s].get(t, 0), "stayed": s == t} for t in targets],
            }
            for s in sources
        ],
    }
