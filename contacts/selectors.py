"""Reads of contacts: surveys, complaints and the contact log as a user may see them, and the
"last touch" facts of customers across contacts and spending (R3.6)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery, Sum

from contacts.filters import ComplaintFilter, ContactLogFilter, SurveyFilter
from contacts.models import Complaint, ContactLog, SatisfactionSurvey
from customers.filters import filter_apply
from customers.models import Customer, visible_customers_q
from vehicles.models import ServiceOrder, ServiceOrderLine


def survey_list(*, user: Any, filters: Mapping) -> QuerySet[SatisfactionSurvey]:
    """Surveys of the customers ``user`` may see, matching ``filters`` (:class:`SurveyFilter`),
    with customer and service order joined. Raises ``ValidationError`` for an invalid value."""
    queryset = SatisfactionSurvey.objects.filter(visible_customers_q(user, "customer"))
    return filter_apply(SurveyFilter, filters, queryset).select_related("customer", "service_order")


def complaint_list(*, user: Any, filters: Mapping) -> QuerySet[Complaint]:
    """Complaints of the visible customers, matching ``filters`` (:class:`ComplaintFilter`),
    with customer and service order joined. Raises ``ValidationError`` for an invalid value."""
    queryset = Complaint.objects.filter(visible_customers_q(user, "customer"))
    return filter_apply(ComplaintFilter, filters, queryset).select_related(
        "customer", "service_order"
    )


def contact_log_list(*, user: Any, filters: Mapping) -> QuerySet[ContactLog]:
    """Contact log entries of the visible customers, matching ``filters``
    (:class:`ContactLogFilter`), with the customer joined. Raises ``ValidationError`` for an
    invalid value."""
    queryset = ContactLog.objects.filter(visible_customers_q(user, "customer"))
    return filter_apply(ContactLogFilter, filters, queryset).select_related("customer")


#: Names of the annotations :func:`customers_with_last_touch` adds.
LAST_TOUCH_FIELDS = (
    "last_contact_at",
    "last_contact_channel",
    "last_contact_type",
    "last_contact_feedback",
    "last_spend_on",
    "last_spend_order_id",
    "last_spend_amount",
    "last_spend_category",
    "last_survey_on",
    "last_survey_overall",
)


def customers_with_last_touch(queryset: QuerySet[Customer] | None = None) -> QuerySet[Customer]:
    """Annotate each customer with the last contact, last spend and last survey (R3.6).

    Everything is computed by correlated subqueries in the one customer query, so a list of
    customers costs one query whatever its length. The last spend is the latest service order
    (by date, then id); its amount is the sum of its lines and its category that of its
    largest line.
    """
    queryset = Customer.objects.all() if queryset is None else queryset
    contact = ContactLog.objects.filter(customer_id=OuterRef("pk")).order_by("-contacted_at", "-id")
    order = ServiceOrder.objects.filter(customer_id=OuterRef("pk")).order_by("-opened_on", "-id")
    survey = SatisfactionSurvey.objects.filter(customer_id=OuterRef("pk")).order_by(
        "-surveyed_on", "-id"
    )
    order_lines = ServiceOrderLine.objects.filter(order_id=OuterRef("last_spend_order_id"))
    return queryset.annotate(
        last_contact_at=Subquery(contact.values("contacted_at")[:1]),
        last_contact_channel=Subquery(contact.values("channel")[:1]),
        last_contact_type=Subquery(contact.values("contact_type")[:1]),
        last_contact_feedback=Subquery(contact.values("feedback")[:1]),
        last_spend_on=Subquery(order.values("opened_on")[:1]),
        last_spend_order_id=Subquery(order.values("id")[:1]),
        last_survey_on=Subquery(survey.values("surveyed_on")[:1]),
        last_survey_overall=Subquery(survey.values("overall")[:1]),
    ).annotate(
        last_spend_amount=Subquery(
            order_lines.values("order_id").annotate(total=Sum("amount")).values("total")[:1]
        ),
        last_spend_category=Subquery(
            order_lines.order_by("-amount", "line_no").values("category")[:1]
        ),
    )


def customer_last_touch(customer_id: int) -> dict[str, object]:
    """The last-touch facts of one customer as a dict keyed by :data:`LAST_TOUCH_FIELDS`."""
    row = customers_with_last_touch(Customer.objects.filter(pk=customer_id)).values(
        *LAST_TOUCH_FIELDS
    )
    return row.get()
