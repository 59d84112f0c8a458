"""Reads across contacts and spending: the "last touch" facts of customers (R3.6)."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery, Sum

from contacts.models import ContactLog, SatisfactionSurvey
from customers.models import Customer
from vehicles.models import ServiceOrder, ServiceOrderLine

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
