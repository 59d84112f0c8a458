"""Reads of the API: every list and detail goes through the record scoping of
``Customer.objects.visible_to`` (advisors see their own customers' records, the other roles
all) and a django-filter FilterSet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django_filters import FilterSet
from rest_framework.exceptions import ValidationError

from api import filters
from contacts.models import Complaint, ContactLog, SatisfactionSurvey
from customers.models import Customer, ProfileObservation, ValueEvent, visible_customers_q
from segmentation.models import CustomerScore, RunKind, ScoringRun
from vehicles.models import OdometerReading, Purchase, ServiceOrder, Vehicle


@dataclass(frozen=True)
class ReadResource:
    """A readable resource: its model, how it reaches a customer, its filters and joins."""

    name: str
    model: type[models.Model]
    customer_path: str | None  # None: the model is Customer itself
    filterset: type[FilterSet]
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[Any, ...] = field(default_factory=tuple)


READ_RESOURCES: dict[str, ReadResource] = {
    r.name: r
    for r in (
        ReadResource(
            "customers",
            Customer,
            None,
            filters.CustomerFilter,
            select_related=("contact_preference", "sales_advisor", "service_owner"),
            prefetch_related=(
                models.Prefetch(
                    "profile_observations",
                    queryset=ProfileObservation.objects.order_by("attribute", "observed_on", "id"),
                ),
            ),
        ),
        ReadResource(
            "vehicles",
            Vehicle,
            "owner",
            filters.VehicleFilter,
            select_related=("model__brand", "owner"),
        ),
        ReadResource(
            "purchases",
            Purchase,
            "customer",
            filters.PurchaseFilter,
            select_related=("customer", "vehicle", "trade_in_vehicle"),
        ),
        ReadResource(
            "odometer-readings",
            OdometerReading,
            "vehicle__owner",
            filters.OdometerReadingFilter,
            select_related=("vehicle", "service_order"),
        ),
        ReadResource(
            "service-orders",
            ServiceOrder,
            "customer",
            filters.ServiceOrderFilter,
            select_related=("customer", "vehicle"),
            prefetch_related=("lines",),
        ),
        ReadResource(
            "surveys",
            SatisfactionSurvey,
            "customer",
            filters.SurveyFilter,
            select_related=("customer", "service_order"),
        ),
        ReadResource(
            "complaints",
            Complaint,
            "customer",
            filters.ComplaintFilter,
            select_related=("customer", "service_order"),
        ),
        ReadResource(
            "contact-logs",
            ContactLog,
            "customer",
            filters.ContactLogFilter,
            select_related=("customer",),
        ),
        ReadResource(
            "value-events",
            ValueEvent,
            "customer",
            filters.ValueEventFilter,
            select_related=("customer", "referred_customer"),
        ),
    )
}


def records_visible(*, resource: ReadResource, user: Any) -> QuerySet:
    """The resource's rows ``user`` may see (R7.1), via ``Customer.objects.visible_to``."""
    if resource.customer_path is None:
        return Customer.objects.visible_to(user)
    return resource.model._default_manager.filter(visible_customers_q(user, resource.customer_path))


def _filtered(filterset_class: type[FilterSet], params: Mapping, queryset: QuerySet) -> QuerySet:
    filterset = filterset_class(params, queryset=queryset)
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    return filterset.qs


def record_list(*, resource: ReadResource, user: Any, params: Mapping) -> QuerySet:
    """Visible rows of the resource matching the filters in ``params``, with their joins."""
    queryset = _filtered(resource.filterset, params, records_visible(resource=resource, user=user))
    return queryset.select_related(*resource.select_related).prefetch_related(
        *resource.prefetch_related
    )


def record_get(*, resource: ReadResource, user: Any, pk: int) -> models.Model:
    """One visible row; 404 for rows that do not exist *or* that the user may not see, so an
    advisor cannot tell another advisor's customer ids from unused ones."""
    queryset = records_visible(resource=resource, user=user)
    queryset = queryset.select_related(*resource.select_related).prefetch_related(
        *resource.prefetch_related
    )
    row = queryset.filter(pk=pk).first()
    if row is None:
        raise Http404
    return row


def scoring_run_for(month: str | None) -> ScoringRun | None:
    """The current monthly run of ``month`` (YYYY-MM), or of the latest month scored."""
    runs = ScoringRun.objects.current().filter(kind=RunKind.MONTHLY)
    if month is None:
        return runs.order_by("-month").first()
    try:
        month = filters.MONTH_FORM_FIELD.clean(month)
        first = dt.date(int(month[:4]), int(month[5:7]), 1)
    except Exception:  # noqa: BLE001 - any bad month is the client's error
        raise ValidationError({"month": [_("Give the month as YYYY-MM.")]}) from None
    return runs.filter(month=first).first()


def score_list(*, user: Any, params: Mapping) -> QuerySet:
    """Scores of the visible customers in the chosen month's current monthly run."""
    run = scoring_run_for(params.get("month"))
    queryset = (
        CustomerScore.objects.none() if run is None else CustomerScore.objects.filter(run=run)
    )
    queryset = queryset.filter(visible_customers_q(user, "customer"))
    return _filtered(filters.ScoreFilter, params, queryset).select_related("run", "customer")


def scoring_run_list(*, params: Mapping) -> QuerySet:
    """The current scoring runs, newest month first."""
    return ScoringRun.objects.current().order_by("-month", "kind")
