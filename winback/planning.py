"""The round planner: who gets which task, when, on which channel — pandas in, frames out.
No Django import, so it is tested and benchmarked on its own (like the scoring pipeline).

Inputs (:class:`PlanningInputs`, one row per customer unless said):

- ``scores``: ``customer_id, status, churn_score, future_value, value_tier, nine_cell,
  rfm_segment, low_mileage`` and one ``churn_<indicator>`` column per churn indicator.
- ``customers``: ``customer_id, sales_advisor_id, service_owner_id`` (null when unassigned or
  the user is inactive) and the contact data present: ``has_mobile, has_phone_alt,
  has_wechat, has_email, has_address``.
- ``preferences``: ``customer_id, preferred_days`` (any/weekday/weekend), ``first_window``
  (the first preferred time window, "" for none), ``do_not_contact``.
- ``channel_prefs``: the channel lists in long form, ``customer_id, channel, position,
  disliked`` (one row per listed channel; position 0 is the most preferred).
- ``opt_outs``: ``customer_id, channel`` (several rows per customer).
- ``answered``: ``customer_id, channel`` of the customer's last answered contact.
- ``load``: ``customer_id, recent_contacts, open_tasks``: contacts logged in the cap window
  and open tasks of any kind.
- ``open_kinds``: ``customer_id, kind`` of every open task.
- ``recent_targets``: ``customer_id, kind, days_ago``: earlier targets whose plan ended
  answered or refused, or who were held back as control, and how long ago their round began.
- ``events``: ``customer_id, trigger, days``: non-score triggers (a loan ending in ``days``,
  a complaint resolved ``days`` ago, a purchase anniversary with ``days`` = 0).

:func:`plan_round` applies every rule, then the never-spam limits in this order, recording
why each dropped candidate was dropped: refuses all contact; cooling down after an answered,
refused or control round of the same kind; already holds an open task of the kind; matched an
earlier rule of the same kind; nobody to assign; no allowed channel; the contact cap. Of the
rest, rules that measure uplift hold back a random share as control (a hash of run and
customer, so a rerun draws the same). Priority = rule weight × future value × max(churn score,
0.1): the most valuable drifting customers come first; a customer over the cap keeps the most
urgent of their candidate tasks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: Why a candidate got no task (the codes of the round report).
REFUSES_CONTACT = "refuses_contact"
COOLING_DOWN = "cooling_down"
OPEN_TASK = "open_task"
EARLIER_RULE = "earlier_rule"
NO_OWNER = "no_owner"
NO_CHANNEL = "no_channel"
CONTACT_CAP = "contact_cap"
SKIP_CAUSES = (
    REFUSES_CONTACT,
    COOLING_DOWN,
    OPEN_TASK,
    EARLIER_RULE,
    NO_OWNER,
    NO_CHANNEL,
    CONTACT_CAP,
)

CONTACTED, CONTROL = "contacted", "control"

#: Every channel, in the order used to break ties.
CHANNELS = ("phone", "sms", "email", "post", "wechat", "visit_office", "visit_home")
_COLUMN = {channel: j for j, channel in enumerate(CHANNELS)}
_CHANNEL_INDEX = pd.Index(CHANNELS)
#: Contact data a channel needs; visits need the customer to have asked for them.
_NEEDS = {
    "phone": ("has_mobile", "has_phone_alt"),
    "sms": ("has_mobile",),
    "email": ("has_email",),
    "post": ("has_address",),
    "wechat": ("has_wechat",),
    "visit_office": (),
    "visit_home": ("has_address",),
}
_ON_REQUEST_ONLY = ("visit_office", "visit_home")
_CONTACT_DATA = ("has_mobile", "has_phone_alt", "has_wechat", "has_email", "has_address")
#: Ranks below this are the customer's own preferred channels; from ``DISLIKED_FROM`` on,
#: channels they dislike (see :func:`channel_ranks`).
PREFERRED_BELOW = 10
DISLIKED_FROM = 100
#: A channel an earlier step tried ranks after every untried allowed channel but still before
#: a disliked one: a customer who hates calls is not called because WeChat was tried once.
TRIED_PENALTY = 60
#: A priority never drops to zero for a customer who is not drifting (loan ending, care).
CHURN_FLOOR = 0.1


@dataclass(frozen=True)
class Rule:
    """A generation rule with the first step of its plan, as the planner needs it."""

    id: int
    kind: str
    trigger: str = "score"
    trigger_days: int = 90
    statuses: tuple[str, ...] = ()
    value_tiers: tuple[int, ...] = ()
    nine_cells: tuple[str, ...] = ()
    rfm_segments: tuple[str, ...] = ()
    min_churn_score: float | None = None
    indicator: str = ""
    indicator_min: float | None = None
    exclude_low_mileage: bool = False
    assign_to: str = "sales_advisor"
    priority_weight: float = 1.0
    measure_uplift: bool = False
    cooldown_days: int = 60
    plan_id: int | None = None
    step_channel: str = ""
    step_days: int = 0
    step_open_days: int = 14
    step_script: str = ""


@dataclass
class PlanningInputs:
    scores: pd.DataFrame
    customers: pd.DataFrame
    preferences: pd.DataFrame
    channel_prefs: pd.DataFrame
    opt_outs: pd.DataFrame
    answered: pd.DataFrame
    load: pd.DataFrame
    open_kinds: pd.DataFrame
    recent_targets: pd.DataFrame
    events: pd.DataFrame


@dataclass
class RoundPlan:
    """The planner's result: targets (contacted and control), step-1 tasks, the report."""

    targets: pd.DataFrame
    tasks: pd.DataFrame
    report: dict = field(default_factory=dict)


