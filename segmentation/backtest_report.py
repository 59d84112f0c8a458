"""A run's stored backtest (``ScoringRun.model["backtest"]``) as people read it: labels and
formatted figures for the admin's run page."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from segmentation.backtest import cutoff_date

#: What the visit models are called on screen.
VISIT_MODEL_LABELS = {
    "bg_nbd": _("BG/NBD (drop-out only after a repeat visit)"),
    "mbg_nbd": _("MBG/NBD (drop-out also before the first repeat visit)"),
    "mbg_cnbd": _("MBG/CNBD-k (MBG/NBD with regular visits)"),
    "pareto_nbd": _("Pareto/NBD (drop-out at any time)"),
}


def backtest_context(report: dict, as_of: dt.date) -> dict:
    """Template context of :func:`report`: empty when the run stored no backtest."""
    if not report:
        return {"report": None}
    context: dict = {
        "report": report,
        "model_label": VISIT_MODEL_LABELS.get(report.get("model"), report.get("model")),
        "cutoff": cutoff_date(as_of, report.get("months", 12)),
        "skipped": bool(report.get("skipped")),
    }
    if context["skipped"]:
        return context
    context["candidates"] = [
        {
            "label": VISIT_MODEL_LABELS.get(c["kind"], c["kind"]),
            "in_use": c["kind"] == report["model"],
            "regularity": c["params"].get("k"),
            **c,
        }
        for c in report.get("candidates", ())
    ]
    context["contact_groups"] = [
        {"label": label, **report[key]}
        for key, label in (
            ("left_alone", _("left alone")),
            ("reached", _("reached by win-back calls")),
        )
        if key in report
    ]
    context["tiers"] = [_with_errors(row) for row in report.get("by_tier", ())]
    context["deciles"] = [_with_errors(row) for row in report.get("by_decile", ())]
    return context


def _with_errors(row: dict) -> dict:
    """A group's row with per-customer means and the forecast's error."""
    n = row["customers"] or 1
    return {
        **row,
        "visits_predicted_mean": row["visits_predicted"] / n,
        "visits_actual_mean": row["visits_actual"] / n,
        "visits_error": _error(row["visits_predicted"], row["visits_actual"]),
        "spend_error": _error(row["spend_predicted"], row["spend_actual"]),
    }


def _error(predicted: float, actual: float) -> float | None:
    return predicted / actual - 1 if actual else None
