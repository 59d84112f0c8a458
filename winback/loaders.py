"""Set-based reads and writes of a round: one query per input table, bulk writes of targets
and tasks (``COPY`` on PostgreSQL). No per-customer ORM work."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection
from django.utils import timezone

from customers.bulk import read_frame, write_frame
from segmentation.scoring_settings import CHURN_INDICATORS
from winback import planning
from winback.models import PlanStatus, Round, Target, Task, TaskStatus
from winback.work_settings import WINDOW_START_HOURS

_SCORE_QUERY = (
    "SELECT customer_id, status, churn_score, future_value, value_tier, "
    "COALESCE(nine_cell, '') AS nine_cell, rfm_segment, low_mileage, "
    + ", ".join(f"churn_{name}" for name in CHURN_INDICATORS)
    + " FROM segmentation_customerscore WHERE run_id = %s"
)
# Unassigned and inactive owners read as 0 (no NULLs keeps PostgreSQL's binary COPY).
_CUSTOMER_QUERY = (
    "SELECT c.id AS customer_id, "
    "COALESCE(CASE WHEN a.is_active THEN c.sales_advisor_id END, 0) AS sales_advisor_id, "
    "COALESCE(CASE WHEN o.is_active THEN c.service_owner_id END, 0) AS service_owner_id, "
    "c.mobile <> '' AS has_mobile, c.phone_alt <> '' AS has_phone_alt, "
    "c.wechat_id <> '' AS has_wechat, c.email <> '' AS has_email, "
    "c.address <> '' AS has_address "
    "FROM customers_customer c "
    "LEFT JOIN auth_user a ON a.id = c.sales_advisor_id "
    "LEFT JOIN auth_user o ON o.id = c.service_owner_id"
)
# The JSON lists are unpacked by the database (a million json.loads would cost seconds).
_PREFERENCE_QUERY = {
    "postgresql": (
        "SELECT customer_id, preferred_days, COALESCE(time_windows->>0, '') AS first_window, "
        "do_not_contact FROM customers_contactpreference"
    ),
    "sqlite": (
        "SELECT customer_id, preferred_days, "
        "COALESCE(json_extract(time_windows, '$[0]'), '') AS first_window, do_not_contact "
        "FROM customers_contactpreference"
    ),
}
_CHANNEL_PREFS_QUERY = {
    "postgresql": " UNION ALL ".join(
        f"SELECT p.customer_id, e.channel, e.position - 1 AS position, {flag} AS disliked "
        f"FROM customers_contactpreference p CROSS JOIN LATERAL "
        f"jsonb_array_elements_text(p.{column}) WITH ORDINALITY AS e(channel, position)"
        for column, flag in (("preferred_channels", "FALSE"), ("disliked_channels", "TRUE"))
    ),
    "sqlite": " UNION ALL ".join(
        f"SELECT p.customer_id, e.value AS channel, e.key AS position, {flag} AS disliked "
        f"FROM customers_contactpreference p, json_each(p.{column}) e"
        for column, flag in (("preferred_channels", "0"), ("disliked_channels", "1"))
    ),
}
_OPT_OUT_QUERY = "SELECT customer_id, channel FROM customers_channeloptout WHERE opted_out_on <= %s"
# The channel of each customer's last answered contact; SQLite returns the row of MAX().
_ANSWERED_QUERY = {
    "postgresql": (
        "SELECT DISTINCT ON (customer_id) customer_id, channel FROM contacts_contactlog "
        "WHERE outcome = 'reached' AND contacted_at >= %s AND contacted_at < %s "
        "ORDER BY customer_id, contacted_at DESC, id DESC"
    ),
    "sqlite": (
        "SELECT customer_id, channel, MAX(contacted_at) AS at FROM contacts_contactlog "
        "WHERE outcome = 'reached' AND contacted_at >= %s AND contacted_at < %s "
        "GROUP BY customer_id"
    ),
}
_RECENT_CONTACTS_QUERY = (
    "SELECT customer_id FROM contacts_contactlog WHERE contacted_at >= %s AND contacted_at < %s"
)
_OPEN_TASKS_QUERY = "SELECT customer_id, kind FROM winback_task WHERE status = 'open'"
_RECENT_TARGETS_QUERY = (
    "SELECT t.customer_id, t.kind, r.starts_on FROM winback_target t "
    "JOIN winback_round r ON r.id = t.round_id "
    "WHERE r.starts_on > %s AND r.starts_on <= %s AND t.plan_status IN (%s, %s, %s)"
)
_LOANS_QUERY = (
    "SELECT customer_id, finance_end_date FROM vehicles_purchase "
    "WHERE finance_end_date >= %s AND finance_end_date <= %s"
)
_RESOLVED_QUERY = (
    "SELECT customer_id, resolved_at FROM contacts_complaint "
    "WHERE resolved_at >= %s AND resolved_at < %s"
)
_PURCHASES_QUERY = "SELECT customer_id, purchased_on FROM vehicles_purchase WHERE purchased_on < %s"

#: How far back the channel a customer last answered on is looked for.
ANSWERED_LOOKBACK_DAYS = 730


def _day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of ``day``, Beijing time (aware)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def _db_time(value: dt.datetime) -> object:
    """A date-time as a raw query parameter: SQLite compares the naive UTC text Django stores."""
    return connection.ops.adapt_datetimefield_value(value)


def planning_inputs_load(
    *, run_id: int, starts_on: dt.date, cap_days: int, rules: list[planning.Rule]
) -> planning.PlanningInputs:
    """Everything :func:`winback.planning.plan_round` reads, as of the start of the round."""
    start = _day_start(starts_on)
    scores = read_frame(_SCORE_QUERY, [run_id])
    scores["value_tier"] = scores["value_tier"].astype("Int64")
    scores["nine_cell"] = scores["nine_cell"].fillna("")
    customers = read_frame(_CUSTOMER_QUERY)
    for column in ("sales_advisor_id", "service_owner_id"):
        customers[column] = customers[column].astype("int64").replace(0, np.nan)
    vendor = connection.vendor
    preferences = read_frame(_PREFERENCE_QUERY[vendor])
    preferences["do_not_contact"] = preferences["do_not_contact"].astype(bool)
    preferences["first_window"] = preferences["first_window"].fillna("")
    answered = read_frame(
        _ANSWERED_QUERY[vendor],
        [_db_time(start - dt.timedelta(days=ANSWERED_LOOKBACK_DAYS)), _db_time(start)],
    )[["customer_id", "channel"]]
    recent = read_frame(
        _RECENT_CONTACTS_QUERY, [_db_time(start - dt.timedelta(days=cap_days)), _db_time(start)]
    )
    open_kinds = read_frame(_OPEN_TASKS_QUERY)
    load = _load(recent["customer_id"], open_kinds["customer_id"])
    longest = max((r.cooldown_days for r in rules), default=0)
    recent_targets = read_frame(
        _RECENT_TARGETS_QUERY,
        [
            starts_on - dt.timedelta(days=longest + 1),
            starts_on,
            PlanStatus.ANSWERED,
            PlanStatus.REFUSED,
            PlanStatus.CONTROL,
        ],
    )
    recent_targets["days_ago"] = (
        pd.Timestamp(starts_on) - pd.to_datetime(recent_targets["starts_on"])
    ).dt.days
    return planning.PlanningInputs(
        scores=scores,
        customers=customers,
        preferences=preferences,
        channel_prefs=read_frame(_CHANNEL_PREFS_QUERY[vendor]),
        opt_outs=read_frame(_OPT_OUT_QUERY, [starts_on]),
        answered=answered,
        load=load,
        open_kinds=open_kinds,
        recent_targets=recent_targets[["customer_id", "kind", "days_ago"]],
        events=_events(starts_on, rules),
    )


def _load(recent_contacts: pd.Series, open_tasks: pd.Series) -> pd.DataFrame:
    contacts = recent_contacts.value_counts().rename("recent_contacts")
    tasks = open_tasks.value_counts().rename("open_tasks")
    frame = pd.concat([contacts, tasks], axis=1).fillna(0).astype("int64")
    return frame.rename_axis("customer_id").reset_index()


def _events(starts_on: dt.date, rules: list[planning.Rule]) -> pd.DataFrame:
    """Non-score triggers the rules use: loans ending, complaints resolved, anniversaries."""
    wanted: dict[str, int] = {}
    for rule in rules:
        if rule.trigger != "score":
            wanted[rule.trigger] = max(wanted.get(rule.trigger, 0), rule.trigger_days)
    parts = []
    if "loan_ending" in wanted:
        loans = read_frame(
            _LOANS_QUERY, [starts_on, starts_on + dt.timedelta(days=wanted["loan_ending"])]
        )
        days = (pd.to_datetime(loans["finance_end_date"]) - pd.Timestamp(starts_on)).dt.days
        parts.append(
            pd.DataFrame({"customer_id": loans["customer_id"], "days": days}).assign(
                trigger="loan_ending"
            )
        )
    if "complaint_resolved" in wanted:
        start = _day_start(starts_on)
        resolved = read_frame(
            _RESOLVED_QUERY,
            [
                _db_time(start - dt.timedelta(days=wanted["complaint_resolved"])),
                _db_time(start),
            ],
        )
        at = pd.to_datetime(resolved["resolved_at"], utc=True, format="ISO8601")
        days = (pd.Timestamp(start) - at).dt.days
        parts.append(
            pd.DataFrame({"customer_id": resolved["customer_id"], "days": days}).assign(
                trigger="complaint_resolved"
            )
        )
    if "anniversary" in wanted:
        bought = read_frame(_PURCHASES_QUERY, [starts_on])
        bought["purchased_on"] = pd.to_datetime(bought["purchased_on"])
        latest = bought.sort_values("purchased_on").drop_duplicates("customer_id", keep="last")
        month = latest["purchased_on"].dt.month == starts_on.month
        years = starts_on.year - latest["purchased_on"].dt.year >= 1
        ids = latest.loc[month & years, "customer_id"]
        parts.append(pd.DataFrame({"customer_id": ids, "days": 0, "trigger": "anniversary"}))
    if not parts:
        return pd.DataFrame({"customer_id": [], "days": [], "trigger": []})
    return pd.concat(parts, ignore_index=True)


def targets_write(round_: Round, targets: pd.DataFrame) -> pd.DataFrame:
    """Write a round's targets; returns ``customer_id, kind, target_id`` of each."""
    if targets.empty:
        return pd.DataFrame({"customer_id": [], "kind": [], "target_id": []})
    control = targets["group"] == planning.CONTROL
    frame = pd.DataFrame(
        {
            "round_id": round_.pk,
            "customer_id": targets["customer_id"].astype("int64"),
            "rule_id": targets["rule_id"].astype("int64"),
            "kind": targets["kind"],
            "group": targets["group"],
            "plan_id": targets["plan_id"].astype("Int64"),
            "plan_status": np.where(control, PlanStatus.CONTROL, PlanStatus.ACTIVE),
            "priority": targets["priority"].astype(float),
            "score_status": targets["status"],
            "churn_score": targets["churn_score"].astype(float),
            "future_value": targets["future_value"].astype(float),
            "value_tier": targets["value_tier"].astype("Int64"),
            "nine_cell": targets["nine_cell"].fillna(""),
            "rfm_segment": targets["rfm_segment"],
            "churn_reason": "",
            "anchor_on": pd.Timestamp(round_.starts_on),
        }
    )
    write_frame(Target._meta.db_table, frame)
    return read_frame(
        "SELECT customer_id, kind, id AS target_id FROM winback_target WHERE round_id = %s",
        [round_.pk],
    )


