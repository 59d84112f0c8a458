"""Set-based reads and writes of a round: one query per input table, bulk writes of targets
and tasks (``COPY`` on PostgreSQL). No per-customer ORM work."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection

from core.local_time import local_moment
from customers.bulk import read_frame, read_frames, write_frame
from segmentation.models import RfmSegment, Status
from segmentation.scoring_settings import CHURN_INDICATORS
from winback import planning
from winback.models import NINE_CELLS, PlanStatus, Target, Task, TaskKind, TaskStatus
from winback.work_settings import WINDOW_START_HOURS


def _coded(expression: str, values: Sequence[str], name: str) -> str:
    """``expression`` as the position of its value in ``values`` (-1 for anything else): with
    every column a number, PostgreSQL streams the rows in binary COPY, with nothing to parse."""
    if any("'" in v for v in values):
        raise ValueError("choice values are SQL literals here; a quote cannot be one")
    cases = " ".join(f"WHEN '{v}' THEN {i}" for i, v in enumerate(values))
    return f"CASE {expression} {cases} ELSE -1 END AS {name}"


def _decoded(codes: pd.Series, values: Sequence[str]) -> np.ndarray:
    """The values of :func:`_coded` codes ("" for -1)."""
    return np.array([*values, ""], dtype=object)[codes.to_numpy(dtype=np.int64)]


_CHANNELS = planning.CHANNELS
_SCORE_QUERY = (
    "SELECT customer_id, "
    + _coded("status", Status.values, "status")
    + ", churn_score, future_value, COALESCE(value_tier, 0) AS value_tier, "
    + _coded("nine_cell", NINE_CELLS, "nine_cell")
    + ", "
    + _coded("rfm_segment", RfmSegment.values, "rfm_segment")
    + ", low_mileage, "
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
        f"SELECT p.customer_id, {_coded('e.channel', _CHANNELS, 'channel')}, "
        f"e.position - 1 AS position, {flag} AS disliked "
        f"FROM customers_contactpreference p CROSS JOIN LATERAL "
        f"jsonb_array_elements_text(p.{column}) WITH ORDINALITY AS e(channel, position)"
        for column, flag in (("preferred_channels", "FALSE"), ("disliked_channels", "TRUE"))
    ),
    "sqlite": " UNION ALL ".join(
        f"SELECT p.customer_id, {_coded('e.value', _CHANNELS, 'channel')}, "
        f"e.key AS position, {flag} AS disliked "
        f"FROM customers_contactpreference p, json_each(p.{column}) e"
        for column, flag in (("preferred_channels", "0"), ("disliked_channels", "1"))
    ),
}
_OPT_OUT_QUERY = (
    f"SELECT customer_id, {_coded('channel', _CHANNELS, 'channel')} "
    "FROM customers_channeloptout WHERE opted_out_on <= %s"
)
# The channel of each customer's last answered contact; SQLite returns the row of MAX().
_ANSWERED_QUERY = {
    "postgresql": (
        "SELECT DISTINCT ON (customer_id) customer_id, "
        f"{_coded('channel', _CHANNELS, 'channel')} FROM contacts_contactlog "
        "WHERE outcome = 'reached' AND contacted_at >= %s AND contacted_at < %s "
        "ORDER BY customer_id, contacted_at DESC, id DESC"
    ),
    "sqlite": (
        f"SELECT customer_id, {_coded('channel', _CHANNELS, 'channel')}, "
        "MAX(contacted_at) AS at FROM contacts_contactlog "
        "WHERE outcome = 'reached' AND contacted_at >= %s AND contacted_at < %s "
        "GROUP BY customer_id"
    ),
}
_RECENT_CONTACTS_QUERY = (
    "SELECT customer_id FROM contacts_contactlog WHERE contacted_at >= %s AND contacted_at < %s"
)
_OPEN_TASKS_QUERY = (
    f"SELECT customer_id, {_coded('kind', TaskKind.values, 'kind')} "
    "FROM winback_task WHERE status = 'open'"
)
_RECENT_TARGETS_QUERY = (
    f"SELECT t.customer_id, {_coded('t.kind', TaskKind.values, 'kind')}, r.starts_on "
    "FROM winback_target t "
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
    return local_moment(day)


def _db_time(value: dt.datetime) -> object:
    """A date-time as a raw query parameter: SQLite compares the naive UTC text Django stores."""
    return connection.ops.adapt_datetimefield_value(value)


def _queries(
    *, run_id: int, starts_on: dt.date, cap_days: int, rules: list[planning.Rule]
) -> dict[str, tuple[str, list | None]]:
    """The round's input queries with their parameters, by name (largest first, so the
    connections reading at once finish close together)."""
    vendor = connection.vendor
    start = _day_start(starts_on)
    longest = max((r.cooldown_days for r in rules), default=0)
    recent = [
        starts_on - dt.timedelta(days=longest + 1),
        starts_on,
        PlanStatus.ANSWERED,
        PlanStatus.REFUSED,
        PlanStatus.CONTROL,
    ]
    queries: dict[str, tuple[str, list | None]] = {
        "channel_prefs": (_CHANNEL_PREFS_QUERY[vendor], None),
        "scores": (_SCORE_QUERY, [run_id]),
        "customers": (_CUSTOMER_QUERY, None),
        "answered": (
            _ANSWERED_QUERY[vendor],
            [_db_time(start - dt.timedelta(days=ANSWERED_LOOKBACK_DAYS)), _db_time(start)],
        ),
        "preferences": (_PREFERENCE_QUERY[vendor], None),
        "open_kinds": (_OPEN_TASKS_QUERY, None),
        "recent_contacts": (
            _RECENT_CONTACTS_QUERY,
            [_db_time(start - dt.timedelta(days=cap_days)), _db_time(start)],
        ),
        "opt_outs": (_OPT_OUT_QUERY, [starts_on]),
        "recent_targets": (_RECENT_TARGETS_QUERY, recent),
    }
    triggers = _trigger_days(rules)
    if "anniversary" in triggers:
        queries["purchases"] = (_PURCHASES_QUERY, [starts_on])
    if "loan_ending" in triggers:
        end = starts_on + dt.timedelta(days=triggers["loan_ending"])
        queries["loans"] = (_LOANS_QUERY, [starts_on, end])
    if "complaint_resolved" in triggers:
        since = start - dt.timedelta(days=triggers["complaint_resolved"])
        queries["resolved"] = (_RESOLVED_QUERY, [_db_time(since), _db_time(start)])
    return queries


def _trigger_days(rules: list[planning.Rule]) -> dict[str, int]:
    """The longest window each non-score trigger of the rules looks at."""
    wanted: dict[str, int] = {}
    for rule in rules:
        if rule.trigger != "score":
            wanted[rule.trigger] = max(wanted.get(rule.trigger, 0), rule.trigger_days)
    return wanted


def planning_inputs_load(
    *, run_id: int, starts_on: dt.date, cap_days: int, rules: list[planning.Rule]
) -> planning.PlanningInputs:
    """Everything :func:`winback.planning.plan_round` reads, as of the start of the round: one
    query per table, read as of one moment over two connections on PostgreSQL."""
    raw = read_frames(_queries(run_id=run_id, starts_on=starts_on, cap_days=cap_days, rules=rules))
    scores = raw["scores"]
    scores["status"] = _decoded(scores["status"], Status.values)
    scores["nine_cell"] = _decoded(scores["nine_cell"], NINE_CELLS)
    scores["rfm_segment"] = _decoded(scores["rfm_segment"], RfmSegment.values)
    scores["value_tier"] = scores["value_tier"].astype("Int64").replace(0, pd.NA)
    scores["low_mileage"] = scores["low_mileage"].astype(bool)
    customers = raw["customers"]
    for column in ("sales_advisor_id", "service_owner_id"):
        customers[column] = customers[column].astype("int64").replace(0, np.nan)
    preferences = raw["preferences"]
    preferences["do_not_contact"] = preferences["do_not_contact"].astype(bool)
    preferences["first_window"] = preferences["first_window"].fillna("")
    open_kinds = raw["open_kinds"]
    open_kinds["kind"] = _decoded(open_kinds["kind"], TaskKind.values)
    recent_targets = raw["recent_targets"]
    recent_targets["kind"] = _decoded(recent_targets["kind"], TaskKind.values)
    recent_targets["days_ago"] = (
        pd.Timestamp(starts_on) - pd.to_datetime(recent_targets["starts_on"])
    ).dt.days
    return planning.PlanningInputs(
        scores=scores,
        customers=customers,
        preferences=preferences,
        channel_prefs=_channels_decoded(raw["channel_prefs"]),
        opt_outs=_channels_decoded(raw["opt_outs"]),
        answered=_channels_decoded(raw["answered"][["customer_id", "channel"]]),
        load=_load(raw["recent_contacts"]["customer_id"], open_kinds["customer_id"]),
        open_kinds=open_kinds,
        recent_targets=recent_targets[["customer_id", "kind", "days_ago"]],
        events=_events(raw, starts_on),
    )


def _channels_decoded(frame: pd.DataFrame) -> pd.DataFrame:
    frame["channel"] = _decoded(frame["channel"], _CHANNELS)
    return frame


def _load(recent_contacts: pd.Series, open_tasks: pd.Series) -> pd.DataFrame:
    contacts = recent_contacts.value_counts().rename("recent_contacts")
    tasks = open_tasks.value_counts().rename("open_tasks")
    frame = pd.concat([contacts, tasks], axis=1).fillna(0).astype("int64")
    return frame.rename_axis("customer_id").reset_index()


def _events(raw: dict[str, pd.DataFrame], starts_on: dt.date) -> pd.DataFrame:
    """Non-score triggers: loans ending (days to the end), complaints resolved (days since),
    purchase anniversaries this month (of the latest car, a year or more ago)."""
    parts = []
    if "loans" in raw:
        loans = raw["loans"]
        days = (pd.to_datetime(loans["finance_end_date"]) - pd.Timestamp(starts_on)).dt.days
        parts.append(
            pd.DataFrame({"customer_id": loans["customer_id"], "days": days}).assign(
                trigger="loan_ending"
            )
        )
    if "resolved" in raw:
        resolved = raw["resolved"]
        at = pd.to_datetime(resolved["resolved_at"], utc=True, format="ISO8601")
        days = (pd.Timestamp(_day_start(starts_on)) - at).dt.days
        parts.append(
            pd.DataFrame({"customer_id": resolved["customer_id"], "days": days}).assign(
                trigger="complaint_resolved"
            )
        )
    if "purchases" in raw:
        bought = raw["purchases"]
        bought["purchased_on"] = pd.to_datetime(bought["purchased_on"])
        latest = bought.sort_values("purchased_on").drop_duplicates("customer_id", keep="last")
        month = latest["purchased_on"].dt.month == starts_on.month
        years = starts_on.year - latest["purchased_on"].dt.year >= 1
        ids = latest.loc[month & years, "customer_id"]
        parts.append(pd.DataFrame({"customer_id": ids, "days": 0, "trigger": "anniversary"}))
    if not parts:
        return pd.DataFrame({"customer_id": [], "days": [], "trigger": []})
    return pd.concat(parts, ignore_index=True)


def targets_write(
    *,
    targets: pd.DataFrame,
    anchor_on: dt.date,
    round_id: int | None = None,
    campaign_id: int | None = None,
    offer_id: int | None = None,
) -> pd.DataFrame:
    """Write the targets of a round (each naming its rule) or of a campaign (contacted ones
    carrying the campaign's offer, so the +3-month measurement says whether the spending
    matched it); returns ``customer_id, kind, target_id`` of each."""
    owner, owner_id = (
        ("round_id", round_id) if round_id is not None else ("campaign_id", campaign_id)
    )
    if targets.empty:
        return pd.DataFrame({"customer_id": [], "kind": [], "target_id": []})
    control = (targets["group"] == planning.CONTROL).to_numpy()
    frame = pd.DataFrame(
        {
            owner: owner_id,
            "customer_id": targets["customer_id"].astype("int64"),
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
            "anchor_on": pd.Timestamp(anchor_on),
        }
    )
    if round_id is not None:
        frame["rule_id"] = targets["rule_id"].astype("int64")
    if offer_id is not None:
        frame["offer_id"] = pd.Series(offer_id, index=targets.index, dtype="Int64").mask(control)
    write_frame(Target._meta.db_table, frame)
    return read_frame(
        f"SELECT customer_id, kind, id AS target_id FROM winback_target WHERE {owner} = %s",
        [owner_id],
    )


def due_at(due_on: pd.Series, window: pd.Series) -> pd.Series:
    """Aware start of each task's time window on its due day (local time)."""
    hours = window.map(WINDOW_START_HOURS).fillna(WINDOW_START_HOURS["working_hours"]).astype(int)
    local = pd.to_datetime(due_on) + pd.to_timedelta(hours, unit="h")
    return local.dt.tz_localize(settings.TIME_ZONE)


