"""Admin for what is known about customers; the customer 360° page is in dealercrm/admin.py,
which may import every app.

Every admin of a customer-owned model mixes in :class:`CustomerScopedAdminMixin`, so a sales
advisor sees only rows of their own customers; the scoping itself is
``Customer.objects.visible_to`` (through :func:`customers.models.visible_customers_q`).
New profile observations are recorded through ``customers.services.profile_observation_create``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from customers.models import (
    ChannelOptOut,
    ContactPreference,
    Customer,
    ProfileObservation,
    ValueEvent,
    visible_customers_q,
)
from customers.services import profile_observation_create

SYNC_FIELDSET = (
    _("Sync"),
    {"classes": ("collapse",), "fields": ("source", "external_id", "created_at", "updated_at")},
)
SYNC_READONLY = ("source", "external_id", "created_at", "updated_at")


class CustomerScopedAdminMixin:
    """Limit an admin to rows of customers the user may see (R7.1).

    ``customer_path`` is the lookup from the model to its customer.
    """

    customer_path = "customer"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        return queryset.filter(visible_customers_q(request.user, self.customer_path))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Customer:
            kwargs["queryset"] = Customer.objects.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReadOnlyInline(admin.TabularInline):
    """A history list on the customer page: DMS-held rows are shown, not edited here."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ContactPreferenceInline(admin.StackedInline):
    model = ContactPreference
    extra = 0
    fields = (
        "preferred_channels",
        "disliked_channels",
        "preferred_days",
        "time_windows",
        "do_not_contact",
        "note",
    )


class ChannelOptOutInline(admin.TabularInline):
    model = ChannelOptOut
    extra = 0
    fields = ("channel", "reason", "opted_out_on")


class ProfileObservationInline(admin.TabularInline):
    model = ProfileObservation
    extra = 0
    fields = ("attribute", "value", "observed_on", "observation_source", "note", "observed_by")
    readonly_fields = ("observed_by",)
    ordering = ("attribute", "-observed_on")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("observed_by")


class ValueEventInline(admin.TabularInline):
    model = ValueEvent
    fk_name = "customer"
    extra = 0
    fields = ("layer", "occurred_on", "description", "referred_customer")
    raw_id_fields = ("referred_customer",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("referred_customer")


@admin.register(ProfileObservation)
class ProfileObservationAdmin(CustomerScopedAdminMixin, admin.ModelAdmin):
    list_display = ("customer", "attribute", "value", "observed_on", "observation_source")
    list_filter = ("attribute", "observation_source", "observed_on")
    search_fields = ("customer__name", "=customer__mobile")
    list_select_related = ("customer",)
    autocomplete_fields = ("customer",)
    readonly_fields = SYNC_READONLY
    date_hierarchy = "observed_on"

    def save_model(self, request, obj, form, change) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        # The admin's message, log entry and redirect name the new row.
        obj.pk = profile_observation_create_from(obj, by=obj.observed_by or request.user).pk


def profile_observation_create_from(obj: ProfileObservation, *, by: Any) -> ProfileObservation:
    """Record the new observation an admin form or inline filled in, through the service."""
    return profile_observation_create(
        customer=obj.customer,
        by=by,
        attribute=obj.attribute,
        value=obj.value,
        observed_on=obj.observed_on,
        observation_source=obj.observation_source,
        note=obj.note,
    )


@admin.register(ContactPreference)
class ContactPreferenceAdmin(CustomerScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "customer",
        "preferred_channels",
        "disliked_channels",
        "preferred_days",
        "do_not_contact",
    )
    list_filter = ("preferred_days", "do_not_contact")
    search_fields = ("customer__name", "=customer__mobile")
    list_select_related = ("customer",)
    autocomplete_fields = ("customer",)
    readonly_fields = SYNC_READONLY


@admin.register(ChannelOptOut)
class ChannelOptOutAdmin(CustomerScopedAdminMixin, admin.ModelAdmin):
    list_display = ("customer", "channel", "reason", "opted_out_on")
    list_filter = ("channel", "opted_out_on")
    search_fields = ("customer__name", "=customer__mobile")
    list_select_related = ("customer",)
    autocomplete_fields = ("customer",)
    readonly_fields = SYNC_READONLY


@admin.register(ValueEvent)
class ValueEventAdmin(CustomerScopedAdminMixin, admin.ModelAdmin):
    list_display = ("customer", "layer", "occurred_on", "description", "referred_customer")
    list_filter = ("layer", "occurred_on")
    search_fields = ("customer__name", "=customer__mobile", "description")
    list_select_related = ("customer", "referred_customer")
    autocomplete_fields = ("customer", "referred_customer")
    readonly_fields = SYNC_READONLY
    date_hierarchy = "occurred_on"
