"""The round planner's channels and due dates on hand-built frames, no database: the
customer's preferred, disliked and opted-out channels, the contact data each channel needs,
plan steps, preferred days and time windows."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from tests.winback.planning_inputs import STARTS_ON, make_inputs, plan, rule
from winback import planning

FALLBACK = ("phone", "wechat", "sms")


# --- channels --------------------------------------------------------------


def _ranks(inputs: planning.PlanningInputs) -> pd.DataFrame:
    return planning.channel_ranks(
        inputs.customers, inputs.channel_prefs, inputs.opt_outs, inputs.answered, FALLBACK
    )


def _choose(inputs, wanted=None, avoid=()) -> str | None:
    ranks = _ranks(inputs)
    series = None if wanted is None else pd.Series([wanted], index=ranks.index)
    return planning.channel_choose(ranks, series, avoid=avoid).iloc[0]


def test_the_customers_preferred_channel_comes_first_in_their_order():
    inputs = make_inputs([{"customer_id": 1}], preferences={1: {"preferred_channels": ["sms"]}})
    assert _choose(inputs) == "sms"


def test_a_disliked_channel_is_used_only_when_nothing_else_is_allowed():
    prefs = {1: {"disliked_channels": ["phone"]}}
    inputs = make_inputs([{"customer_id": 1}], preferences=prefs)
    assert _choose(inputs) == "wechat"
    only_phone = make_inputs(
        [{"customer_id": 1}], preferences=prefs, customers={1: {"has_wechat": False}}
    )
    only_phone.opt_outs = pd.DataFrame([(1, "sms")], columns=["customer_id", "channel"])
    assert _choose(only_phone) == "phone"


def test_an_opted_out_channel_is_never_suggested_even_when_preferred():
    inputs = make_inputs(
        [{"customer_id": 1}],
        preferences={1: {"preferred_channels": ["phone", "sms"]}},
        opt_outs=[(1, "phone")],
    )
    assert _choose(inputs) == "sms"
    assert np.isnan(_ranks(inputs).loc[1, "phone"])


def test_channels_need_the_contact_data_and_visits_need_the_customers_request():
    inputs = make_inputs(
        [{"customer_id": 1}, {"customer_id": 2}],
        customers={
            1: {"has_mobile": False, "has_wechat": False, "has_email": True, "has_address": True},
            2: {"has_address": True},
        },
        preferences={2: {"preferred_channels": ["visit_home"]}},
    )
    ranks = _ranks(inputs)
    allowed = ranks.notna()
    assert allowed.loc[1].to_dict() == {
        "phone": False,
        "sms": False,
        "email": True,
        "post": True,
        "wechat": False,
        "visit_office": False,
        "visit_home": False,
    }
    assert allowed.loc[2, "visit_home"] and not allowed.loc[2, "visit_office"]
    assert planning.channel_choose(ranks).to_dict() == {1: "email", 2: "visit_home"}


def test_the_channel_last_answered_on_comes_before_the_fallback_order():
    inputs = make_inputs([{"customer_id": 1}], answered=[(1, "sms")])
    assert _choose(inputs) == "sms"
    assert _choose(make_inputs([{"customer_id": 1}])) == FALLBACK[0]


def test_a_plan_steps_channel_is_taken_unless_the_customer_wants_another():
    no_preference = make_inputs([{"customer_id": 1}])
    assert _choose(no_preference, wanted="sms") == "sms"
    prefers_wechat = make_inputs(
        [{"customer_id": 1}], preferences={1: {"preferred_channels": ["wechat"]}}
    )
    assert _choose(prefers_wechat, wanted="sms") == "wechat"
    dislikes_sms = make_inputs(
        [{"customer_id": 1}], preferences={1: {"disliked_channels": ["sms"]}}
    )
    assert _choose(dislikes_sms, wanted="sms") == FALLBACK[0]
    no_mobile = make_inputs([{"customer_id": 1}], customers={1: {"has_mobile": False}})
    assert _choose(no_mobile, wanted="sms") == "wechat"


def test_a_later_step_avoids_the_channels_already_tried():
    inputs = make_inputs(
        [{"customer_id": 1}],
        preferences={1: {"preferred_channels": ["wechat", "sms"], "disliked_channels": ["phone"]}},
    )
    assert _choose(inputs, avoid=("wechat",)) == "sms"
    # Even when the step names the channel already tried (R5.3: different channels).
    assert _choose(inputs, wanted="wechat", avoid=("wechat",)) == "sms"
    # The only allowed channel is used again rather than none.
    only_wechat = make_inputs([{"customer_id": 1}], customers={1: {"has_mobile": False}})
    assert _choose(only_wechat, wanted="wechat", avoid=("wechat",)) == "wechat"


def test_the_round_uses_the_steps_channel_and_the_customers_preferences():
    inputs = make_inputs(
        [{"customer_id": 1}, {"customer_id": 2}],
        preferences={2: {"preferred_channels": ["wechat"]}},
    )
    result = plan(inputs, [rule(step_channel="sms")])
    assert result.tasks.set_index("customer_id")["channel"].to_dict() == {1: "sms", 2: "wechat"}


# --- due dates, windows, capacity -------------------------------------------------------------


def test_due_days_move_to_the_customers_preferred_days():
    start = dt.date(2026, 7, 6)  # a Monday
    offsets = np.arange(7)
    for preference, allowed in (("weekday", range(5)), ("weekend", (5, 6))):
        days = planning.due_days(start, offsets, pd.Series([preference] * 7))
        dates = [pd.Timestamp(d).date() for d in days]
        for offset, due in zip(offsets, dates, strict=True):
            wanted = start + dt.timedelta(days=int(offset))
            assert due.weekday() in allowed
            assert due >= wanted
            # The first allowed day on or after the wanted one.
            assert all(
                (wanted + dt.timedelta(days=k)).weekday() not in allowed
                for k in range((due - wanted).days)
            )
    unchanged = planning.due_days(start, offsets, pd.Series([None, "any"] * 3 + ["any"]))
    assert [pd.Timestamp(d).date() for d in unchanged] == [
        start + dt.timedelta(days=int(o)) for o in offsets
    ]


def test_tasks_are_due_on_preferred_days_in_the_first_preferred_window():
    assert STARTS_ON.weekday() == 3  # Thursday
    inputs = make_inputs(
        [{"customer_id": i} for i in (1, 2, 3)],
        preferences={
            1: {"preferred_days": "weekend", "time_windows": ["evening", "noon"]},
            2: {"preferred_days": "weekday", "time_windows": []},
        },
    )
    # Step 1 is due two days after the start: a Saturday.
    result = plan(inputs, [rule(step_days=2, step_open_days=10)], default_window="morning")
    tasks = result.tasks.set_index("customer_id")
    saturday = STARTS_ON + dt.timedelta(days=2)
    due = {i: pd.Timestamp(d).date() for i, d in tasks["due_on"].items()}
    assert due == {1: saturday, 2: saturday + dt.timedelta(days=2), 3: saturday}
    assert tasks["window"].to_dict() == {1: "evening", 2: "morning", 3: "morning"}
    expires = {i: pd.Timestamp(d).date() for i, d in tasks["expires_on"].items()}
    assert expires == {i: d + dt.timedelta(days=10) for i, d in due.items()}
    assert set(tasks["step"]) == {1}


def test_customers_without_any_stored_preferences_are_still_scheduled():
    inputs = make_inputs([{"customer_id": 1}, {"customer_id": 2}])
    assert inputs.preferences.empty
    result = plan(inputs, [rule()], default_window="afternoon")
    assert set(result.tasks["window"]) == {"afternoon"}
    assert [pd.Timestamp(d).date() for d in result.tasks["due_on"]] == [STARTS_ON] * 2