def rule_candidates(rule: Rule, scores: pd.DataFrame, events: pd.DataFrame) -> pd.Series:
    """Ids of the customers the rule's trigger and filters select."""
    frame = scores
    if rule.trigger != "score":
        fired = events[events["trigger"] == rule.trigger]
        if rule.trigger in ("loan_ending", "complaint_resolved"):
            fired = fired[(fired["days"] >= 0) & (fired["days"] <= rule.trigger_days)]
        frame = frame[frame["customer_id"].isin(fired["customer_id"])]
    keep = np.ones(len(frame), dtype=bool)
    if rule.statuses:
        keep &= frame["status"].isin(rule.statuses).to_numpy()
    if rule.value_tiers:
        keep &= frame["value_tier"].isin(rule.value_tiers).to_numpy()
    if rule.nine_cells:
        keep &= frame["nine_cell"].isin(rule.nine_cells).to_numpy()
    if rule.rfm_segments:
        keep &= frame["rfm_segment"].isin(rule.rfm_segments).to_numpy()
    if rule.min_churn_score is not None:
        keep &= (frame["churn_score"] >= rule.min_churn_score).to_numpy()
    if rule.indicator and rule.indicator_min is not None:
        keep &= (frame[f"churn_{rule.indicator}"] >= rule.indicator_min).to_numpy()
    if rule.exclude_low_mileage:
        keep &= ~frame["low_mileage"].fillna(False).astype(bool).to_numpy()
    return frame["customer_id"][keep]


def _columns(channels: pd.Series) -> np.ndarray:
    """Column of each channel name in :data:`CHANNELS`, -1 for an unknown one (vectorised)."""
    return _CHANNEL_INDEX.get_indexer(channels).astype(np.int64)


def channel_prefs_from_lists(
    customer_ids: list[int], preferred: list[list[str]], disliked: list[list[str]]
) -> pd.DataFrame:
    """The long form of preference lists the planner reads (``customer_id, channel, position,
    disliked``), for callers that hold the lists themselves (one customer, tests)."""
    rows = [
        (customer, channel, position, dislike)
        for customer, liked, hated in zip(customer_ids, preferred, disliked, strict=True)
        for dislike, channels in ((False, liked), (True, hated))
        for position, channel in enumerate(channels or ())
    ]
    return pd.DataFrame(rows, columns=["customer_id", "channel", "position", "disliked"])