def due_at(due_on: pd.Series, window: pd.Series) -> pd.Series:
    """Aware start of each task's time window on its due day (local time)."""
    hours = window.map(WINDOW_START_HOURS).fillna(10).astype(int)
    local = pd.to_datetime(due_on) + pd.to_timedelta(hours, unit="h")
    return local.dt.tz_localize(settings.TIME_ZONE)


def tasks_write(
    *, round_: Round, tasks: pd.DataFrame, target_ids: pd.DataFrame, now: dt.datetime
) -> int:
    """Write a round's step-1 tasks (each naming its target); returns how many."""
    if tasks.empty:
        return 0
    tasks = tasks.merge(target_ids, on=["customer_id", "kind"], how="left", validate="1:1")
    stamp = pd.Timestamp(now)
    frame = pd.DataFrame(
        {
            "customer_id": tasks["customer_id"].astype("int64").to_numpy(),
            "kind": tasks["kind"].to_numpy(),
            "target_id": tasks["target_id"].astype("int64").to_numpy(),
            "run_id": round_.run_id,
            "step": tasks["step"].astype("int64").to_numpy(),
            "assignee_id": tasks["assignee_id"].astype("int64").to_numpy(),
            "due_on": pd.to_datetime(tasks["due_on"]).to_numpy(),
            "due_at": due_at(tasks["due_on"], tasks["window"]).reset_index(drop=True),
            "expires_on": pd.to_datetime(tasks["expires_on"]).to_numpy(),
            "window": tasks["window"].to_numpy(),
            "channel": tasks["channel"].to_numpy(),
            "priority": tasks["priority"].astype(float).to_numpy(),
            "note": "",
            "script": tasks["script"].fillna("").to_numpy(),
            "status": TaskStatus.OPEN,
            "skip_reason": "",
            "churn_reason": "",
            "created_at": stamp,
            "updated_at": stamp,
        }
    )
    write_frame(Task._meta.db_table, frame)
    return len(frame)
