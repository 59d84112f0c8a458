"""The limits and cadences of the follow-up work, in one object each round records (R5).

Pure Python (no Django): the planner takes a :class:`WorkSettings`; the
``winback.models.WinbackConfiguration`` row managers edit in the admin is turned into one with
:meth:`WorkSettings.from_dict`, and each round stores :meth:`WorkSettings.to_dict`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from segmentation.scoring_settings import StoredSettings

#: Channels tried, in this order, after the customer's own preferences and past answers.
DEFAULT_FALLBACK_CHANNELS = ("phone", "wechat", "sms")
#: Hours (Beijing time) at which each preferred time window starts.
WINDOW_START_HOURS = {
    "morning": 9,
    "noon": 12,
    "working_hours": 10,
    "afternoon": 14,
    "evening": 18,
}


@dataclass(frozen=True)
class WorkSettings(StoredSettings):
    """Never-spam limits, the control group, capacity and the lead cadence, with defaults."""

    # Never spam (R5.2): at most this many contacts per customer in a rolling window, counting
    # logged contacts, open tasks and the tasks about to be created, across kinds.
    contact_cap: int = 3
    contact_cap_days: int = 30
    # The share of each rule's targets held back uncontacted to measure uplift (R5.6).
    control_share: float = 0.10
    # Tasks an assignee gets per working day from one round; the rest are due on later days.
    daily_capacity: int = 25
    default_window: str = "working_hours"
    fallback_channels: tuple[str, ...] = DEFAULT_FALLBACK_CHANNELS
    # Lead cadence (R5.8): hours to the first and second call, then follow-up days.
    lead_first_call_hours: int = 2
    lead_second_call_hours: int = 48
    lead_follow_up_days: tuple[int, ...] = (7, 14, 30, 45, 60, 75, 90)
    lead_dropped_days: int = 30
    # Service-lane alerts: loans ending within this many days make a visit worth a word.
    service_lane_loan_days: int = 90
    service_lane_cells: tuple[str, ...] = ("6+", "7+")

    label: ClassVar[str] = "win-back"
    tuple_fields: ClassVar[tuple[str, ...]] = (
        "fallback_channels",
        "lead_follow_up_days",
        "service_lane_cells",
    )

    def range_checks(self) -> list[tuple[str, bool]]:
        return [
            ("contact_cap", 1 <= self.contact_cap <= 31),
            ("contact_cap_days", 1 <= self.contact_cap_days <= 365),
            ("control_share", 0 <= self.control_share < 1),
            ("daily_capacity", 1 <= self.daily_capacity <= 1000),
            ("default_window", self.default_window in WINDOW_START_HOURS),
            ("fallback_channels", len(self.fallback_channels) > 0),
            (
                "lead_first_call_hours",
                0 < self.lead_first_call_hours <= self.lead_second_call_hours,
            ),
            (
                "lead_follow_up_days",
                list(self.lead_follow_up_days) == sorted(set(self.lead_follow_up_days)),
            ),
            ("lead_dropped_days", self.lead_dropped_days >= 1),
            ("service_lane_loan_days", self.service_lane_loan_days >= 0),
        ]