def channel_ranks(
    customers: pd.DataFrame,
    channel_prefs: pd.DataFrame,
    opt_outs: pd.DataFrame,
    answered: pd.DataFrame,
    fallback: tuple[str, ...],
) -> pd.DataFrame:
    """A rank per customer (rows, in the order of ``customers``) and channel (columns): lower
    is better, NaN where the channel may not be used (opted out, no contact data, a visit the
    customer did not ask for). Preferred channels come first in the customer's order, then the
    channel they last answered on, then ``fallback``, then any other; disliked ones last.

    Plain numpy over the long form of the preferences (``channel_prefs``): fast for a million
    customers and for the single customer of a plan's next step alike."""
    ids = customers["customer_id"].to_numpy()
    position = pd.Index(ids)
    n = len(ids)
    ranks = np.full((n, len(CHANNELS)), 50.0) + np.arange(len(CHANNELS)) / 100
    for j, channel in enumerate(fallback):
        if channel in _COLUMN:
            ranks[:, _COLUMN[channel]] = 20 + j
    rows = position.get_indexer(answered["customer_id"].to_numpy())
    cols = _columns(answered["channel"])
    ok = (rows >= 0) & (cols >= 0)
    ranks[rows[ok], cols[ok]] = 10
    requested = np.zeros((n, len(CHANNELS)), dtype=bool)
    rows = position.get_indexer(channel_prefs["customer_id"].to_numpy())
    cols = _columns(channel_prefs["channel"])
    disliked = channel_prefs["disliked"].to_numpy(dtype=bool)
    ok = (rows >= 0) & (cols >= 0)
    liked = ok & ~disliked
    ranks[rows[liked], cols[liked]] = channel_prefs["position"].to_numpy()[liked]
    requested[rows[liked], cols[liked]] = True
    ranks[rows[ok & disliked], cols[ok & disliked]] += DISLIKED_FROM
    present = {name: customers[name].to_numpy(dtype=bool) for name in _CONTACT_DATA}
    allowed = np.ones((n, len(CHANNELS)), dtype=bool)
    for j, channel in enumerate(CHANNELS):
        needs = _NEEDS[channel]
        if needs:
            allowed[:, j] = np.logical_or.reduce([present[name] for name in needs])
        if channel in _ON_REQUEST_ONLY:
            allowed[:, j] &= requested[:, j]
    rows = position.get_indexer(opt_outs["customer_id"].to_numpy())
    cols = _columns(opt_outs["channel"])
    ok = (rows >= 0) & (cols >= 0)
    allowed[rows[ok], cols[ok]] = False
    ranks[~allowed] = np.nan
    return pd.DataFrame(ranks, index=ids, columns=list(CHANNELS))


def channel_choose(
    ranks: pd.DataFrame, wanted: pd.Series | None = None, avoid: tuple[str, ...] = ()
) -> pd.Series:
    """The channel to suggest per customer (index of ``ranks``), None when no channel is
    allowed. A plan step's ``wanted`` channel is taken when it is allowed, not disliked and
    the customer either prefers it or stated no preference; otherwise the best-ranked allowed
    channel, leaving out the ``avoid`` channels (earlier steps') when another one is allowed,
    so successive steps try different channels (R5.3)."""
    values = ranks.to_numpy().copy()
    for channel in avoid:
        values[:, _COLUMN[channel]] += TRIED_PENALTY
    usable = ~np.isnan(values).all(axis=1)
    best = np.where(usable, np.nanargmin(np.where(np.isnan(values), np.inf, values), axis=1), -1)
    chosen = np.array((*CHANNELS, None), dtype=object)[best]
    if wanted is not None:
        cols = _columns(wanted)
        has = cols >= 0
        rows = np.flatnonzero(has)
        raw = ranks.to_numpy()
        picked = raw[rows, cols[has]]
        states_preference = (raw[rows] < PREFERRED_BELOW).any(axis=1)
        fine = ~np.isnan(picked) & (picked < DISLIKED_FROM)
        fine &= (picked < PREFERRED_BELOW) | ~states_preference
        # A channel an earlier step tried is not taken again just because this step names it.
        fine &= ~np.isin(wanted.to_numpy()[rows], list(avoid))
        chosen[rows[fine]] = wanted.to_numpy()[rows[fine]]
    return pd.Series(chosen, index=ranks.index)


def control_draw(customer_ids: np.ndarray, run_id: int) -> np.ndarray:
    """A uniform number in [0, 1) per customer, fixed for (run, customer): splitmix64."""
    with np.errstate(over="ignore"):
        x = customer_ids.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        x ^= np.uint64(run_id) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    return (x >> np.uint64(11)).astype(np.float64) / float(2**53)


def due_days(
    starts_on: dt.date,
    offsets: np.ndarray,
    preferred_days: pd.Series,
) -> np.ndarray:
    """Due dates ``offsets`` days after ``starts_on``, moved forward to the customer's
    preferred days (weekday: Monday to Friday; weekend: Saturday or Sunday)."""
    days = np.datetime64(starts_on, "D") + offsets.astype("timedelta64[D]")
    weekday = (days.astype("datetime64[D]").view("int64") - 4) % 7  # 0 = Monday
    prefer = preferred_days.fillna("any").to_numpy()
    shift = np.zeros(len(days), dtype=np.int64)
    weekend_pref = prefer == "weekend"
    shift[weekend_pref] = np.where(weekday[weekend_pref] < 5, 5 - weekday[weekend_pref], 0)
    weekday_pref = prefer == "weekday"
    shift[weekday_pref] = np.where(weekday[weekday_pref] >= 5, 7 - weekday[weekday_pref], 0)
    return days + shift.astype("timedelta64[D]")


