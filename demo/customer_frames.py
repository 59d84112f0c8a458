"""The customer tables of a generated chunk: customers with their staff and character,
non-spending value events, contact preferences with opt-outs, and dated profile observations.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd

from demo import catalogue
from demo.chunk_context import IdCursor, Staff, dates_before, frame_stamp

_CHANNELS = np.array(["phone", "sms", "email", "post", "wechat", "visit_office", "visit_home"])
_TIME_WINDOWS = ["morning", "noon", "working_hours", "afternoon", "evening"]
_INCOME_BANDS = ["low", "lower_middle", "middle", "upper_middle", "high"]
_TIER_INCOME = {"economy": 1, "mid": 2, "upper_mid": 2, "premium": 3, "luxury": 4}


def customers_generate(
    rng: np.random.Generator, first_id: int, n: int, as_of: dt.date, staff: Staff, now: pd.Timestamp
) -> pd.DataFrame:
    """``n`` customers with ids from ``first_id``: names, a mobile unique to the id, region,
    their advisor and marketing owner, character and driving experience."""
    ids = np.arange(first_id, first_id + n, dtype=np.int64)
    surname = rng.choice(catalogue.SURNAMES, n)
    given1 = rng.choice(catalogue.GIVEN_NAME_CHARS, n)
    given2 = np.where(rng.random(n) < 0.7, rng.choice(catalogue.GIVEN_NAME_CHARS, n), "")
    prefixes = np.array(catalogue.MOBILE_PREFIXES)
    # An odd multiplier coprime with 10^8 makes the 8-digit suffix a bijection of the id.
    suffix = (ids * 48_271 + 12_345_679) % 100_000_000
    mobile = [f"{p}{s:08d}" for p, s in zip(prefixes[ids % len(prefixes)], suffix, strict=True)]
    region_idx = rng.integers(0, len(catalogue.REGIONS), n)
    regions = np.array([r[0] for r in catalogue.REGIONS])[region_idx]
    liked_count = rng.choice([0, 0, 1, 2], n)
    liked = [
        json.dumps(list(rng.choice(catalogue.LIKED_BRANDS, k, replace=False)), ensure_ascii=False)
        for k in liked_count
    ]
    experience = rng.choice(
        ["first_car", "some", "experienced", "unknown"], n, p=[0.35, 0.35, 0.2, 0.1]
    )
    owned = np.where(
        experience == "first_car",
        0,
        np.where(experience == "some", rng.integers(1, 3, n), rng.integers(3, 8, n)),
    )
    frame = pd.DataFrame(
        {
            "id": ids,
            "name": np.char.add(np.char.add(surname, given1), given2),
            "mobile": mobile,
            "phone_alt": "",
            "wechat_id": [
                f"wx_{i:x}" if w else "" for i, w in zip(ids, rng.random(n) < 0.6, strict=True)
            ],
            "email": [
                f"c{i}@example.cn" if e else ""
                for i, e in zip(ids, rng.random(n) < 0.3, strict=True)
            ],
            "address": np.char.add(
                regions,
                "某区某路" + pd.Series(rng.integers(1, 999, n)).astype(str).to_numpy() + "号",
            ),
            "region": regions,
            "gender": rng.choice(["male", "female", "unknown"], n, p=[0.62, 0.35, 0.03]),
            "birth_year": rng.integers(1958, min(2001, as_of.year - 18), n),
            "sales_advisor_id": np.array(staff.advisor_ids)[
                rng.integers(0, len(staff.advisor_ids), n)
            ],
            "service_owner_id": np.array(staff.marketing_ids)[
                rng.integers(0, len(staff.marketing_ids), n)
            ],
            "character": rng.choice(
                ["thrifty", "car_lover", "easy_going", "unknown"], n, p=[0.35, 0.2, 0.3, 0.15]
            ),
            "buying_habits": "",
            "liked_brands": liked,
            "driving_experience": experience,
            "cars_owned_before": np.where(experience == "unknown", None, owned),
            "notes": "",
        }
    )
    return frame_stamp(frame, now, "dms", [f"C{i:08d}" for i in ids])


def value_events_generate(
    rng: np.random.Generator, cid: np.ndarray, as_of: dt.date, ids: IdCursor, now: pd.Timestamp
) -> pd.DataFrame:
    """Non-spending value (R3.5): a few customers are very engaged, most not at all."""
    engagement = rng.gamma(0.4, 1.5, len(cid))
    count = rng.poisson(engagement)
    rows = np.repeat(np.arange(len(cid)), count)
    n = len(rows)
    layers = np.array(list(catalogue.VALUE_EVENT_TEXTS))
    layer = rng.choice(layers, n, p=[0.08, 0.22, 0.1, 0.3, 0.2, 0.1])
    customer = cid[rows]
    # Referred friends are customers already written (this chunk or an earlier one).
    last_id = int(cid.max())
    referred = rng.integers(1, last_id + 1, n)
    referred = np.where(referred == customer, referred % last_id + 1, referred)
    frame = pd.DataFrame(
        {
            "id": ids.take("customers_valueevent", n),
            "customer_id": customer,
            "layer": layer,
            "occurred_on": dates_before(rng.integers(1, 4 * 365, n), as_of),
            "description": [catalogue.VALUE_EVENT_TEXTS[x] for x in layer],
            "referred_customer_id": np.where(layer == "referral", referred, None),
        }
    )
    return frame_stamp(frame, now)


def preferences_generate(
    rng: np.random.Generator, cid: np.ndarray, as_of: dt.date, ids: IdCursor, now: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ordered preferred channels, disliked ones never among them, and a few opt-outs."""
    has = rng.random(len(cid)) < 0.7
    n = int(has.sum())
    order = np.argsort(rng.random((n, len(_CHANNELS))), axis=1)
    n_pref = rng.integers(1, 4, n)
    n_dislike = rng.choice([0, 0, 1, 2], n)
    preferred = [json.dumps(list(_CHANNELS[o[:p]])) for o, p in zip(order, n_pref, strict=True)]
    disliked_lists = [
        list(_CHANNELS[o[p : p + d]]) for o, p, d in zip(order, n_pref, n_dislike, strict=True)
    ]
    windows = [
        json.dumps(
            sorted(rng.choice(_TIME_WINDOWS, k, replace=False).tolist(), key=_TIME_WINDOWS.index)
        )
        for k in rng.integers(0, 3, n)
    ]
    prefs = pd.DataFrame(
        {
            "id": ids.take("customers_contactpreference", n),
            "customer_id": cid[has],
            "preferred_channels": preferred,
            "disliked_channels": [json.dumps(d) for d in disliked_lists],
            "preferred_days": rng.choice(["any", "weekday", "weekend"], n, p=[0.5, 0.2, 0.3]),
            "time_windows": windows,
            "do_not_contact": rng.random(n) < 0.01,
            "note": "",
        }
    )
    # A third of those who dislike a channel have formally opted out of it.
    opt_rows = [(c, d[0]) for c, d in zip(cid[has], disliked_lists, strict=True) if d]
    opt_rows = [
        r for r, keep in zip(opt_rows, rng.random(len(opt_rows)) < 0.33, strict=True) if keep
    ]
    opt_outs = pd.DataFrame(opt_rows, columns=["customer_id", "channel"])
    opt_outs.insert(0, "id", ids.take("customers_channeloptout", len(opt_outs)))
    opt_outs["reason"] = "客户明确表示不希望通过该渠道联系"
    opt_outs["opted_out_on"] = dates_before(rng.integers(1, 2 * 365, len(opt_outs)), as_of)
    return frame_stamp(prefs, now), frame_stamp(opt_outs, now)


