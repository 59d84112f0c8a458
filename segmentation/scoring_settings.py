"""Every threshold and weight of the monthly scoring, in one object each run records (R4).

Pure Python (no Django): the pipeline takes a :class:`ScoringSettings`; the
``segmentation.models.ScoringConfiguration`` row managers edit in the admin is turned into one
with :meth:`ScoringSettings.from_dict`, and each run stores :meth:`ScoringSettings.to_dict`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar

from segmentation.btyd.visit_model import VISIT_MODELS

#: Churn indicators in display order; each gets a weight in :attr:`ScoringSettings.churn_weights`.
CHURN_INDICATORS = (
    "overdue",
    "not_alive",
    "falling_frequency",
    "unresolved_complaints",
    "falling_satisfaction",
    "no_engagement",
)

#: Value layers (R3.5) and how much one event in each adds to the non-monetary value score.
DEFAULT_LAYER_WEIGHTS = {
    "referral": 3.0,
    "review": 1.0,
    "community_answer": 1.0,
    "event_attendance": 1.0,
    "survey_response": 0.5,
    "suggestion": 1.0,
}


class SettingsError(ValueError):
    """A setting is out of its range, or unknown; names the settings (``names``) and, for a
    value out of range, the value, so a caller can word it for people."""

    def __init__(self, message: str, *, names: list[str], value: Any = None) -> None:
        super().__init__(message)
        self.names = names
        self.value = value


class StoredSettings:
    """Base of a frozen dataclass of settings stored as JSON with what they configured: range
    checks on creation, :meth:`to_dict` and :meth:`from_dict` (unknown keys are an error,
    missing keys take their defaults)."""

    #: What the error messages call these settings.
    label: ClassVar[str] = "stored"
    #: Fields held as tuples and stored as JSON lists.
    tuple_fields: ClassVar[tuple[str, ...]] = ()

    def range_checks(self) -> list[tuple[str, bool]]:
        """(setting, whether its value is in range) for every checked setting."""
        return []

    def __post_init__(self) -> None:
        for name, ok in self.range_checks():
            if not ok:
                value = getattr(self, name)
                raise SettingsError(
                    f"{self.label} setting {name!r} is out of range: {value!r}",
                    names=[name],
                    value=value,
                )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe copy, stored with every run."""
        data = dataclasses.asdict(self)  # type: ignore[call-overload]
        for name in self.tuple_fields:
            data[name] = list(data[name])
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Any:
        """Build from a stored dict; unknown keys are an error, missing keys take defaults."""
        known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = set(data) - known
        if unknown:
            raise SettingsError(
                f"unknown {cls.label} settings: {sorted(unknown)}", names=sorted(unknown)
            )
        values = dict(data)
        for name in cls.tuple_fields:
            if name in values:
                values[name] = tuple(values[name])
        return cls(**values)


@dataclass(frozen=True)
class ScoringSettings(StoredSettings):
    """Thresholds and weights with their defaults (see DESIGN.md, "Scoring definitions")."""

    # RFM (R4.1): windows and segment rules work on 1-5 quintile scores.
    rfm_window_months: int = 24
    new_customer_months: int = 12
    # 9 cells (R4.2)
    age_tier_years: tuple[int, int, int] = (5, 6, 7)
    satisfaction_window_months: int = 24
    satisfaction_low_below: float = 7.0
    satisfaction_high_from: float = 9.0
    unsurveyed_band: str = "medium"
    low_mileage_km_per_year: int = 8_000
    # Churn (R4.3, R4.5)
    default_interval_days: int = 240
    overdue_full_ratio: float = 3.0
    frequency_window_months: int = 12
    complaints_for_full_score: int = 2
    satisfaction_drop_for_full_score: float = 3.0
    engagement_window_months: int = 12
    churn_weights: dict[str, float] = field(
        default_factory=lambda: {
            "overdue": 0.30,
            "not_alive": 0.25,
            "falling_frequency": 0.15,
            "unresolved_complaints": 0.10,
            "falling_satisfaction": 0.10,
            "no_engagement": 0.10,
        }
    )
    at_risk_score: float = 0.35
    lost_score: float = 0.60
    at_risk_overdue_ratio: float = 1.5
    lost_overdue_ratio: float = 3.0
    # Future value (R4.4)
    horizon_weeks: int = 52
    visit_model: str = "mbg_cnbd"
    fit_resolution_weeks: int = 4
    btyd_penalizer: float = 0.0
    backtest_months: int = 12
    backtest_error_bound: float = 0.15
    value_window_months: int = 36
    value_half_life_months: float = 12.0
    value_layer_weights: dict[str, float] = field(
        default_factory=lambda: dict(DEFAULT_LAYER_WEIGHTS)
    )
    value_layer_bonus: float = 0.5
    value_tiers: int = 5

    label: ClassVar[str] = "scoring"
    tuple_fields: ClassVar[tuple[str, ...]] = ("age_tier_years",)

    def range_checks(self) -> list[tuple[str, bool]]:
        return [
            ("rfm_window_months", 1 <= self.rfm_window_months <= 120),
            ("age_tier_years", list(self.age_tier_years) == sorted(set(self.age_tier_years))),
            (
                "satisfaction_high_from",
                1 <= self.satisfaction_low_below <= self.satisfaction_high_from <= 10,
            ),
            ("unsurveyed_band", self.unsurveyed_band in ("low", "medium", "high")),
            ("default_interval_days", self.default_interval_days > 0),
            ("overdue_full_ratio", self.overdue_full_ratio > 1),
            ("churn_weights", set(self.churn_weights) == set(CHURN_INDICATORS)),
            ("churn_weights", all(w >= 0 for w in self.churn_weights.values())),
            ("churn_weights", sum(self.churn_weights.values()) > 0),
            ("lost_score", 0 <= self.at_risk_score < self.lost_score <= 1),
            ("lost_overdue_ratio", 1 <= self.at_risk_overdue_ratio < self.lost_overdue_ratio),
            ("horizon_weeks", self.horizon_weeks > 0),
            ("fit_resolution_weeks", self.fit_resolution_weeks >= 1),
            ("visit_model", self.visit_model in VISIT_MODELS),
            ("backtest_months", 1 <= self.backtest_months <= 60),
            ("backtest_error_bound", 0 < self.backtest_error_bound <= 1),
            ("value_half_life_months", self.value_half_life_months > 0),
            ("value_layer_weights", set(self.value_layer_weights) == set(DEFAULT_LAYER_WEIGHTS)),
            ("value_tiers", 1 <= self.value_tiers <= 5),
            ("complaints_for_full_score", self.complaints_for_full_score >= 1),
        ]
