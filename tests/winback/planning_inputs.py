"""Builders of small planner inputs for hand-computed cases (no database)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from segmentation.scoring_settings import CHURN_INDICATORS
from winback import planning

#: A Thursday: the day after it is a Friday, two days after a Saturday.
STARTS_ON = dt.date(2026, 7, 2)
ADVISOR, OWNER = 10, 20

_SCORE_DEFAULTS: dict[str, Any] = {
    "status": "lost",
    "churn_score": 0.7,
    "future_value": 1000.0,
    "value_tier": 1,
    "nine_cell": "5+/medium",
    "rfm_segment": "loyal",
    "low_mileage": False,
    **{f"churn_{name}": 0.0 for name in CHURN_INDICATORS},
}
_CUSTOMER_DEFAULTS: dict[str, Any] = {
    "sales_advisor_id": ADVISOR,
    "service_owner_id": OWNER,
    "has_mobile": True,
    "has_phone_alt": False,
    "has_wechat": True,
    "has_email": False,
    "has_address": False,
}
_PREFERENCE_DEFAULTS: dict[str, Any] = {
    "preferred_channels": [],
    "disliked_channels": [],
    "preferred_days": "any",
    "time_windows": [],
    "do_not_contact": False,
}


def _rows(rows, defaults: dict[str, Any], columns: list[str]) -> pd.DataFrame:
    data = [{**defaults, **row} for row in rows]
    return pd.DataFrame(data, columns=columns)


def make_inputs(
    scores: list[dict],
    *,
    customers: dict[int, dict] | None = None,
    preferences: dict[int, dict] | None = None,
    opt_outs: list[tuple[int, str]] = (),
    answered: list[tuple[int, str]] = (),
    load: dict[int, tuple[int, int]] | None = None,
    open_kinds: list[tuple[int, str]] = (),
    recent_targets: list[tuple[int, str, int]] = (),
    events: list[tuple[int, str, int]] = (),
) -> planning.PlanningInputs:
    """``scores``: one dict per customer (``customer_id`` and what differs from the defaults);
    ``customers``/``preferences``: overrides per customer id (every scored customer has a
    customer row; only those named in ``preferences`` have preferences); ``load``:
    ``{customer_id: (recent_contacts, open_tasks)}``."""
    score_columns = ["customer_id", *_SCORE_DEFAULTS]
    score_frame = _rows(scores, _SCORE_DEFAULTS, score_columns)
    ids = score_frame["customer_id"].tolist()
    customers = customers or {}
    customer_frame = _rows(
        [{"customer_id": i, **customers.get(i, {})} for i in ids],
        _CUSTOMER_DEFAULTS,
        ["customer_id", *_CUSTOMER_DEFAULTS],
    )
    preferences = preferences or {}
    listed = _rows(
        [{"customer_id": i, **p} for i, p in preferences.items()],
        _PREFERENCE_DEFAULTS,
        ["customer_id", *_PREFERENCE_DEFAULTS],
    )
    # As the loader reads them: the first time window, and the channel lists in long form.
    preference_frame = listed[["customer_id", "preferred_days", "do_not_contact"]].assign(
        first_window=[w[0] if w else "" for w in listed["time_windows"]]
    )
    channel_prefs = planning.channel_prefs_from_lists(
        listed["customer_id"].tolist(),
        listed["preferred_channels"].tolist(),
        listed["disliked_channels"].tolist(),
    )
    load = load or {}
    return planning.PlanningInputs(
        scores=score_frame,
        customers=customer_frame,
        preferences=preference_frame,
        channel_prefs=channel_prefs,
        opt_outs=pd.DataFrame(list(opt_outs), columns=["customer_id", "channel"]),
        answered=pd.DataFrame(list(answered), columns=["customer_id", "channel"]),
        load=pd.DataFrame(
            [(i, c, t) for i, (c, t) in load.items()],
            columns=["customer_id", "recent_contacts", "open_tasks"],
        ),
        open_kinds=pd.DataFrame(list(open_kinds), columns=["customer_id", "kind"]),
        recent_targets=pd.DataFrame(
            list(recent_targets), columns=["customer_id", "kind", "days_ago"]
        ),
        events=pd.DataFrame(list(events), columns=["customer_id", "trigger", "days"]),
    )


def rule(id: int = 1, kind: str = "win_back", **kwargs: Any) -> planning.Rule:
    return planning.Rule(id=id, kind=kind, plan_id=kwargs.pop("plan_id", 100 + id), **kwargs)


def plan(
    inputs: planning.PlanningInputs, rules: list[planning.Rule], **kwargs: Any
) -> planning.RoundPlan:
    options = {
        "run_id": 7,
        "starts_on": STARTS_ON,
        "contact_cap": 2,
        "control_share": 0.0,
        "daily_capacity": 25,
        "default_window": "working_hours",
        "fallback_channels": ("phone", "wechat", "sms"),
        **kwargs,
    }
    return planning.plan_round(inputs, rules, **options)
