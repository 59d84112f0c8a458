"""Admin for scoring runs, per-customer results with their components, and the settings."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from customers.admin import CustomerScopedAdminMixin
from segmentation.models import CustomerScore, ScoringConfiguration, ScoringRun


@admin.register(ScoringConfiguration)
class ScoringConfigurationAdmin(admin.ModelAdmin):
    list_display = ("name", "is_active", "updated_at")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Results are written by runs, never by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ScoringRun)
class ScoringRunAdmin(ReadOnlyAdmin):
    list_display = (
        "month",
        "kind",
        "status",
        "is_current",
        "as_of",
        "customers",
        "seconds",
        "started_at",
    )
    list_filter = ("kind", "status", "is_current")
    date_hierarchy = "month"

    @admin.display(description=_("customers"))
    def customers(self, run: ScoringRun) -> Any:
        return run.counts.get("customers")

    @admin.display(description=_("seconds"))
    def seconds(self, run: ScoringRun) -> Any:
        total = run.timings.get("total")
        return None if total is None else round(total, 1)


@admin.register(CustomerScore)
class CustomerScoreAdmin(CustomerScopedAdminMixin, ReadOnlyAdmin):
    list_display = (
        "customer",
        "run",
        "status",
        "churn_score",
        "rfm_segment",
        "nine_cell",
        "low_mileage",
        "value_tier",
        "future_value",
    )
    list_filter = ("status", "rfm_segment", "value_tier", "nine_cell", "low_mileage", "run__kind")
    search_fields = ("customer__name", "=customer__mobile")
    list_select_related = ("customer", "run")
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).in_results()

    fieldsets = (
        (None, {"fields": ("customer", "run", "status", "churn_score")}),
        (
            _("Why this status: churn indicators (0-1, weighted)"),
            {
                "fields": (
                    ("churn_overdue", "overdue_ratio", "visit_interval_days"),
                    ("churn_not_alive", "p_alive"),
                    "churn_falling_frequency",
                    ("churn_unresolved_complaints", "unresolved_complaints"),
                    "churn_falling_satisfaction",
                    "churn_no_engagement",
                )
            },
        ),
        (
            _("RFM"),
            {
                "fields": (
                    ("recency_days", "frequency", "monetary"),
                    ("r_score", "f_score", "m_score"),
                    "rfm_segment",
                )
            },
        ),
        (
            _("9 cells and mileage"),
            {
                "fields": (
                    ("vehicle_age_years", "age_tier"),
                    ("satisfaction", "satisfaction_band", "satisfaction_known"),
                    "nine_cell",
                    ("est_annual_km", "est_current_km", "low_mileage"),
                )
            },
        ),
        (
            _("Future value and growth"),
            {
                "fields": (
                    ("expected_visits", "expected_spend_per_visit", "expected_spend"),
                    ("value_layer_score", "future_value", "value_tier"),
                    ("previous_future_value", "future_value_change", "previous_rfm_segment"),
                )
            },
        ),
    )
