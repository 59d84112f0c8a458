"""The managers' dashboard (R6.2): segment sizes, the nine-cell and RFM grids, the churn trend
of twelve months, the follow-up funnel and the advisors' workload and timeliness, each a chart
(ECharts, ``static/js/dashboard.js``) with its numbers in a table below it.

The segment charts read the runs' stored summaries; the work figures come from
``reports.dashboards`` (cached aggregates). Labels are translated here, so the script only draws.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats
from django.utils.translation import gettext as _

from accounts.access import staff_page
from accounts.roles import Role
from core.months import parse_month
from reports.dashboards import FUNNEL_STEPS, advisor_work, followup_funnel
from segmentation.models import RfmSegment, Status
from segmentation.summaries import (
    age_tier_label,
    band_label,
    run_summaries,
    status_changes,
)

#: Advisors drawn in the workload chart (the table lists everyone).
CHART_ADVISORS = 15
#: Months of the churn trend.
TREND_MONTHS = 12


@staff_page(Role.MANAGER, Role.SERVICE_MARKETING)
def dashboard(request: HttpRequest) -> HttpResponse:
    """The dashboard of the latest month scored and the work of the last rounds."""
    trend = run_summaries(last=TREND_MONTHS)
    latest = trend[-1] if trend else None
    funnel = followup_funnel()
    work = advisor_work(user=request.user)
    context: dict[str, Any] = {
        "latest": latest,
        "changes": status_changes(latest) if latest else None,
        "trend_rows": _trend_rows(trend),
        "funnel_rows": _funnel_rows(funnel),
        "funnel_steps": [_step_label(step) for step in FUNNEL_STEPS],
        "work": work,
        "statuses": [label for _code, label in Status.choices],
    }
    data: dict[str, Any] = {
        "trend": _trend_chart(trend),
        "funnel": _funnel_chart(funnel),
        "work": _work_chart(work),
        "text": {
            "customers": _("Customers"),
            "future_value": _("Future value"),
            "open": _("Open tasks"),
            "overdue": _("Overdue"),
            "on_time": _("Closed by the due day"),
            "late": _("Closed late"),
            "expired": _("Expired"),
            "conversion": _("of the step before"),
        },
    }
    if latest:
        context.update(_segment_context(latest))
        data.update(_segment_charts(latest))
    context["data"] = data
    return render(request, "reports/dashboard.html", context)


def _month(value: Any) -> str:
    """A month (``YYYY-MM`` or a date) as the reader's short month name."""
    return formats.date_format(
        parse_month(value) if isinstance(value, str) else value, "YEAR_MONTH_FORMAT"
    )


def _segment_context(summary: dict[str, Any]) -> dict[str, Any]:
    total = summary["customers"]
    segments = [
        {
            "label": str(label),
            "n": summary["rfm_segments"].get(code, {}).get("n", 0),
            "value": summary["rfm_segments"].get(code, {}).get("value", 0.0),
        }
        for code, label in RfmSegment.choices
    ]
    for row in segments:
        row["share"] = row["n"] / total if total else None
    tiers = list(reversed(summary["age_tiers"]))
    nine_rows = [
        {
            "label": age_tier_label(tier),
            "cells": [
                summary["nine_cells"].get(f"{tier}/{band}", {"n": 0}) for band in summary["bands"]
            ],
        }
        for tier in tiers
    ]
    rf_rows = [
        {
            "label": _("R %(score)s") % {"score": r},
            "cells": [summary["rf_grid"].get(f"{r}/{f}", 0) for f in range(1, 6)],
        }
        for r in range(5, 0, -1)
    ]
    return {
        "month_label": _month(summary["month"]),
        "segment_rows": segments,
        "nine_rows": nine_rows,
        "bands": [band_label(band) for band in summary["bands"]],
        "rf_rows": rf_rows,
        "f_labels": [_("F %(score)s") % {"score": f} for f in range(1, 6)],
    }


def _segment_charts(summary: dict[str, Any]) -> dict[str, Any]:
    segments = [
        (str(label), summary["rfm_segments"].get(code, {})) for code, label in RfmSegment.choices
    ]
    tiers = summary["age_tiers"]
    nine = []
    for y, tier in enumerate(tiers):
        for x, band in enumerate(summary["bands"]):
            entry = summary["nine_cells"].get(f"{tier}/{band}", {"n": 0, "value": 0.0})
            nine.append([x, y, entry["n"], round(entry["value"])])
    rf = [
        [f - 1, r - 1, summary["rf_grid"].get(f"{r}/{f}", 0)]
        for r in range(1, 6)
        for f in range(1, 6)
    ]
    return {
        "segments": {
            "labels": [label for label, _entry in segments],
            "counts": [entry.get("n", 0) for _label, entry in segments],
            "values": [round(entry.get("value", 0.0)) for _label, entry in segments],
        },
        "nine": {
            "x": [band_label(band) for band in summary["bands"]],
            "y": [age_tier_label(tier) for tier in tiers],
            "cells": nine,
        },
        "rf": {
            "x": [_("F %(score)s") % {"score": f} for f in range(1, 6)],
            "y": [_("R %(score)s") % {"score": r} for r in range(1, 6)],
            "cells": rf,
            "x_name": _("Frequency score"),
            "y_name": _("Recency score"),
        },
    }


def _trend_rows(trend: list[dict]) -> list[dict[str, Any]]:
    return [
        {
            "month": _month(s["month"]),
            "counts": [s["statuses"].get(code, {}).get("n", 0) for code in Status.values],
            "customers": s["customers"],
            **status_changes(s),
        }
        for s in trend
    ]


def _trend_chart(trend: list[dict]) -> dict[str, Any]:
    return {
        "months": [_month(s["month"]) for s in trend],
        "series": [
            {
                "code": code,
                "name": str(label),
                "data": [s["statuses"].get(code, {}).get("n", 0) for s in trend],
            }
            for code, label in Status.choices
        ],
    }


def _step_label(step: str) -> str:
    return {
        "created": _("Tasks created"),
        "contacted": _("Contact logged"),
        "reached": _("Customer reached"),
        "came_back": _("Came back to the workshop"),
    }[step]


def _funnel_rows(funnel: list[dict]) -> list[dict[str, Any]]:
    rows = []
    for entry in funnel:
        steps = []
        before = None
        for step in FUNNEL_STEPS:
            n = entry[step]
            steps.append({"n": n, "rate": n / before if before else None})
            before = n
        rows.append(
            {"month": _month(entry["month"]), "steps": steps, "counted_at": entry["counted_at"]}
        )
    return rows


def _funnel_chart(funnel: list[dict]) -> dict[str, Any]:
    totals = {step: sum(entry[step] for entry in funnel) for step in FUNNEL_STEPS}
    return {
        "steps": [_step_label(step) for step in FUNNEL_STEPS],
        "totals": [totals[step] for step in FUNNEL_STEPS],
        "months": [_month(entry["month"]) for entry in funnel],
        "series": [
            {"name": _step_label(step), "data": [entry[step] for entry in funnel]}
            for step in FUNNEL_STEPS
        ],
    }


def _work_chart(work: dict[str, Any]) -> dict[str, Any]:
    rows = work["rows"][:CHART_ADVISORS]
    return {
        "names": [row["name"] for row in rows],
        "open": [row["open"] - row["overdue"] for row in rows],
        "overdue": [row["overdue"] for row in rows],
        "on_time": [row["on_time"] for row in rows],
        "late": [row["late"] for row in rows],
        "expired": [row["expired"] for row in rows],
    }