def plan_round(
    inputs: PlanningInputs,
    rules: list[Rule],
    *,
    run_id: int,
    starts_on: dt.date,
    contact_cap: int,
    control_share: float,
    daily_capacity: int,
    default_window: str,
    fallback_channels: tuple[str, ...],
) -> RoundPlan:
    """Targets, step-1 tasks and the report of one round (see the module docstring)."""
    scores = inputs.scores
    parts = []
    for order, rule in enumerate(rules):
        ids = rule_candidates(rule, scores, inputs.events)
        parts.append(pd.DataFrame({"customer_id": ids.to_numpy(), "rule": order}))
    matches = pd.concat(parts, ignore_index=True) if parts else _empty_matches()
    rule_frame = pd.DataFrame(
        {
            "rule": range(len(rules)),
            # Object, not float, when there are no rules: it is merged with the task kinds.
            "kind": pd.Series([r.kind for r in rules], dtype=object),
            "weight": [r.priority_weight for r in rules],
            "cooldown": [r.cooldown_days for r in rules],
            "assign_to": [r.assign_to for r in rules],
        }
    )
    matches = matches.merge(rule_frame, on="rule", how="left")
    matches = matches.merge(scores, on="customer_id", how="left")
    matches["priority"] = (
        matches["weight"]
        * matches["future_value"].clip(lower=0)
        * matches["churn_score"].clip(lower=CHURN_FLOOR)
    )
    matches = matches.sort_values(["customer_id", "rule"], kind="stable", ignore_index=True)
    matches["skip"] = None

    def drop(mask: np.ndarray | pd.Series, cause: str) -> None:
        mask = np.asarray(mask, dtype=bool) & matches["skip"].isna().to_numpy()
        matches.loc[mask, "skip"] = cause

    prefs = inputs.preferences.set_index("customer_id")
    # Lookups are cast to object: one that finds no preferences at all (none stored yet) would
    # be an all-NaN float column that cannot hold booleans, day names or lists.
    refuses = (
        matches["customer_id"].map(prefs["do_not_contact"]).astype(object).fillna(False)
    ).astype(bool)
    drop(refuses, REFUSES_CONTACT)
    recent = inputs.recent_targets
    if len(recent):
        recent = recent.groupby(["customer_id", "kind"], as_index=False)["days_ago"].min()
        seen = matches[["customer_id", "kind"]].merge(recent, how="left")["days_ago"]
        drop((seen <= matches["cooldown"]).to_numpy(), COOLING_DOWN)
    held = inputs.open_kinds[["customer_id", "kind"]].drop_duplicates().assign(held=True)
    has_open = matches[["customer_id", "kind"]].merge(held, how="left")["held"]
    drop(has_open.fillna(False).astype(bool).to_numpy(), OPEN_TASK)
    live = matches["skip"].isna()
    repeated = live & matches[live].duplicated(["customer_id", "kind"]).reindex(
        matches.index, fill_value=False
    )
    drop(repeated, EARLIER_RULE)

    people = inputs.customers.set_index("customer_id")
    advisor = matches["customer_id"].map(people["sales_advisor_id"])
    owner = matches["customer_id"].map(people["service_owner_id"])
    by_advisor = matches["assign_to"] == "sales_advisor"
    matches["assignee_id"] = np.where(by_advisor, advisor.fillna(owner), owner.fillna(advisor))
    drop(matches["assignee_id"].isna(), NO_OWNER)

    people_rows = inputs.customers[inputs.customers["customer_id"].isin(matches["customer_id"])]
    ranks = channel_ranks(
        people_rows, inputs.channel_prefs, inputs.opt_outs, inputs.answered, fallback_channels
    )
    step_channel = matches["rule"].map({i: r.step_channel or None for i, r in enumerate(rules)})
    ranks_per_match = ranks.reindex(matches["customer_id"].to_numpy())
    chosen = channel_choose(ranks_per_match, step_channel.reset_index(drop=True))
    matches["channel"] = chosen.to_numpy()
    drop(matches["channel"].isna(), NO_CHANNEL)

    load = inputs.load.set_index("customer_id")
    used = (
        matches["customer_id"].map(load["recent_contacts"]).fillna(0)
        + matches["customer_id"].map(load["open_tasks"]).fillna(0)
    ).to_numpy()
    live = matches["skip"].isna().to_numpy()
    order = np.lexsort((matches["rule"].to_numpy(), -matches["priority"].to_numpy()))
    ranked = matches.iloc[order]
    live_ranked = live[order]
    slot = (
        pd.Series(live_ranked.astype(int), index=ranked.index)
        .groupby(ranked["customer_id"].to_numpy())
        .cumsum()
        .to_numpy()
    )
    over = np.zeros(len(matches), dtype=bool)
    over[order] = live_ranked & (slot + used[order] > contact_cap)
    drop(over, CONTACT_CAP)

    kept = matches[matches["skip"].isna()].copy()
    uplift = kept["rule"].map({i: r.measure_uplift for i, r in enumerate(rules)}).astype(bool)
    draw = control_draw(kept["customer_id"].to_numpy(), run_id)
    kept["group"] = np.where(uplift.to_numpy() & (draw < control_share), CONTROL, CONTACTED)
    kept["plan_id"] = kept["rule"].map({i: r.plan_id for i, r in enumerate(rules)})
    kept["rule_id"] = kept["rule"].map({i: r.id for i, r in enumerate(rules)})

    tasks = kept[kept["group"] == CONTACTED].copy()
    tasks = _schedule(tasks, rules, prefs, starts_on, daily_capacity, default_window)
    report = _report(matches, kept, rules)
    target_columns = [
        "customer_id",
        "rule_id",
        "kind",
        "group",
        "plan_id",
        "priority",
        "status",
        "churn_score",
        "future_value",
        "value_tier",
        "nine_cell",
        "rfm_segment",
    ]
    return RoundPlan(
        targets=kept[target_columns].reset_index(drop=True),
        tasks=tasks.reset_index(drop=True),
        report=report,
    )


