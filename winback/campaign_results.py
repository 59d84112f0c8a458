"""How a marketing campaign is doing against its control group (R5.6, R6):
:func:`campaign_progress`, and :func:`campaign_verdict`, whether the work is worth continuing
(also applied by the monthly report to ``winback.outcomes.outcome_summary`` of each rule's kind).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from winback.models import Campaign, PlanStatus, Target, TargetGroup
from winback.outcomes import HORIZONS

#: A verdict needs this many measured targets in each group at one horizon.
MIN_MEASURED_CONTACTED = 30
MIN_MEASURED_CONTROL = 10
#: Contacts must beat the control group's came-back rate by this many percentage points.
MIN_UPLIFT_POINTS = 2.0

CONTINUE, STOP, TOO_EARLY = "continue", "stop", "too_early"
VERDICT_LABELS = {
    CONTINUE: gettext_lazy("Worth continuing"),
    STOP: gettext_lazy("Stop or change it"),
    TOO_EARLY: gettext_lazy("Too early to tell"),
}

_MONEY = DecimalField(max_digits=14, decimal_places=2)


def campaign_progress(campaign: Campaign) -> dict[str, Any]:
    """How a campaign is doing, in one aggregate query over its targets (and one for the
    offer's price unless the campaign was read with ``select_related("offer")``).

    Keys: ``targets`` (all, both groups), ``contacted_group`` and ``control`` (group sizes),
    ``contacted`` (targets with a first contact), ``reached`` (plans that ended answered or
    refused: somebody talked to the customer), ``came_back_1m`` / ``came_back_3m`` (contacted
    targets back within 1 / 3 months, among those measured), ``revenue`` (spend of the
    contacted group at the longest horizon measured so far, ``Decimal``), ``offer_matched``,
    ``offer_cost`` (the offer's price × customers reached, ``Decimal``, None without a priced
    offer), and ``"1m"``, ``"2m"``, ``"3m"``: exactly what
    :func:`winback.outcomes.outcome_summary` gives for the same targets (rates, spend, uplift
    in points), so :func:`campaign_verdict` reads either.
    """
    aggregates: dict[str, Any] = {
        "n": Count("id"),
        "contacted": Count("id", filter=Q(first_contact_at__isnull=False)),
        "reached": Count("id", filter=Q(plan_status__in=[PlanStatus.ANSWERED, PlanStatus.REFUSED])),
        "revenue": Sum(Coalesce("spend_3m", "spend_2m", "spend_1m", output_field=_MONEY)),
        "matched": Count("id", filter=Q(offer_matched=True)),
    }
    for months in HORIZONS:
        returned = f"returned_{months}m"
        aggregates[f"measured_{months}m"] = Count("id", filter=Q(**{f"{returned}__isnull": False}))
        aggregates[f"back_{months}m"] = Count("id", filter=Q(**{returned: True}))
        aggregates[f"spend_{months}m"] = Sum(f"spend_{months}m")
    rows = {
        row["group"]: row
        for row in Target.objects.filter(campaign=campaign)
        .values("group")
        .annotate(**aggregates)
        .order_by()
    }
    empty: dict[str, Any] = dict.fromkeys(aggregates, 0)
    contacted = rows.get(TargetGroup.CONTACTED, empty)
    control = rows.get(TargetGroup.CONTROL, empty)
    price = campaign.offer.price if campaign.offer_id and campaign.offer else None
    progress: dict[str, Any] = {
        "targets": contacted["n"] + control["n"],
        "contacted_group": contacted["n"],
        "control": control["n"],
        "contacted": contacted["contacted"],
        "reached": contacted["reached"],
        "came_back_1m": contacted["back_1m"],
        "came_back_3m": contacted["back_3m"],
        "revenue": contacted["revenue"] or Decimal("0"),
        "offer_matched": contacted["matched"],
        "offer_cost": price * contacted["reached"] if price is not None else None,
    }
    for months in HORIZONS:
        entry: dict[str, float | int | None] = {}
        for group, row in (("contacted", contacted), ("control", control)):
            measured = row[f"measured_{months}m"]
            entry[f"{group}_n"] = measured
            entry[f"{group}_rate"] = row[f"back_{months}m"] / measured if measured else None
            entry[f"{group}_spend"] = float(row[f"spend_{months}m"] or 0)
        rates = entry["contacted_rate"], entry["control_rate"]
        entry["uplift_points"] = (
            100 * (rates[0] - rates[1]) if None not in rates else None  # type: ignore[operator]
        )
        progress[f"{months}m"] = entry
    return progress


def campaign_verdict(summary: Mapping[str, Any]) -> tuple[str, str, str]:
    """Is the work worth continuing? ``(code, label, reason)``, code ``continue``, ``stop`` or
    ``too_early``; label and reason in the reader's language.

    ``summary`` is :func:`campaign_progress`'s result or
    :func:`winback.outcomes.outcome_summary`'s (the ``"1m"``/``"2m"``/``"3m"`` entries; an
    ``offer_cost`` key is optional). The rule:

    1. The horizon judged is the longest of +3, +2, +1 months at which at least
       :data:`MIN_MEASURED_CONTACTED` contacted and :data:`MIN_MEASURED_CONTROL` control targets
       are measured; with none, **too early** (a campaign without a control group stays too
       early: nothing to compare with).
    2. Uplift = contacted minus control came-back rate, in percentage points. Below
       :data:`MIN_UPLIFT_POINTS`: **stop** — the contacts do not bring customers back.
    3. Extra revenue = (contacted spend per target − control spend per target) × contacted
       targets measured. When an offer cost is known and the extra revenue is below it:
       **stop** — the customers come back but do not pay for the offer.
    4. Otherwise **continue**.
    """
    for months in reversed(HORIZONS):
        entry = summary.get(f"{months}m") or {}
        contacted_n = entry.get("contacted_n") or 0
        control_n = entry.get("control_n") or 0
        if contacted_n >= MIN_MEASURED_CONTACTED and control_n >= MIN_MEASURED_CONTROL:
            break
    else:
        entry = summary.get(f"{HORIZONS[0]}m") or {}
        reason = _(
            "%(contacted)s contacted and %(control)s control customers measured after a month; "
            "a verdict needs at least %(min_contacted)s and %(min_control)s."
        ) % {
            "contacted": entry.get("contacted_n") or 0,
            "control": entry.get("control_n") or 0,
            "min_contacted": MIN_MEASURED_CONTACTED,
            "min_control": MIN_MEASURED_CONTROL,
        }
        return TOO_EARLY, str(VERDICT_LABELS[TOO_EARLY]), reason
    uplift = entry.get("uplift_points") or 0.0
    words = {"months": months, "uplift": f"{uplift:+.1f}"}
    if uplift < MIN_UPLIFT_POINTS:
        reason = (
            _(
                "At the %(months)s-month mark the contacted customers came back only %(uplift)s points "
                "more often than the control group."
            )
            % words
        )
        return STOP, str(VERDICT_LABELS[STOP]), reason
    extra = (
        entry["contacted_spend"] / contacted_n - entry["control_spend"] / control_n
    ) * contacted_n
    cost = summary.get("offer_cost")
    words |= {"extra": f"¥{extra:,.0f}", "cost": f"¥{float(cost or 0):,.0f}"}
    if cost is not None and extra < float(cost):
        reason = (
            _(
                "At the %(months)s-month mark: %(uplift)s points more came back, but the extra revenue "
                "(%(extra)s) does not cover the offer's cost (%(cost)s)."
            )
            % words
        )
        return STOP, str(VERDICT_LABELS[STOP]), reason
    reason = (
        _(
            "At the %(months)s-month mark: %(uplift)s points more came back than in the control group, "
            "with %(extra)s extra revenue."
        )
        % words
    )
    return CONTINUE, str(VERDICT_LABELS[CONTINUE]), reason
