"""The scored-customer list of the customer pages (R3.6) and its export rows.

:func:`customer_page` reads one keyset page of a month's scored customers through
``segmentation.selectors.score_list`` (scoped by ``visible_to``), ordered by customer id inside
the run, the order of the scores' only index ``(run, customer)``: a page reads its rows in index
order and never counts or sorts the run. :func:`customer_export_rows` reads the same list as
plain values for the Excel export.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.roles import sees_all_customers
from customers.filters import month_clean
from customers.masking import contact_display
from customers.models import Customer
from customers.validators import normalize_mobile
from reports.customer_labels import STATUS_BADGES, advisor_name, value_tier_label
from segmentation.models import CustomerScore, RfmSegment, ScoringRun, Status
from segmentation.selectors import score_list, scoring_run_current
from segmentation.summaries import nine_cell_label

#: Rows of a list page.
PAGE_SIZE = 50
#: Customer ids a list page looks through at most (see :func:`customer_page`).
SCAN_WINDOW = 50_000
_MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class CustomerRow:
    """One row of the customer list, contact data masked."""

    score: CustomerScore
    mobile: str
    advisor: str
    nine_cell: str
    value_tier: str
    badge: str


@dataclass(frozen=True)
class CustomerPage:
    """One keyset page: its rows, the run read, and the cursor of the next page (None on the
    last page)."""

    rows: list[CustomerRow]
    run: ScoringRun | None
    next_after: int | None
    #: The page holds ``size`` rows (else the scan window ended first, or the list did).
    full: bool = False


def _search_clean(value: str) -> str:
    mobile = normalize_mobile(value)
    if not (len(mobile) == 11 and mobile.isdigit()):
        raise ValidationError({"q": [_("Enter the customer's full 11-digit mobile number.")]})
    return mobile


def _after_clean(value: str | None) -> int | None:
    if value in (None, ""):
        return None
    try:
        after = int(value)
    except ValueError:
        after = -1
    if after < 0 or after >= _MAX_ID:
        raise ValidationError({"after": [_("This page link is not valid.")]})
    return after


def customer_scores(*, user: Any, filters: Mapping) -> Any:
    """The scores the list and its export show: ``score_list``'s filters plus ``q``, a full
    mobile number (served by the customers' mobile index), in customer order with the
    customer and advisor joined. Raises ``ValidationError`` for a bad filter value."""
    # The customer is not joined: PostgreSQL would merge-join the whole customer table in id
    # order instead of looking up one page of customers (callers join or fetch them).
    queryset = score_list(user=user, filters=filters).select_related(None).select_related("run")
    query = (filters.get("q") or "").strip()
    if query:
        queryset = queryset.filter(customer__mobile=_search_clean(query))
    return queryset.order_by("customer_id")


def customer_rows(scores: Any, user: Any) -> list[CustomerRow]:
    """List rows of ``scores`` as ``user`` may see them (contact data masked)."""
    return [
        CustomerRow(
            score=score,
            mobile=contact_display(score.customer, user)["mobile"] or "—",
            advisor=advisor_name(score.customer.sales_advisor),
            nine_cell=nine_cell_label(score.nine_cell),
            value_tier=value_tier_label(score.value_tier),
            badge=STATUS_BADGES.get(score.status, ""),
        )
        for score in scores
    ]


def customer_page(*, user: Any, filters: Mapping, size: int = PAGE_SIZE) -> CustomerPage:
    """The page of scored customers after the cursor ``filters["after"]`` (a customer id):
    ``size`` rows plus one read to know whether a next page exists, never a count.

    A page looks at most :data:`SCAN_WINDOW` customer ids past the cursor, so a filter that
    matches few customers costs a bounded read too: when the window ends before the page is
    full, the page shows what it found and the next page starts after the window.

    Raises ``ValidationError`` for a bad filter value or cursor.
    """
    after = _after_clean(filters.get("after")) or 0
    if scoring_run_current(month_clean(filters.get("month"))) is None:
        return CustomerPage(rows=[], run=None, next_after=None)
    window_end = min(after + SCAN_WINDOW, _MAX_ID)
    queryset = customer_scores(user=user, filters=filters).filter(
        customer_id__gt=after, customer_id__lte=window_end
    )
    if not sees_all_customers(user):
        # PostgreSQL does not carry the window over to the subquery of the user's own
        # customers: bounded here, it reads the window's customers, not all of them.
        window = Customer.objects.visible_to(user).filter(pk__gt=after, pk__lte=window_end)
        queryset = queryset.filter(customer_id__in=window.values("pk"))
    scores = list(queryset[: size + 1])
    if len(scores) > size:
        scores = scores[:size]
        next_after: int | None = scores[-1].customer_id
    elif Customer.objects.filter(pk__gt=window_end).exists():
        next_after = window_end
    else:
        next_after = None
    customers = Customer.objects.select_related("sales_advisor").in_bulk(
        [score.customer_id for score in scores]
    )
    for score in scores:
        score.customer = customers[score.customer_id]
    return CustomerPage(
        rows=customer_rows(scores, user),
        run=scores[0].run if scores else None,
        next_after=next_after,
        full=len(scores) == size,
    )


@dataclass(frozen=True)
class CustomerExport:
    """The rows of a list export (contact data masked) and whether the cap cut the list."""

    run: ScoringRun | None
    rows: list[tuple]
    capped: bool


class _ContactRow:
    """The one contact field an export row carries, shaped for ``contact_display``."""

    __slots__ = ("mobile",)

    def __init__(self, mobile: str) -> None:
        self.mobile = mobile


def customer_export_rows(*, user: Any, filters: Mapping, limit: int) -> CustomerExport:
    """At most ``limit`` rows of the list as the export writes them (labels, masked mobile),
    read as plain values: (customer id, name, mobile, advisor, 9-cell, RFM segment, status,
    churn score, future value, value tier, days since last visit).

    Raises ``ValidationError`` for a bad filter value.
    """
    values = list(
        customer_scores(user=user, filters=filters).values_list(
            "customer_id",
            "customer__name",
            "customer__mobile",
            "customer__sales_advisor__first_name",
            "customer__sales_advisor__last_name",
            "customer__sales_advisor__username",
            "nine_cell",
            "rfm_segment",
            "status",
            "churn_score",
            "future_value",
            "value_tier",
            "recency_days",
        )[: limit + 1]
    )
    statuses, segments = dict(Status.choices), dict(RfmSegment.choices)
    cells: dict[str | None, str] = {}
    tiers: dict[int | None, str] = {}
    rows = []
    for (
        customer_id,
        name,
        mobile,
        first_name,
        last_name,
        username,
        nine_cell,
        rfm_segment,
        status,
        churn_score,
        future_value,
        value_tier,
        recency_days,
    ) in values[:limit]:
        if nine_cell not in cells:
            cells[nine_cell] = nine_cell_label(nine_cell)
        if value_tier not in tiers:
            tiers[value_tier] = value_tier_label(value_tier)
        advisor = f"{first_name} {last_name}".strip() or username or "—"
        rows.append(
            (
                customer_id,
                name,
                contact_display(_ContactRow(mobile), user)["mobile"],
                advisor,
                cells[nine_cell],
                str(segments.get(rfm_segment, rfm_segment)),
                str(statuses.get(status, status)),
                churn_score,
                future_value,
                tiers[value_tier],
                recency_days,
            )
        )
    run = scoring_run_current(month_clean(filters.get("month")))
    return CustomerExport(run=run, rows=rows, capped=len(values) > limit)
