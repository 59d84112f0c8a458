"""Bulk writes: dates and aware date-times (to the second) go through PostgreSQL's binary
COPY and SQLite's inserts exactly, NULLs included."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from contacts.models import ContactLog
from customers.bulk import write_frame
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_dates_and_aware_times_with_nulls_round_trip_exactly():
    customer = CustomerFactory()
    shanghai = dt.timezone(dt.timedelta(hours=8))
    at = [
        dt.datetime(2025, 3, 1, 9, 30, 15, tzinfo=shanghai),
        dt.datetime(1999, 12, 31, 23, 59, 59, tzinfo=dt.UTC),  # before PostgreSQL's epoch
    ]
    due = [dt.date(2025, 3, 8), None]
    frame = pd.DataFrame(
        {
            "customer_id": customer.pk,
            "contacted_at": pd.to_datetime(at, utc=True),
            "channel": "phone",
            "contact_type": "care_call",
            "outcome": "reached",
            "feedback": ["好", ""],
            "next_step": "",
            "next_step_due": pd.to_datetime(pd.Series(due)),
            "source": "",
            "created_at": pd.to_datetime(at, utc=True),
            "updated_at": pd.to_datetime(at, utc=True),
        }
    )
    write_frame(ContactLog._meta.db_table, frame)
    rows = list(
        ContactLog.objects.order_by("-contacted_at").values_list("contacted_at", "next_step_due")
    )
    assert rows == [(at[0], due[0]), (at[1], None)]
