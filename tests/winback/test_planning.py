"""The round planner on hand-built frames, no database: who is a candidate of which rule,
the never-spam limits in their order, the control group, capacity, priorities and the report
(channels and due dates are in test_planning_channels.py)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from tests.winback.planning_inputs import (
    ADVISOR,
    OWNER,
    STARTS_ON,
    make_inputs,
    plan,
    rule,
)
from winback import planning


def _customers(result: planning.RoundPlan) -> set[int]:
    return set(result.tasks["customer_id"])


def _skipped(result: planning.RoundPlan, rule_index: int = 0) -> dict[str, int]:
    return result.report["rules"][rule_index]["skipped"]


# --- candidates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, {1, 2, 3, 4}),
        ({"statuses": ("lost",)}, {1, 2}),
        ({"value_tiers": (1, 2)}, {1, 3}),
        ({"nine_cells": ("7+/low",)}, {2, 4}),
        ({"rfm_segments": ("champions",)}, {3}),
        ({"min_churn_score": 0.6}, {1, 2}),
        ({"indicator": "overdue", "indicator_min": 0.5}, {2, 4}),
        ({"exclude_low_mileage": True}, {1, 2, 3}),
        ({"statuses": ("lost",), "nine_cells": ("7+/low",)}, {2}),
    ],
)
def test_a_rule_selects_the_customers_every_set_filter_matches(filters, expected):
    inputs = make_inputs(
        [
            {"customer_id": 1, "status": "lost", "value_tier": 1, "churn_score": 0.8},
            {
                "customer_id": 2,
                "status": "lost",
                "value_tier": 4,
                "nine_cell": "7+/low",
                "churn_score": 0.6,
                "churn_overdue": 0.9,
            },
            {
                "customer_id": 3,
                "status": "active",
                "value_tier": 2,
                "rfm_segment": "champions",
                "churn_score": 0.1,
            },
            {
                "customer_id": 4,
                "status": "at_risk",
                "value_tier": None,
                "nine_cell": "7+/low",
                "churn_score": 0.4,
                "churn_overdue": 0.5,
                "low_mileage": True,
            },
        ]
    )
    ids = planning.rule_candidates(rule(**filters), inputs.scores, inputs.events)
    assert set(ids) == expected


def test_a_loan_ending_rule_takes_loans_ending_within_its_window_only():
    inputs = make_inputs(
        [{"customer_id": i} for i in (1, 2, 3, 4)],
        events=[(1, "loan_ending", 0), (2, "loan_ending", 90), (3, "loan_ending", 91)],
    )
    loans = rule(kind="loan_ending", trigger="loan_ending", trigger_days=90)
    assert set(planning.rule_candidates(loans, inputs.scores, inputs.events)) == {1, 2}


def test_an_event_rule_ignores_events_of_other_triggers_and_still_applies_its_filters():
    inputs = make_inputs(
        [{"customer_id": 1, "status": "active"}, {"customer_id": 2, "status": "lost"}],
        events=[(1, "anniversary", 0), (2, "anniversary", 0), (1, "complaint_resolved", 3)],
    )
    care = rule(kind="care", trigger="anniversary", statuses=("active",))
    assert set(planning.rule_candidates(care, inputs.scores, inputs.events)) == {1}
    complaints = rule(kind="complaint_follow_up", trigger="complaint_resolved", trigger_days=14)
    assert set(planning.rule_candidates(complaints, inputs.scores, inputs.events)) == {1}


# --- the never-spam limits (R5.2) -------------------------------------------------------------


def test_a_customer_who_refuses_all_contact_gets_no_task_and_is_reported():
    inputs = make_inputs(
        [{"customer_id": 1}, {"customer_id": 2}], preferences={1: {"do_not_contact": True}}
    )
    result = plan(inputs, [rule()])
    assert _customers(result) == {2}
    assert set(result.targets["customer_id"]) == {2}
    assert _skipped(result) == {planning.REFUSES_CONTACT: 1}


def test_a_customer_worked_recently_is_left_alone_until_the_cool_down_passes():
    inputs = make_inputs(
        [{"customer_id": i} for i in (1, 2, 3, 4)],
        # (customer, kind, days ago): within and just past the 60 days; another kind.
        recent_targets=[(1, "win_back", 30), (2, "win_back", 60), (3, "win_back", 61)]
        + [(4, "care", 5)],
    )
    result = plan(inputs, [rule(cooldown_days=60)])
    assert _customers(result) == {3, 4}
    assert _skipped(result) == {planning.COOLING_DOWN: 2}


def test_a_customer_with_an_open_task_of_the_kind_gets_no_second_one():
    inputs = make_inputs(
        [{"customer_id": 1}, {"customer_id": 2}],
        open_kinds=[(1, "win_back"), (2, "care")],
        load={1: (0, 1), 2: (0, 1)},
    )
    result = plan(inputs, [rule()])
    assert _customers(result) == {2}
    assert _skipped(result) == {planning.OPEN_TASK: 1}


def test_a_customer_matched_by_two_rules_of_one_kind_is_planned_by_the_first():
    inputs = make_inputs([{"customer_id": 1}, {"customer_id": 2, "value_tier": 3}])
    first = rule(1, value_tiers=(1,))
    second = rule(2, priority_weight=5.0)
    result = plan(inputs, [first, second])
    assert result.tasks.set_index("customer_id")["rule_id"].to_dict() == {1: 1, 2: 2}
    assert result.report["rules"][0]["created"] == 1
    assert result.report["rules"][1]["created"] == 1
    assert _skipped(result, 1) == {planning.EARLIER_RULE: 1}


def test_tasks_go_to_the_rules_assignee_or_the_other_one_when_missing():
    inputs = make_inputs(
        [{"customer_id": i} for i in (1, 2, 3)],
        customers={
            2: {"sales_advisor_id": None},
            3: {"sales_advisor_id": None, "service_owner_id": None},
        },
    )
    by_advisor = plan(inputs, [rule(assign_to="sales_advisor")])
    assert by_advisor.tasks.set_index("customer_id")["assignee_id"].to_dict() == {
        1: ADVISOR,
        2: OWNER,
    }
    assert _skipped(by_advisor) == {planning.NO_OWNER: 1}
    by_owner = plan(inputs, [rule(assign_to="service_owner")])
    assert by_owner.tasks.set_index("customer_id")["assignee_id"].to_dict() == {1: OWNER, 2: OWNER}


def test_a_customer_without_any_allowed_channel_gets_no_task():
    inputs = make_inputs(
        [{"customer_id": 1}, {"customer_id": 2}],
        # Customer 1 has a mobile and WeChat and opted out of all three.
        opt_outs=[(1, "phone"), (1, "sms"), (1, "wechat"), (2, "phone")],
    )
    result = plan(inputs, [rule()])
    assert _customers(result) == {2}
    assert result.tasks.loc[0, "channel"] != "phone"
    assert _skipped(result) == {planning.NO_CHANNEL: 1}


def test_the_contact_cap_counts_logged_contacts_open_tasks_and_new_tasks():
    cap = 2
    load = {1: (0, 0), 2: (1, 0), 3: (1, 1), 4: (0, 2)}
    inputs = make_inputs([{"customer_id": i} for i in load], load=load)
    rules = [rule(1, "win_back"), rule(2, "replacement"), rule(3, "care")]
    result = plan(inputs, rules, contact_cap=cap)
    per_customer = result.tasks.groupby("customer_id").size().to_dict()
    expected = {i: min(len(rules), cap - sum(used)) for i, used in load.items()}
    assert per_customer == {i: n for i, n in expected.items() if n > 0}
    skipped = sum(len(rules) - n for n in expected.values())
    assert result.report["skipped"] == {planning.CONTACT_CAP: skipped}


def test_a_customer_over_the_cap_keeps_the_most_urgent_of_their_tasks():
    inputs = make_inputs([{"customer_id": 1}], load={1: (1, 0)})
    rules = [
        rule(1, "care", priority_weight=0.2),
        rule(2, "win_back", priority_weight=1.0),
        rule(3, "replacement", priority_weight=0.5),
    ]
    result = plan(inputs, rules, contact_cap=2)
    assert result.tasks["kind"].tolist() == ["win_back"]


def test_the_limits_are_applied_in_order_and_each_candidate_counted_once():
    # Refuses contact and also holds an open task: reported as refusing, the first cause.
    inputs = make_inputs(
        [{"customer_id": 1}, {"customer_id": 2}],
        preferences={1: {"do_not_contact": True}},
        open_kinds=[(1, "win_back"), (2, "win_back")],
    )
    result = plan(inputs, [rule()])
    assert _skipped(result) == {planning.REFUSES_CONTACT: 1, planning.OPEN_TASK: 1}


# --- control group (R5.6) ---------------------------------------------------------------------


def test_the_control_group_is_about_the_configured_share_and_the_same_on_a_rerun():
    n, share = 4_000, 0.10
    inputs = make_inputs([{"customer_id": i} for i in range(1, n + 1)])
    rules = [rule(measure_uplift=True)]
    first = plan(inputs, rules, control_share=share)
    control = set(first.targets.loc[first.targets["group"] == "control", "customer_id"])
    tolerance = 4 * (n * share * (1 - share)) ** 0.5
    assert abs(len(control) - n * share) < tolerance
    assert first.report["control"] == len(control)
    assert first.report["created"] == n - len(control)
    # Control targets get no task; every target is either.
    assert not control & _customers(first)
    assert len(first.targets) == n
    again = plan(inputs, rules, control_share=share)
    assert set(again.targets.loc[again.targets["group"] == "control", "customer_id"]) == control
    other_run = plan(inputs, rules, control_share=share, run_id=8)
    other = set(other_run.targets.loc[other_run.targets["group"] == "control", "customer_id"])
    assert other != control


def test_rules_that_do_not_measure_uplift_hold_nobody_back():
    inputs = make_inputs([{"customer_id": i} for i in range(1, 201)])
    result = plan(inputs, [rule(measure_uplift=False)], control_share=0.5)
    assert result.report["control"] == 0
    assert len(result.tasks) == 200


def test_control_draws_are_uniform_and_fixed_per_run_and_customer():
    ids = np.arange(1, 20_001)
    draws = planning.control_draw(ids, 3)
    assert ((draws >= 0) & (draws < 1)).all()
    assert np.array_equal(draws, planning.control_draw(ids, 3))
    assert not np.array_equal(draws, planning.control_draw(ids, 4))
    # Each tenth holds about a tenth of the customers.
    counts = np.histogram(draws, bins=10, range=(0, 1))[0]
    assert (abs(counts - 2_000) < 4 * (20_000 * 0.1 * 0.9) ** 0.5).all()


def test_an_assignees_tasks_are_spread_over_days_by_daily_capacity_most_urgent_first():
    capacity = 2
    values = [500.0, 900.0, 100.0, 700.0, 300.0]
    inputs = make_inputs(
        [{"customer_id": i + 1, "future_value": v} for i, v in enumerate(values)]
        + [{"customer_id": 99, "future_value": 50.0}],
        customers={99: {"sales_advisor_id": 11}},
    )
    result = plan(inputs, [rule()], daily_capacity=capacity)
    tasks = result.tasks.set_index("customer_id")
    by_value = sorted(range(len(values)), key=lambda i: -values[i])
    for rank, i in enumerate(by_value):
        due = pd.Timestamp(tasks.loc[i + 1, "due_on"]).date()
        assert due == STARTS_ON + dt.timedelta(days=rank // capacity)
    # Another advisor's list starts on the first day too.
    assert pd.Timestamp(tasks.loc[99, "due_on"]).date() == STARTS_ON


# --- priority and the report ------------------------------------------------------------------


def test_priority_is_weight_times_future_value_times_churn_with_a_floor():
    rows = [
        {"customer_id": 1, "future_value": 2000.0, "churn_score": 0.8},
        {"customer_id": 2, "future_value": 2000.0, "churn_score": 0.02},
        {"customer_id": 3, "future_value": -50.0, "churn_score": 0.9},
        {"customer_id": 4, "future_value": 8000.0, "churn_score": 0.3},
    ]
    weight = 1.5
    result = plan(make_inputs(rows), [rule(priority_weight=weight)])
    priority = result.targets.set_index("customer_id")["priority"].to_dict()
    for row in rows:
        expected = weight * max(row["future_value"], 0) * max(row["churn_score"], 0.1)
        assert priority[row["customer_id"]] == pytest.approx(expected)
    # The most valuable drifting customer comes first.
    assert max(priority, key=priority.get) == 4


def test_targets_copy_the_score_that_caused_them():
    inputs = make_inputs(
        [{"customer_id": 1, "status": "at_risk", "churn_score": 0.45, "nine_cell": "6+/low"}]
    )
    target = plan(inputs, [rule(kind="churn_warning")]).targets.iloc[0]
    assert target["status"] == "at_risk"
    assert target["churn_score"] == pytest.approx(0.45)
    assert target["nine_cell"] == "6+/low"
    assert target["kind"] == "churn_warning" and target["group"] == "contacted"
    assert target["plan_id"] == 101 and target["rule_id"] == 1


def test_the_report_accounts_for_every_candidate():
    inputs = make_inputs(
        [{"customer_id": i} for i in range(1, 41)],
        preferences={i: {"do_not_contact": True} for i in range(1, 5)},
        open_kinds=[(i, "win_back") for i in range(5, 8)],
        customers={i: {"sales_advisor_id": None, "service_owner_id": None} for i in (8, 9)},
        load=dict.fromkeys(range(10, 15), (2, 0)),
    )
    rules = [rule(1, measure_uplift=True), rule(2, "replacement", statuses=("active",))]
    result = plan(inputs, rules, control_share=0.3)
    report = result.report
    for entry in report["rules"]:
        assert entry["candidates"] == (
            entry["created"] + entry["control"] + sum(entry["skipped"].values())
        )
    assert report["rules"][1]["candidates"] == 0
    assert report["skipped"] == {
        planning.REFUSES_CONTACT: 4,
        planning.OPEN_TASK: 3,
        planning.NO_OWNER: 2,
        planning.CONTACT_CAP: 5,
    }
    assert report["created"] == len(result.tasks)
    assert report["control"] == int((result.targets["group"] == "control").sum())
    assert report["candidates"] == 40


def test_no_rules_or_no_candidates_plan_nothing():
    inputs = make_inputs([{"customer_id": 1, "status": "active"}])
    for rules in ([], [rule(statuses=("lost",))]):
        result = plan(inputs, rules)
        assert result.tasks.empty and result.targets.empty
        assert result.report["created"] == 0 and result.report["control"] == 0
