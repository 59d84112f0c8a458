"""The contact tables of a generated chunk: satisfaction surveys after visits, complaints with
their status histories, and contact logs.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from demo import catalogue
from demo.chunk_context import SHANGHAI, IdCursor, Staff, dates_before, frame_stamp


def _aware(dates: np.ndarray, seconds: np.ndarray) -> pd.DatetimeIndex:
    """Local (Asia/Shanghai) datetimes from dates plus seconds after midnight."""
    naive = pd.to_datetime(dates.astype("datetime64[s]") + seconds.astype("timedelta64[s]"))
    return naive.tz_localize(SHANGHAI)


def surveys_generate(
    rng: np.random.Generator, orders: pd.DataFrame, as_of: dt.date, ids: IdCursor, now: pd.Timestamp
) -> pd.DataFrame:
    """Surveys after about 40% of visits; each customer has a base satisfaction level."""
    picked = orders[rng.random(len(orders)) < 0.4]
    n = len(picked)
    cust = picked["customer_id"].to_numpy()
    base = 7.8 + 1.6 * np.sin(cust * 12.9898) * 1.0  # stable per customer, spread 6.2-9.4
    overall = np.clip(np.round(base + rng.normal(0, 1.2, n)), 1, 10).astype(int)
    frame = pd.DataFrame(
        {
            "customer_id": cust,
            "service_order_id": picked["id"].to_numpy(),
            "surveyed_on": np.minimum(
                picked["opened_on"].to_numpy() + rng.integers(1, 6, n).astype("timedelta64[D]"),
                np.datetime64(as_of, "D"),
            ),
            "channel": rng.choice(["phone", "sms", "wechat"], n, p=[0.5, 0.2, 0.3]),
            "overall": overall,
        }
    )
    for dim in ("repair_quality", "price", "speed", "reception_attitude", "information_clarity"):
        frame[dim] = np.clip(overall + rng.integers(-2, 2, n), 1, 10)
    frame["comment"] = ""
    frame.insert(0, "id", ids.take("contacts_satisfactionsurvey", n))
    return frame_stamp(frame, now)


def complaints_generate(
    rng: np.random.Generator, orders: pd.DataFrame, staff: Staff, now: pd.Timestamp, ids: IdCursor
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Complaints after ~3% of visits, most answered in time, some late, some still open."""
    picked = orders[rng.random(len(orders)) < 0.03]
    n = len(picked)
    complaint_ids = ids.take("contacts_complaint", n)
    categories = np.array(list(catalogue.COMPLAINT_TEXTS))
    category = rng.choice(categories, n)
    opened = _aware(picked["opened_on"].to_numpy(), rng.integers(9 * 3600, 18 * 3600, n))
    opened = opened.where(opened < now, now - pd.Timedelta(hours=3))
    promised = opened + pd.Timedelta(hours=24)
    late = rng.random(n) < 0.2
    response_hours = np.where(late, rng.uniform(25, 96, n), rng.uniform(1, 23, n))
    first_response = opened + pd.to_timedelta(response_hours, unit="h")
    unresolved = rng.random(n) < 0.15
    recent = (now - opened) < pd.Timedelta(days=2)
    answered = ~recent & (first_response < now)
    resolved_at = first_response + pd.to_timedelta(rng.uniform(24, 240, n), unit="h")
    resolved = ~unresolved & answered & (resolved_at < now)
    status = np.where(
        resolved,
        rng.choice(["resolved", "closed"], n, p=[0.3, 0.7]),
        np.where(answered, rng.choice(["acknowledged", "in_progress", "escalated"], n), "open"),
    )
    complaints = pd.DataFrame(
        {
            "id": complaint_ids,
            "customer_id": picked["customer_id"].to_numpy(),
            "service_order_id": picked["id"].to_numpy(),
            "opened_at": opened,
            "category": category,
            "description": [catalogue.COMPLAINT_TEXTS[c] for c in category],
            "promised_response_by": promised,
            "first_response_at": pd.Series(first_response).where(answered, None).to_numpy(),
            "status": status,
            "handler_id": np.array(staff.marketing_ids)[
                rng.integers(0, len(staff.marketing_ids), n)
            ],
            "escalation_level": np.where(status == "escalated", 1, 0),
            "resolution": np.where(resolved, "已向客户解释并免费返修", ""),
            "resolved_at": pd.Series(resolved_at).where(resolved, None).to_numpy(),
            "customer_accepted": pd.Series(np.where(rng.random(n) < 0.8, True, False))
            .where(resolved, None)
            .to_numpy(),
        }
    )
    complaints = frame_stamp(complaints, now)
    # Status history: opened, then acknowledged at the first response, then the final status.
    steps = [pd.DataFrame({"complaint_id": complaint_ids, "status": "open", "changed_at": opened})]
    steps.append(
        pd.DataFrame(
            {
                "complaint_id": complaint_ids[answered],
                "status": "acknowledged",
                "changed_at": first_response[answered],
            }
        )
    )
    later = answered & (status != "acknowledged")
    later_at = pd.Series(resolved_at).where(resolved, first_response + pd.Timedelta(hours=2))
    later_at = later_at.where(later_at < now, now)
    steps.append(
        pd.DataFrame(
            {
                "complaint_id": complaint_ids[later],
                "status": status[later],
                "changed_at": later_at[later].to_numpy(),
            }
        )
    )
    changes = pd.concat(steps, ignore_index=True).sort_values(
        ["complaint_id", "changed_at"], kind="stable"
    )
    changes.insert(0, "id", ids.take("contacts_complaintstatuschange", len(changes)))
    changes["changed_by_id"] = None
    changes["note"] = ""
    return complaints, changes.reset_index(drop=True)


def contact_logs_generate(
    rng: np.random.Generator,
    customers: pd.DataFrame,
    as_of: dt.date,
    ids: IdCursor,
    now: pd.Timestamp,
) -> pd.DataFrame:
    """0-6 contacts per customer over the last three years."""
    count = rng.integers(0, 7, len(customers))
    rows = np.repeat(np.arange(len(customers)), count)
    n = len(rows)
    contacted = _aware(
        dates_before(rng.integers(1, 3 * 365, n), as_of), rng.integers(9 * 3600, 20 * 3600, n)
    )
    ctype = rng.choice(
        [
            "care_call",
            "maintenance_reminder",
            "survey",
            "win_back",
            "sales_follow_up",
            "event_invitation",
        ],
        n,
        p=[0.3, 0.3, 0.15, 0.1, 0.1, 0.05],
    )
    outcome = rng.choice(
        ["reached", "no_answer", "call_back", "refused"], n, p=[0.7, 0.2, 0.07, 0.03]
    )
    staff_ids = np.where(
        ctype == "sales_follow_up",
        customers["sales_advisor_id"].to_numpy()[rows],
        customers["service_owner_id"].to_numpy()[rows],
    )
    frame = pd.DataFrame(
        {
            "id": ids.take("contacts_contactlog", n),
            "customer_id": customers["id"].to_numpy()[rows],
            "contacted_at": contacted,
            "staff_id": staff_ids,
            "channel": rng.choice(
                ["phone", "sms", "wechat", "in_store"], n, p=[0.6, 0.1, 0.25, 0.05]
            ),
            "contact_type": ctype,
            "outcome": outcome,
            "feedback": np.where(outcome == "reached", rng.choice(catalogue.FEEDBACK_TEXTS, n), ""),
            "next_step": "",
            "next_step_due": None,
        }
    )
    return frame_stamp(frame, now)
