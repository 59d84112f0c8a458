"""The churn score of the customer 360° page (R7.2) explained: each churn indicator's
sub-score, its weight in the run that scored it and the facts behind it, in words.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from segmentation.models import ChurnIndicator, CustomerScore, ScoringRun
from segmentation.scoring_settings import ScoringSettings


@dataclass(frozen=True)
class ChurnComponent:
    """One churn indicator of a score: its sub-score, its weight and why, in words."""

    name: str
    value: float
    weight: float | None
    explanation: str


def _churn_weights(run: ScoringRun) -> dict[str, float]:
    """The churn weights the run scored with (its kept copy of the settings), normalised so
    the weighted sub-scores add up to the churn score."""
    weights = ScoringSettings().churn_weights
    stored = (run.settings or {}).get("churn_weights")
    if isinstance(stored, dict):
        weights = {name: float(stored.get(name, 0.0)) for name in weights}
    total = sum(weights.values()) or 1.0
    return {name: weight / total for name, weight in weights.items()}


def _days(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def churn_components(score: CustomerScore) -> list[ChurnComponent]:
    """Each churn indicator of ``score`` with its sub-score (0–1), its weight in the run and
    the facts behind it, in words."""
    weights = _churn_weights(score.run)
    satisfaction = (
        _("latest surveys average %(score)s / 10") % {"score": f"{score.satisfaction:.1f}"}
        if score.satisfaction_known and score.satisfaction is not None
        else _("not surveyed recently")
    )
    p_alive = (
        _("no visits to judge by")
        if score.p_alive is None
        else _("probability still active: %(p)s") % {"p": f"{score.p_alive * 100:.0f}%"}
    )
    recency = (
        _("never visited the workshop")
        if score.recency_days is None
        else _("last visit %(days)s days ago") % {"days": _days(score.recency_days)}
    )
    explanations = {
        ChurnIndicator.OVERDUE: _(
            "%(recency)s; usual interval between visits %(interval)s days; overdue ratio "
            "%(ratio)s (1 = due now)"
        )
        % {
            "recency": recency,
            "interval": _days(score.visit_interval_days),
            "ratio": f"{score.overdue_ratio:.2f}",
        },
        ChurnIndicator.NOT_ALIVE: p_alive,
        ChurnIndicator.FALLING_FREQUENCY: _(
            "%(visits)s visits in the scoring window; fewer visits in the last 12 months than "
            "in the 12 before raise this"
        )
        % {"visits": score.frequency},
        ChurnIndicator.UNRESOLVED_COMPLAINTS: _("%(n)s unresolved complaint(s)")
        % {"n": score.unresolved_complaints},
        ChurnIndicator.FALLING_SATISFACTION: _(
            "%(satisfaction)s; a latest survey below the earlier ones raises this"
        )
        % {"satisfaction": satisfaction},
        ChurnIndicator.NO_ENGAGEMENT: _(
            "value-layer score %(score)s (referrals, reviews, events, surveys); none in the "
            "last 12 months gives 100%%"
        )
        % {"score": f"{score.value_layer_score * 100:.0f}%"},
    }
    return [
        ChurnComponent(
            name=str(indicator.label),
            value=float(getattr(score, f"churn_{indicator.value}")),
            weight=weights.get(indicator.value),
            explanation=explanations[indicator],
        )
        for indicator in ChurnIndicator
    ]
