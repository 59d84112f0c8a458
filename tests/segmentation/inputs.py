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


def demo_inputs(customers: int, as_of, *, seed: int = 1) -> ScoringInputs:
    """The demo dealership's customers, cars and service orders from the demo generator, in
    memory (no database): the dealership-scale data the fits are checked on."""
    from demo import chunk_context, generator

    staff = chunk_context.Staff(advisor_ids=(1, 2, 3), marketing_ids=(4,))
    frames = generator.generate_chunk(
        first_customer_id=1,
        count=customers,
        seed=seed,
        chunk_no=0,
        as_of=as_of,
        staff=staff,
        ids=chunk_context.IdCursor(),
    )
    orders = frames["vehicles_serviceorder"].rename(columns={"id": "order_id"})
    lines = frames["vehicles_serviceorderline"]
    amount = lines.groupby("order_id")["amount"].sum().astype(float)
    visits = orders[["order_id", "customer_id", "opened_on"]].assign(
        amount=amount.reindex(orders["order_id"]).fillna(0.0).to_numpy()
    )
    purchases = frames["vehicles_purchase"][["customer_id", "purchased_on", "price_paid"]]
    empty = make_inputs([])
    return ScoringInputs(
        customers=frames["customers_customer"][["id"]].rename(columns={"id": "customer_id"}),
        purchases=purchases.assign(price_paid=purchases["price_paid"].astype(float)),
        visits=visits,
        odometer=empty.odometer,
        surveys=empty.surveys,
        complaints=empty.complaints,
        value_events=empty.value_events,
    )
