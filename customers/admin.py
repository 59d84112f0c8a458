"""Admin for what is known about customers; the customer 360° page is in reports/admin.py,
which may import every app.

Every admin of a customer-owned model mixes in :class:`CustomerScopedAdminMixin`, so a sales
advisor sees only rows of their own customers; the scoping itself is
``Customer.objects.visible_to`` (through :func:`customers.models.visible_customers_q`).
The customer admin mixes in :class:`CustomerProtectedAdminMixin`: contact data masked by the one
policy of :mod:`customers.masking` (revealed one field at a time, logged), and the assignment
fields left to managers.
New profile observations are recorded through ``customers.services.profile_observation_create``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role, user_roles
from customers.masking import CONTACT_FIELDS, mask_value, may_reveal, sees_full_contact_data
from customers.models import (
    ChannelOptOut,
    ContactPreference,
    Customer,
    ProfileObservation,
    ValueEvent,
    visible_customers_q,
)
from customers.services import customer_contact_reveal, profile_observation_create

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


#: Who looks after a customer: changed only by managers (in bulk, through the leaver service).
ASSIGNMENT_FIELDS = ("sales_advisor", "service_owner")


def may_assign_customers(user: Any) -> bool:
    """True for managers and superusers, who may change who looks after a customer."""
    return bool(user.is_superuser or Role.MANAGER in user_roles(user))


def _masked(field: str) -> str:
    return f"{field}_masked"


class CustomerProtectedAdminMixin:
    """The customer admin under the personal data policy (R7.2).

    - Contact fields (:data:`~customers.masking.CONTACT_FIELDS`) are shown masked, in the change
      list and on the change form, to everyone but the DMS client; on the form they are
      read-only (so saving never writes the masked text back) with a link to reveal one field,
      which asks first and logs the reveal (:func:`customers.services.customer_contact_reveal`).
      A new customer's form is empty, so its fields stay editable.
    - The assignment fields are read-only for everyone but managers and superusers, so an
      advisor cannot hand a customer to someone else by posting the form.
    """

    def get_urls(self) -> list:
        opts = self.model._meta
        return [
            path(
                "<path:object_id>/reveal/<str:field>/",
                self.admin_site.admin_view(self.reveal_view),
                name=f"{opts.app_label}_{opts.model_name}_reveal",
            ),
            *super().get_urls(),
        ]

    def get_list_display(self, request: HttpRequest) -> Any:
        names = super().get_list_display(request)
        if sees_full_contact_data(request.user):
            return names
        return tuple(_masked(name) if name in CONTACT_FIELDS else name for name in names)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or sees_full_contact_data(request.user):
            return fieldsets
        return [
            (name, {**options, "fields": _masked_names(options["fields"])})
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not sees_full_contact_data(request.user):
            fields += [_masked(field) for field in CONTACT_FIELDS]
        if not may_assign_customers(request.user):
            fields += ASSIGNMENT_FIELDS
        return fields

    def reveal_view(self, request: HttpRequest, object_id: str, field: str) -> HttpResponse:
        """GET: ask whether to show one contact field in full; POST: show it, logged."""
        if field not in CONTACT_FIELDS:
            raise Http404
        customer = self.get_object(request, object_id)
        if customer is None:
            raise Http404
        if not may_reveal(request.user):
            raise PermissionDenied
        value = None
        if request.method == "POST":
            value = customer_contact_reveal(user=request.user, customer=customer, field=field)
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "opts": opts,
            "original": customer,
            "title": _("Show contact data"),
            "field_label": opts.get_field(field).verbose_name,
            "masked": mask_value(field, getattr(customer, field)),
            "value": value,
            "change_url": reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change", args=[customer.pk]
            ),
        }
        return TemplateResponse(request, "admin/customers/customer/reveal.html", context)

    @admin.display(description=_("mobile"))
    def mobile_masked(self, obj: Customer) -> str:
        return self._masked_with_link(obj, "mobile")

    @admin.display(description=_("other phone"))
    def phone_alt_masked(self, obj: Customer) -> str:
        return self._masked_with_link(obj, "phone_alt")

    @admin.display(description=_("WeChat / IM id"))
    def wechat_id_masked(self, obj: Customer) -> str:
        return self._masked_with_link(obj, "wechat_id")

    @admin.display(description=_("e-mail"))
    def email_masked(self, obj: Customer) -> str:
        return self._masked_with_link(obj, "email")

    @admin.display(description=_("address"))
    def address_masked(self, obj: Customer) -> str:
        return self._masked_with_link(obj, "address")

    def _masked_with_link(self, obj: Customer, field: str) -> str:
        masked = mask_value(field, getattr(obj, field))
        if not masked:
            return "—"
        opts = self.model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_reveal", args=[obj.pk, field])
        return format_html(
            '<span class="masked-contact">{}<a class="reveal" href="{}">{}</a></span>',
            masked,
            url,
            _("Show"),
        )


def _masked_names(fields: Any) -> tuple:
    """A fieldset's field names with the contact fields swapped for their masked display."""
    swapped = []
    for name in fields:
        if isinstance(name, list | tuple):
            swapped.append(_masked_names(name))
        else:
            swapped.append(_masked(name) if name in CONTACT_FIELDS else name)
    return tuple(swapped)


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
