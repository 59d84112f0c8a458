"""Countermeasures per churn reason and the package that fits a customer (R5.4, R5.5).

The win-back method asks why a customer drifted away without asking bluntly, then answers each
reason differently on the second contact. For price there is no ad-hoc discount (what would the
customers who paid full price think?) but a package fitted to the customer's spending — its
type (necessary or discretionary), yearly amount and visits a year — that rewards continued
spending rather than one visit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from core.months import add_months
from customers.models import Customer
from vehicles.models import Necessity, ServiceOrderLine
from winback.models import ChurnReason, Offer, SpendType

#: What to do on the next contact, per reason (the seeds' countermeasures).
COUNTERMEASURES: dict[str, str] = {
    ChurnReason.SERVICE_ATTITUDE: _(
        "Apologise for the reception; have the service manager call personally and name one "
        "advisor the customer will deal with from now on."
    ),
    ChurnReason.PUNCTUALITY: _(
        "Offer a fixed appointment slot with a guaranteed start time, or pick-up and return."
    ),
    ChurnReason.QUALITY: _(
        "Offer a free re-inspection by the workshop foreman and explain what was done."
    ),
    ChurnReason.SPEED: _(
        "Offer express maintenance (done within the hour) or a courtesy car for longer jobs."
    ),
    ChurnReason.PRICE: _(
        "No one-off discount: present the package that fits the customer's spending and "
        "explain what it saves over a year."
    ),
    ChurnReason.UNCLEAR_INFORMATION: _(
        "Walk through the last invoice line by line and send a written quote before each job."
    ),
    ChurnReason.REPUTATION: _(
        "Share recent reviews and what changed; invite the customer to see the workshop."
    ),
    ChurnReason.VALUES: _(
        "Listen, record the concern for the management and come back with what was done."
    ),
    ChurnReason.DISTANCE: _(
        "Offer pick-up and delivery, or book the visit when the customer is nearby."
    ),
    ChurnReason.COST_CONSCIOUS: _(
        "Present the basic maintenance plan: only what the car needs, at a known yearly cost."
    ),
    ChurnReason.TOO_FEW_PRODUCTS: _(
        "Show the services the customer does not know yet (detailing, tyres, insurance renewal)."
    ),
    ChurnReason.UNATTRACTIVE_OFFER: _(
        "Offer the package that matches what the customer actually buys, not a generic one."
    ),
    ChurnReason.ONLY_CALLED_WHEN_NEEDED: _(
        "Make the next contact a pure care call with no sales request; invite to owners' events."
    ),
    ChurnReason.CANNED_SCRIPTS: _(
        "Have a senior advisor call, refer to the customer's own history, and skip the script."
    ),
}

#: Reasons answered with a package rather than words alone.
PACKAGE_REASONS = (
    ChurnReason.PRICE,
    ChurnReason.COST_CONSCIOUS,
    ChurnReason.UNATTRACTIVE_OFFER,
    ChurnReason.TOO_FEW_PRODUCTS,
)
#: The window a customer's spending profile is read over.
PROFILE_MONTHS = 24
#: Discretionary share of spending from which a customer counts as a discretionary spender.
DISCRETIONARY_SHARE = 0.3


@dataclass(frozen=True)
class SpendProfile:
    """How a customer spends (R3.4): yearly amount, visits a year, share that is optional."""

    annual_spend: Decimal
    visits_per_year: float
    discretionary_share: float

    @property
    def spend_type(self) -> str:
        if self.discretionary_share >= DISCRETIONARY_SHARE:
            return SpendType.DISCRETIONARY
        return SpendType.NECESSARY


def spend_profile(*, customer: Customer, as_of: dt.date) -> SpendProfile:
    """The customer's spending over the :data:`PROFILE_MONTHS` before ``as_of`` (one query)."""
    since = add_months(as_of, -PROFILE_MONTHS)
    totals = ServiceOrderLine.objects.filter(
        order__customer=customer, order__opened_on__gt=since, order__opened_on__lte=as_of
    ).aggregate(
        total=Sum("amount"),
        optional=Sum("amount", filter=Q(necessity=Necessity.DISCRETIONARY)),
        visits=Count("order_id", distinct=True),
    )
    total = totals["total"] or Decimal("0")
    years = Decimal(PROFILE_MONTHS) / 12
    return SpendProfile(
        annual_spend=(total / years).quantize(Decimal("0.01")),
        visits_per_year=float(totals["visits"]) / float(years),
        discretionary_share=float((totals["optional"] or 0) / total) if total else 0.0,
    )


def offer_fit(offers: list[Offer], profile: SpendProfile, reason: str) -> Offer | None:
    """The active offer that answers ``reason`` and fits the profile: its spend type matches
    (or is any), the yearly spend and visits fall in its range; of several, the one whose
    price is closest to the customer's yearly spend (a package they can picture paying)."""
    fitting = [
        offer
        for offer in offers
        if offer.is_active
        and (not offer.reasons or reason in offer.reasons)
        and offer.spend_type in (SpendType.ANY, profile.spend_type)
        and offer.min_annual_spend <= profile.annual_spend
        and (offer.max_annual_spend is None or profile.annual_spend <= offer.max_annual_spend)
        and offer.min_visits_per_year <= profile.visits_per_year
    ]
    if not fitting:
        return None
    return min(
        fitting,
        key=lambda o: (
            o.spend_type == SpendType.ANY,
            abs((o.price or Decimal("0")) - profile.annual_spend),
            o.pk or 0,
        ),
    )


def offer_suggest(*, customer: Customer, reason: str, as_of: dt.date) -> Offer | None:
    """The package to offer for ``reason`` (None for reasons answered without a package)."""
    if reason not in PACKAGE_REASONS:
        return None
    profile = spend_profile(customer=customer, as_of=as_of)
    return offer_fit(list(Offer.objects.filter(is_active=True)), profile, reason)


def countermeasure(reason: str) -> str:
    """What to do about ``reason`` on the next contact ("" for no reason)."""
    return str(COUNTERMEASURES.get(reason, ""))
