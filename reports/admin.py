"""The customer admin: the back office's 360° page of a customer, with the records of every
app below this one (vehicles, purchases, service orders, contacts, surveys, complaints)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from contacts.admin import contact_log_create_from
from contacts.models import Complaint, ContactLog, SatisfactionSurvey
from contacts.selectors import customers_with_last_touch
from customers.admin import (
    SYNC_FIELDSET,
    SYNC_READONLY,
    ChannelOptOutInline,
    ContactPreferenceInline,
    CustomerProtectedAdminMixin,
    ProfileObservationInline,
    ReadOnlyInline,
    ValueEventInline,
    profile_observation_create_from,
)
from customers.models import Customer, ProfileObservation
from vehicles.models import OdometerReading, Purchase, ServiceOrder, Vehicle


class VehicleInline(ReadOnlyInline):
    model = Vehicle
    fk_name = "owner"
    fields = ("vin", "plate", "model", "model_year", "color")
    readonly_fields = fields
    verbose_name_plural = _("vehicles owned")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("model__brand")


class PurchaseInline(ReadOnlyInline):
    model = Purchase
    fk_name = "customer"
    fields = (
        "purchased_on",
        "vehicle",
        "price_paid",
        "condition",
        "payment_method",
        "funding_source",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("vehicle__model__brand")


class ServiceOrderInline(ReadOnlyInline):
    model = ServiceOrder
    fields = ("opened_on", "external_id", "vehicle", "odometer_km", "total", "discretionary_total")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).with_total().select_related("vehicle__model__brand")

    @admin.display(description=_("total"))
    def total(self, obj: ServiceOrder) -> Any:
        return obj.total

    @admin.display(description=_("discretionary"))
    def discretionary_total(self, obj: ServiceOrder) -> Any:
        return obj.discretionary_total


class ContactLogInline(admin.TabularInline):
    model = ContactLog
    extra = 1
    fields = (
        "contacted_at",
        "channel",
        "contact_type",
        "outcome",
        "feedback",
        "next_step",
        "next_step_due",
        "staff",
    )
    readonly_fields = ("staff",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("staff")


class SurveyInline(ReadOnlyInline):
    model = SatisfactionSurvey
    fields = ("surveyed_on", "overall", "repair_quality", "price", "speed", "reception_attitude")
    readonly_fields = fields


class ComplaintInline(ReadOnlyInline):
    model = Complaint
    fields = ("opened_at", "category", "status", "promised_response_by", "customer_accepted")
    readonly_fields = fields


@admin.register(Customer)
class CustomerAdmin(CustomerProtectedAdminMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "mobile",
        "region",
        "sales_advisor",
        "character",
        "last_spend_on",
        "last_contact_at",
        "last_survey_overall",
    )
    list_filter = (
        "region",
        "gender",
        "character",
        "driving_experience",
        ("sales_advisor", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("name", "=mobile", "=external_id", "=wechat_id")
    list_select_related = ("sales_advisor", "service_owner")
    autocomplete_fields = ("sales_advisor", "service_owner")
    show_full_result_count = False
    readonly_fields = (*SYNC_READONLY, "last_touch", "odometer_history")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    ("name", "gender", "birth_year"),
                    ("mobile", "phone_alt", "wechat_id", "email"),
                    ("region", "address"),
                    ("sales_advisor", "service_owner"),
                )
            },
        ),
        (_("Last touch"), {"fields": ("last_touch",)}),
        (
            _("Character and buying habits"),
            {
                "fields": (
                    "character",
                    "buying_habits",
                    "liked_brands",
                    ("driving_experience", "cars_owned_before"),
                    "notes",
                )
            },
        ),
        (_("Mileage"), {"fields": ("odometer_history",)}),
        SYNC_FIELDSET,
    )
    inlines = (
        ContactPreferenceInline,
        ChannelOptOutInline,
        ProfileObservationInline,
        VehicleInline,
        PurchaseInline,
        ServiceOrderInline,
        ContactLogInline,
        SurveyInline,
        ComplaintInline,
        ValueEventInline,
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return customers_with_last_touch(Customer.objects.visible_to(request.user))

    def save_formset(self, request, form, formset, change) -> None:
        # New contacts and observations are recorded by their services, by the user saving.
        for obj in formset.save(commit=False):
            if obj.pk is None and isinstance(obj, ContactLog):
                obj.pk = contact_log_create_from(obj, by=request.user).pk
                continue
            if obj.pk is None and isinstance(obj, ProfileObservation):
                obj.pk = profile_observation_create_from(obj, by=request.user).pk
                continue
            # An edited row that names nobody yet gets the editing user, as a new one would.
            if isinstance(obj, ContactLog) and obj.staff_id is None:
                obj.staff = request.user
            if isinstance(obj, ProfileObservation) and obj.observed_by_id is None:
                obj.observed_by = request.user
            obj.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()

    @admin.display(description=_("last spend"), ordering="last_spend_on")
    def last_spend_on(self, obj: Customer) -> Any:
        return obj.last_spend_on

    @admin.display(description=_("last contact"), ordering="last_contact_at")
    def last_contact_at(self, obj: Customer) -> Any:
        return obj.last_contact_at

    @admin.display(description=_("last survey score"))
    def last_survey_overall(self, obj: Customer) -> Any:
        return obj.last_survey_overall

    @admin.display(description=_("last contact, spend and survey"))
    def last_touch(self, obj: Customer) -> str:
        if obj.pk is None:
            return "—"
        rows = [
            (
                _("Last contact"),
                obj.last_contact_at,
                obj.last_contact_channel,
                obj.last_contact_type,
                obj.last_contact_feedback,
            ),
            (
                _("Last spend"),
                obj.last_spend_on,
                obj.last_spend_amount,
                obj.last_spend_category,
                "",
            ),
            (_("Last survey"), obj.last_survey_on, obj.last_survey_overall, "", ""),
        ]
        return format_html(
            "<table>{}</table>",
            format_html_join(
                "",
                "<tr><th>{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (label, *(v if v not in (None, "") else "—" for v in values))
                    for label, *values in rows
                ),
            ),
        )

    @admin.display(description=_("odometer readings"))
    def odometer_history(self, obj: Customer) -> str:
        if obj.pk is None:
            return "—"
        readings = (
            OdometerReading.objects.filter(vehicle__owner=obj)
            .select_related("vehicle")
            .order_by("vehicle_id", "-read_on")[:50]
        )
        return format_html(
            "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>{}</table>",
            _("vehicle"),
            _("date"),
            _("odometer (km)"),
            _("where it was read"),
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (
                        r.vehicle.plate or r.vehicle.vin,
                        r.read_on,
                        f"{r.km:,}",
                        r.get_reading_source_display(),
                    )
                    for r in readings
                ),
            ),
        )