def tasks_write(
    *,
    run_id: int,
    tasks: pd.DataFrame,
    target_ids: pd.DataFrame,
    now: dt.datetime,
    note: str = "",
    offer_id: int | None = None,
) -> int:
    """Write the step-1 tasks of a round or a campaign (each naming its target, the scoring
    run that chose it, and a campaign's name as ``note`` and its offer); returns how many.
    Everything goes in one write: updating tens of thousands of fresh rows afterwards costs
    more than writing them."""
    if tasks.empty:
        return 0
    tasks = tasks.merge(target_ids, on=["customer_id", "kind"], how="left", validate="1:1")
    stamp = pd.Timestamp(now)
    frame = pd.DataFrame(
        {
            "customer_id": tasks["customer_id"].astype("int64").to_numpy(),
            "kind": tasks["kind"].to_numpy(),
            "target_id": tasks["target_id"].astype("int64").to_numpy(),
            "run_id": run_id,
            "step": tasks["step"].astype("int64").to_numpy(),
            "assignee_id": tasks["assignee_id"].astype("int64").to_numpy(),
            "due_on": pd.to_datetime(tasks["due_on"]).to_numpy(),
            "due_at": due_at(tasks["due_on"], tasks["window"]).reset_index(drop=True),
            "expires_on": pd.to_datetime(tasks["expires_on"]).to_numpy(),
            "window": tasks["window"].to_numpy(),
            "channel": tasks["channel"].to_numpy(),
            "priority": tasks["priority"].astype(float).to_numpy(),
            "note": note[:255],
            "script": tasks["script"].fillna("").to_numpy(),
            "status": TaskStatus.OPEN,
            "skip_reason": "",
            "churn_reason": "",
            "created_at": stamp,
            "updated_at": stamp,
        }
    )
    if offer_id is not None:
        frame["offer_id"] = offer_id
    write_frame(Task._meta.db_table, frame)
    return len(frame)
