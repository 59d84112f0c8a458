"""Admin for the catalogue, vehicles, purchases, odometer readings and service orders."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from customers.admin import SYNC_READONLY, CustomerScopedAdminMixin
from vehicles.models import (
    Brand,
    OdometerReading,
    Purchase,
    ServiceOrder,
    ServiceOrderLine,
    Vehicle,
    VehicleModel,
)


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ("name", "name_en")
    search_fields = ("name", "name_en")
    readonly_fields = SYNC_READONLY


@admin.register(VehicleModel)
class VehicleModelAdmin(admin.ModelAdmin):
    list_display = ("name", "brand", "body_type", "price_tier", "list_price")
    list_filter = ("price_tier", "brand", "body_type")
    search_fields = ("name", "brand__name")
    list_select_related = ("brand",)
    readonly_fields = SYNC_READONLY


class OdometerReadingInline(admin.TabularInline):
    model = OdometerReading
    extra = 1
    fields = ("read_on", "km", "reading_source", "is_meter_replacement", "service_order")
    raw_id_fields = ("service_order",)


@admin.register(Vehicle)
class VehicleAdmin(CustomerScopedAdminMixin, admin.ModelAdmin):
    customer_path = "owner"
    list_display = ("vin", "plate", "model", "model_year", "owner")
    list_filter = ("model__price_tier", "model__brand")
    search_fields = ("=vin", "plate", "=external_id")
    list_select_related = ("model__brand", "owner")
    autocomplete_fields = ("owner",)
    raw_id_fields = ()
    readonly_fields = SYNC_READONLY
    show_full_result_count = False
    inlines = (OdometerReadingInline,)


@admin.register(Purchase)
class PurchaseAdmin(CustomerScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "purchased_on",
        "customer",
        "vehicle",
        "price_paid",
        "condition",
        "payment_method",
        "funding_source",
    )
    list_filter = ("condition", "payment_method", "funding_source", "vehicle__model__price_tier")
    search_fields = ("=external_id", "customer__name", "=customer__mobile", "=vehicle__vin")
    list_select_related = ("customer", "vehicle__model__brand")
    autocomplete_fields = ("customer", "vehicle", "trade_in_vehicle")
    readonly_fields = SYNC_READONLY
    date_hierarchy = "purchased_on"
    show_full_result_count = False


class ServiceOrderLineInline(admin.TabularInline):
    model = ServiceOrderLine
    extra = 0
    fields = ("line_no", "category", "description", "amount", "necessity")


@admin.register(ServiceOrder)
class ServiceOrderAdmin(CustomerScopedAdminMixin, admin.ModelAdmin):
    list_display = ("opened_on", "external_id", "customer", "vehicle", "odometer_km", "total")
    list_filter = ("opened_on",)
    search_fields = ("=external_id", "customer__name", "=customer__mobile", "=vehicle__vin")
    list_select_related = ("customer", "vehicle__model__brand")
    autocomplete_fields = ("customer", "vehicle")
    readonly_fields = SYNC_READONLY
    date_hierarchy = "opened_on"
    show_full_result_count = False
    inlines = (ServiceOrderLineInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).with_total()

    @admin.display(description=_("total"), ordering="total")
    def total(self, obj: ServiceOrder) -> Any:
        return obj.total


@admin.register(ServiceOrderLine)
class ServiceOrderLineAdmin(CustomerScopedAdminMixin, admin.ModelAdmin):
    customer_path = "order__customer"
    list_display = ("order", "line_no", "category", "amount", "necessity")
    list_filter = ("category", "necessity")
    search_fields = ("=order__external_id",)
    list_select_related = ("order",)
    raw_id_fields = ("order",)
    show_full_result_count = False


@admin.register(OdometerReading)
class OdometerReadingAdmin(CustomerScopedAdminMixin, admin.ModelAdmin):
    customer_path = "vehicle__owner"
    list_display = ("vehicle", "read_on", "km", "reading_source", "is_meter_replacement")
    list_filter = ("reading_source", "is_meter_replacement", "read_on")
    search_fields = ("=vehicle__vin", "vehicle__plate")
    list_select_related = ("vehicle__model__brand",)
    autocomplete_fields = ("vehicle",)
    raw_id_fields = ("service_order",)
    readonly_fields = SYNC_READONLY
    date_hierarchy = "read_on"
    show_full_result_count = False