def _empty_matches() -> pd.DataFrame:
    return pd.DataFrame({"customer_id": pd.Series(dtype="int64"), "rule": pd.Series(dtype="int64")})


def _schedule(
    tasks: pd.DataFrame,
    rules: list[Rule],
    prefs: pd.DataFrame,
    starts_on: dt.date,
    daily_capacity: int,
    default_window: str,
) -> pd.DataFrame:
    """Due date and time window of each step-1 task: the plan's offset, then each assignee's
    tasks spread over days by priority, ``daily_capacity`` a day, then the customer's days."""
    tasks = tasks.sort_values(
        ["assignee_id", "priority", "customer_id"], ascending=[True, False, True]
    )
    rank = tasks.groupby("assignee_id").cumcount().to_numpy()
    offset = tasks["rule"].map({i: r.step_days for i, r in enumerate(rules)}).to_numpy()
    days = offset + rank // daily_capacity
    preferred_days = tasks["customer_id"].map(prefs["preferred_days"]).astype(object)
    tasks["due_on"] = due_days(starts_on, days, preferred_days.reset_index(drop=True))
    windows = tasks["customer_id"].map(prefs["first_window"]).astype(object)
    tasks["window"] = windows.where(windows.notna() & (windows != ""), default_window)
    tasks["script"] = tasks["rule"].map({i: r.step_script for i, r in enumerate(rules)})
    open_days = tasks["rule"].map({i: r.step_open_days for i, r in enumerate(rules)}).to_numpy()
    tasks["expires_on"] = tasks["due_on"].to_numpy() + open_days.astype("timedelta64[D]")
    tasks["step"] = 1
    return tasks


def _report(matches: pd.DataFrame, kept: pd.DataFrame, rules: list[Rule]) -> dict:
    """Per rule and in total: candidates, tasks created, control group, skipped by cause."""
    per_rule = []
    for order, rule in enumerate(rules):
        mine = matches[matches["rule"] == order]
        kept_mine = kept[kept["rule"] == order]
        skipped = mine["skip"].value_counts().to_dict()
        per_rule.append(
            {
                "rule": rule.id,
                "kind": rule.kind,
                "candidates": int(len(mine)),
                "created": int((kept_mine["group"] == CONTACTED).sum()),
                "control": int((kept_mine["group"] == CONTROL).sum()),
                "skipped": {
                    cause: int(skipped.get(cause, 0)) for cause in SKIP_CAUSES if skipped.get(cause)
                },
            }
        )
    totals: dict[str, int] = {}
    for entry in per_rule:
        for cause, n in entry["skipped"].items():
            totals[cause] = totals.get(cause, 0) + n
    return {
        "candidates": sum(e["candidates"] for e in per_rule),
        "created": sum(e["created"] for e in per_rule),
        "control": sum(e["control"] for e in per_rule),
        "skipped": totals,
        "rules": per_rule,
    }