def profile_observations_generate(
    rng: np.random.Generator,
    purchases: pd.DataFrame,
    staff: Staff,
    as_of: dt.date,
    ids: IdCursor,
    now: pd.Timestamp,
) -> pd.DataFrame:
    """Income, family, job and upkeep payer at the first purchase, then 0-3 dated changes."""
    first = purchases.drop_duplicates("customer_id")
    n = len(first)
    cust = first["customer_id"].to_numpy()
    bought = first["purchased_on"].to_numpy().astype("datetime64[D]")
    tier_income = np.array([_TIER_INCOME[t] for t in first["price_tier"]])
    funding = first["funding_source"].to_numpy()
    # Judged from the price paid then and where the money came from (000: 经济状况).
    income = np.clip(
        tier_income + rng.integers(-1, 2, n) - (funding == "family") - (funding == "loan_needed"),
        0,
        4,
    )
    family = rng.choice(["single", "married", "family"], n, p=[0.35, 0.25, 0.4])
    job = rng.choice(
        ["employee", "civil_servant", "business_owner", "self_employed", "retired"],
        n,
        p=[0.55, 0.1, 0.15, 0.15, 0.05],
    )
    payer = np.where(
        funding == "employer", "employer", np.where(funding == "family", "family", "self")
    )
    base = [
        ("income_band", np.array(_INCOME_BANDS)[income]),
        ("family_status", family),
        ("job_status", job),
        ("upkeep_payer", payer),
    ]
    frames = [
        pd.DataFrame(
            {
                "customer_id": cust,
                "attribute": attr,
                "value": values,
                "observed_on": bought,
                "observation_source": "purchase",
            }
        )
        for attr, values in base
    ]
    days_owned = (np.datetime64(as_of, "D") - bought).astype(int)
    # Income moves a step up or down once or twice over the years.
    for step in (1, 2):
        moves = (rng.random(n) < 0.45 / step) & (days_owned > 400 * step)
        delta = rng.choice([-1, 1, 1], n)
        income = np.clip(income + np.where(moves, delta, 0), 0, 4)
        when = bought + (days_owned * (0.35 * step + rng.uniform(0, 0.25, n))).astype(
            "timedelta64[D]"
        )
        frames.append(
            pd.DataFrame(
                {
                    "customer_id": cust[moves],
                    "attribute": "income_band",
                    "value": np.array(_INCOME_BANDS)[income][moves],
                    "observed_on": when[moves],
                    "observation_source": rng.choice(["survey", "call", "visit"], moves.sum()),
                }
            )
        )
    # Family life moves forward: single -> married -> family.
    nxt = {"single": "married", "married": "family"}
    moves = np.isin(family, list(nxt)) & (rng.random(n) < 0.4) & (days_owned > 365)
    frames.append(
        pd.DataFrame(
            {
                "customer_id": cust[moves],
                "attribute": "family_status",
                "value": [nxt[f] for f in family[moves]],
                "observed_on": bought[moves]
                + (days_owned[moves] * rng.uniform(0.3, 0.95, moves.sum())).astype(
                    "timedelta64[D]"
                ),
                "observation_source": "call",
            }
        )
    )
    obs = pd.concat(frames, ignore_index=True).sort_values(
        ["customer_id", "observed_on"], kind="stable"
    )
    obs["observed_on"] = np.minimum(obs["observed_on"].to_numpy(), np.datetime64(as_of, "D"))
    obs.insert(0, "id", ids.take("customers_profileobservation", len(obs)))
    obs["observed_by_id"] = None
    obs["note"] = ""
    return frame_stamp(obs.reset_index(drop=True), now)
