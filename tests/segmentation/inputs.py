"""Builders of small pipeline inputs for hand-computed cases."""

from __future__ import annotations

import pandas as pd

from segmentation.pipeline import ScoringInputs


def frame(rows: list[dict], columns: list[str], dates: tuple[str, ...] = ()) -> pd.DataFrame:
    data = pd.DataFrame(rows, columns=columns)
    for column in dates:
        data[column] = pd.to_datetime(data[column])
    return data


def make_inputs(
    customers: list[int],
    *,
    purchases: list[dict] = (),
    visits: list[dict] = (),
    odometer: list[dict] = (),
    surveys: list[dict] = (),
    complaints: list[dict] = (),
    events: list[dict] = (),
) -> ScoringInputs:
    """``visits``: dicts of customer_id, opened_on, amount (one per service order)."""
    orders = [{"order_id": i + 1, **v} for i, v in enumerate(visits)]
    return ScoringInputs(
        customers=pd.DataFrame({"customer_id": customers}),
        purchases=frame(
            list(purchases), ["customer_id", "purchased_on", "price_paid"], ("purchased_on",)
        ),
        odometer=frame(
            list(odometer),
            ["customer_id", "vehicle_id", "read_on", "km", "is_meter_replacement"],
            ("read_on",),
        ),
        visits=frame(orders, ["order_id", "customer_id", "opened_on", "amount"], ("opened_on",)),
        surveys=frame(list(surveys), ["customer_id", "surveyed_on", "overall"], ("surveyed_on",)),
        complaints=frame(
            list(complaints), ["customer_id", "opened_at", "is_unresolved"], ("opened_at",)
        ),
        value_events=frame(list(events), ["customer_id", "layer", "occurred_on"], ("occurred_on",)),
    )
