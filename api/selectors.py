"""The API's readable resources: each names the app's selector that reads it and the app's
FilterSet that the schema documents. The reads themselves (record scoping through
``Customer.objects.visible_to``, filters, joins) live in the apps' ``selectors.py``; they raise
Django's ``ValidationError``, which :mod:`api.exceptions` answers with a 400.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.http import Http404
from django_filters import FilterSet

from contacts.filters import ComplaintFilter, ContactLogFilter, SurveyFilter
from contacts.models import Complaint, ContactLog, SatisfactionSurvey
from contacts.selectors import complaint_list, contact_log_list, survey_list
from customers.filters import CustomerFilter, ValueEventFilter
from customers.models import Customer, ValueEvent
from customers.selectors import customer_list, value_event_list
from vehicles.filters import (
    OdometerReadingFilter,
    PurchaseFilter,
    ServiceOrderFilter,
    VehicleFilter,
)
from vehicles.models import OdometerReading, Purchase, ServiceOrder, Vehicle
from vehicles.selectors import (
    odometer_reading_list,
    purchase_list,
    service_order_list,
    vehicle_list,
)
from winback.filters import TaskFilter
from winback.models import Task
from winback.selectors import task_list


@dataclass(frozen=True)
class ReadResource:
    """A readable resource: its model, the app selector that lists it for a user (scoped,
    filtered, joined) and the FilterSet that selector applies."""

    name: str
    model: type[models.Model]
    selector: Callable[..., QuerySet]
    filterset: type[FilterSet]


READ_RESOURCES: dict[str, ReadResource] = {
    r.name: r
    for r in (
        ReadResource("customers", Customer, customer_list, CustomerFilter),
        ReadResource("vehicles", Vehicle, vehicle_list, VehicleFilter),
        ReadResource("purchases", Purchase, purchase_list, PurchaseFilter),
        ReadResource(
            "odometer-readings", OdometerReading, odometer_reading_list, OdometerReadingFilter
        ),
        ReadResource("service-orders", ServiceOrder, service_order_list, ServiceOrderFilter),
        ReadResource("surveys", SatisfactionSurvey, survey_list, SurveyFilter),
        ReadResource("complaints", Complaint, complaint_list, ComplaintFilter),
        ReadResource("contact-logs", ContactLog, contact_log_list, ContactLogFilter),
        ReadResource("value-events", ValueEvent, value_event_list, ValueEventFilter),
        ReadResource("tasks", Task, task_list, TaskFilter),
    )
}


def record_get(*, resource: ReadResource, user: Any, pk: int) -> models.Model:
    """One visible row; 404 for rows that do not exist *or* that the user may not see, so an
    advisor cannot tell another advisor's customer ids from unused ones."""
    row = resource.selector(user=user, filters={}).filter(pk=pk).first()
    if row is None:
        raise Http404
    return row
