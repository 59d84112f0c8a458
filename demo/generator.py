"""Deterministic generator of a realistic demo dealership, one chunk of customers at a time.

:func:`generate_chunk` returns one pandas DataFrame per table, with database column names and
explicit primary keys, so the same rows can be written by ``executemany`` (SQLite) or ``COPY``
(PostgreSQL) without touching the ORM per row. Everything is drawn from one numpy generator
seeded by (seed, chunk number), so a run is reproducible and chunks are independent.

What it models (R1-R3 of MISSION.md): purchases spread over 12 years with the price paid at the
time and real financing; a per-customer annual mileage and service interval; service visits
every 5-12 months until the customer lapses (about a third do), with lines by category whose
mix follows the customer's character; odometer readings that only go up; surveys, complaints
with status histories, contact logs, value-layer events, contact preferences and dated profile
observations.

The tables are drawn by ``customer_frames``, ``vehicle_frames``, ``service_frames`` and
``contact_frames``; the stamp, ids and staff they share are in ``chunk_context``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from demo.chunk_context import SHANGHAI, IdCursor, Staff
from demo.contact_frames import complaints_generate, contact_logs_generate, surveys_generate
from demo.customer_frames import (
    customers_generate,
    preferences_generate,
    profile_observations_generate,
    value_events_generate,
)
from demo.service_frames import service_history_generate
from demo.vehicle_frames import vehicles_and_purchases_generate


def generate_chunk(
    *,
    first_customer_id: int,
    count: int,
    seed: int,
    chunk_no: int,
    as_of: dt.date,
    staff: Staff,
    ids: IdCursor,
    now: dt.datetime | None = None,
) -> dict[str, pd.DataFrame]:
    """Generate ``count`` customers starting at ``first_customer_id`` and all their records.

    Rows are written, and complaints answered, no later than ``now`` (default: noon of
    ``as_of``); seeding passes the moment it started, so a demo seeded this morning has no
    rows stamped this afternoon.
    """
    rng = np.random.default_rng([seed, chunk_no])
    noon = pd.Timestamp(as_of).tz_localize(SHANGHAI) + pd.Timedelta(hours=12)
    now = noon if now is None else min(noon, pd.Timestamp(now).tz_convert(SHANGHAI))
    frames: dict[str, pd.DataFrame] = {}
    # Every table draws from the one generator in this order: calling them in another order
    # would give every seed another dealership.

    customers = customers_generate(rng, first_customer_id, count, as_of, staff, now)
    frames["customers_customer"] = customers
    cid = customers["id"].to_numpy()
    character = customers["character"].to_numpy()

    vehicles, purchases, owner_span = vehicles_and_purchases_generate(rng, cid, as_of, ids, now)
    frames["vehicles_vehicle"] = vehicles
    frames["vehicles_purchase"] = purchases

    orders, lines, readings = service_history_generate(rng, owner_span, character, as_of, ids, now)
    frames["vehicles_serviceorder"] = orders
    frames["vehicles_serviceorderline"] = lines
    frames["vehicles_odometerreading"] = readings

    frames["contacts_satisfactionsurvey"] = surveys_generate(rng, orders, as_of, ids, now)
    complaints, changes = complaints_generate(rng, orders, staff, now, ids)
    frames["contacts_complaint"] = complaints
    frames["contacts_complaintstatuschange"] = changes
    frames["contacts_contactlog"] = contact_logs_generate(rng, customers, as_of, ids, now)
    frames["customers_valueevent"] = value_events_generate(rng, cid, as_of, ids, now)
    prefs, opt_outs = preferences_generate(rng, cid, as_of, ids, now)
    frames["customers_contactpreference"] = prefs
    frames["customers_channeloptout"] = opt_outs
    frames["customers_profileobservation"] = profile_observations_generate(
        rng, purchases, staff, as_of, ids, now
    )
    return frames
