"""Set-based reads and writes of the scoring: results round-trip exactly (binary COPY on
PostgreSQL), typed reads of every input, shard filters that split customers without overlap."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command

from customers.bulk import read_frame
from segmentation import loaders
from segmentation.models import CustomerScore, ScoringRun
from tests.factories import CustomerFactory

AS_OF = dt.date(2026, 6, 30)


def _scores_frame(customer_ids: list[int]) -> pd.DataFrame:
    """One row per customer with every score column, awkward values included."""
    n = len(customer_ids)
    frame = pd.DataFrame({"customer_id": customer_ids})
    for field in CustomerScore._meta.concrete_fields:
        if field.column in ("id", "run_id", "customer_id"):
            continue
        kind = field.get_internal_type()
        if kind == "FloatField":
            values = np.array([1 / 3, -0.0, 1e-300, np.nan, 123456789.123456789][:n])
        elif kind in ("IntegerField", "SmallIntegerField"):
            values = np.array([0, 5, -3, 32000, 7][:n])
        elif kind == "BooleanField":
            values = np.array([True, False, True, False, True][:n])
        else:
            values = np.array(["lost", "客户", "", None, "a\\b\tc"][:n], dtype=object)
        if not field.null and kind in ("FloatField", "CharField"):
            values[3] = values[0]
        frame[field.column] = values
    return frame


@pytest.mark.django_db
def test_results_are_written_exactly_as_computed():
    customers = [CustomerFactory().pk for _ in range(5)]
    run = ScoringRun.objects.create(month=dt.date(2026, 6, 1), as_of=AS_OF)
    frame = _scores_frame(customers)
    frame["value_tier"] = [1.0, np.nan, 3.0, 5.0, np.nan]
    assert loaders.scores_write(run.pk, frame) == 5
    stored = pd.DataFrame(
        list(CustomerScore.objects.filter(run=run).order_by("customer_id").values())
    )
    for column in loaders.SCORE_COLUMNS:
        expected = frame[column].tolist()
        got = stored[column].tolist()
        for want, have in zip(expected, got, strict=True):
            if want is None or (isinstance(want, float) and np.isnan(want)):
                assert have is None or pd.isna(have), column
            else:
                assert have == want, column


@pytest.mark.django_db
def test_a_null_in_a_fixed_width_column_still_reads():
    frame = read_frame("SELECT 1 AS a, NULL AS b UNION ALL SELECT 2, 3", dtype=None)
    assert frame["a"].tolist() == [1, 2]
    assert pd.isna(frame["b"].iloc[0]) and frame["b"].iloc[1] == 3


@pytest.mark.django_db
def test_inputs_are_typed_and_shards_split_customers_without_overlap():
    call_command("seed_demo", customers=40, seed=2, as_of=AS_OF, stdout=StringIO())
    whole = loaders.inputs_load()
    assert whole.visits["opened_on"].dtype.kind == "M"
    assert whole.complaints["opened_at"].dt.tz is None
    assert whole.visits["amount"].dtype == np.float64 and whole.visits["amount"].sum() > 0
    assert whole.odometer["customer_id"].dtype == np.int64
    parts = [loaders.inputs_load(shard, 3) for shard in range(3)]
    ids = [set(p.customers["customer_id"]) for p in parts]
    assert set().union(*ids) == set(whole.customers["customer_id"])
    assert sum(len(i) for i in ids) == len(whole.customers)
    for table in ("visits", "odometer", "surveys", "purchases", "value_events"):
        assert sum(len(getattr(p, table)) for p in parts) == len(getattr(whole, table)), table
        for part, own in zip(parts, ids, strict=True):
            assert set(getattr(part, table)["customer_id"]) <= own, table


@pytest.mark.django_db
def test_only_reached_win_back_contacts_are_read_in_local_time():
    from contacts.models import ContactOutcome, ContactType
    from tests.factories import ContactLogFactory

    customer = CustomerFactory()
    # 23:30 UTC on the 1st is 07:30 on the 2nd in Beijing.
    at = dt.datetime(2026, 5, 1, 23, 30, tzinfo=dt.UTC)
    ContactLogFactory(
        customer=customer,
        contacted_at=at,
        contact_type=ContactType.WIN_BACK,
        outcome=ContactOutcome.REACHED,
    )
    ContactLogFactory(
        customer=customer, contact_type=ContactType.WIN_BACK, outcome=ContactOutcome.NO_ANSWER
    )
    ContactLogFactory(customer=customer, outcome=ContactOutcome.REACHED)
    contacts = loaders.inputs_load().win_back_contacts
    assert contacts["customer_id"].tolist() == [customer.pk]
    assert contacts["contacted_at"].iloc[0] == pd.Timestamp("2026-05-02 07:30")
