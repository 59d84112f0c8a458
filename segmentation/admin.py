"""Admin for scoring runs, per-customer results with their components, and the settings.

The results list opens on the latest month's current run (one run's scores, read through the
index that leads with the run) and offers the other scored months; codes are shown as their
labels and numbers rounded, money in yuan.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.access import has_role
from accounts.roles import Role
from core.formatting import money, num
from customers.admin import CustomerScopedAdminMixin
from segmentation.backtest_report import backtest_context
from segmentation.models import (
    CustomerScore,
    RfmSegment,
    RunKind,
    RunStatus,
    ScoringConfiguration,
    ScoringRun,
)
from segmentation.services import ScoringRunAlive, scoring_month_missing, scoring_run_release
from segmentation.summaries import (
    NONE,
    age_tier_label,
    band_label,
    nine_cell_codes,
    nine_cell_label,
)


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
        "forecast_flagged",
        "results",
    )
    list_filter = ("kind", "status", "is_current", "forecast_flagged")
    date_hierarchy = "month"
    actions = ("release",)
    readonly_fields = ("backtest_report",)
    fields = (
        "month",
        "as_of",
        "kind",
        "status",
        "is_current",
        "started_at",
        "finished_at",
        "forecast_flagged",
        "backtest_report",
        "timings",
        "counts",
        "settings",
        "model",
        "error",
    )

    @admin.display(description=_("forecast backtest"))
    def backtest_report(self, run: ScoringRun) -> str:
        """The run's backtest as tables: the model in use, the candidates, tiers, deciles."""
        report = run.model.get("backtest") or {}
        return render_to_string(
            "admin/segmentation/backtest.html", backtest_context(report, run.as_of)
        )

    def has_release_permission(self, request: HttpRequest) -> bool:
        """Releasing a stuck run is a manager's call (superusers too)."""
        return has_role(request.user, [Role.MANAGER])

    @admin.action(description=_("Release the stuck run (mark it failed)"), permissions=["release"])
    def release(self, request: HttpRequest, queryset: QuerySet) -> None:
        """Mark the selected runs that are stuck ``running`` failed, so the month may be scored
        again; logged in the admin history and the application log."""
        for run in queryset.filter(status=RunStatus.RUNNING):
            try:
                released = scoring_run_release(
                    month=run.month, kind=run.kind, by=f"{request.user} (admin)"
                )
            except ScoringRunAlive as error:
                self.message_user(request, str(error), messages.ERROR)
                continue
            if released:
                self.log_change(request, run, gettext("Released the stuck run."))
                self.message_user(
                    request,
                    gettext("Released the %(month)s run: the month may be scored again.")
                    % {"month": f"{run.month:%Y-%m}"},
                    messages.SUCCESS,
                )

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        """Warn on the run list when the month that just ended has not been scored."""
        missing = scoring_month_missing(timezone.localdate()) if request.method == "GET" else None
        if missing is not None:
            self.message_user(
                request,
                gettext(
                    "%(month)s has not been scored: run “manage.py score_month --month %(month)s”."
                )
                % {"month": f"{missing:%Y-%m}"},
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("customers"))
    def customers(self, run: ScoringRun) -> Any:
        return run.counts.get("customers")

    @admin.display(description=_("seconds"))
    def seconds(self, run: ScoringRun) -> Any:
        total = run.timings.get("total")
        return None if total is None else round(total, 1)

    @admin.display(description=_("results"))
    def results(self, run: ScoringRun) -> str:
        """A link to the run's customer results (only a current run's are kept)."""
        if not run.is_current:
            return "—"
        url = reverse("admin:segmentation_customerscore_changelist")
        return format_html('<a href="{}?run={}">{}</a>', url, run.pk, gettext("Customer results"))


def _default_run(request: HttpRequest) -> ScoringRun | None:
    """The run the results list opens on: the latest month's current monthly run (the
    month's official results), else the latest current run of any kind; once per request."""
    if not hasattr(request, "_scores_default_run"):
        current = ScoringRun.objects.current()
        request._scores_default_run = (
            current.filter(kind=RunKind.MONTHLY).order_by("-month").first()
            or current.order_by("-month", "-started_at").first()
        )
    return request._scores_default_run


def run_label(run: ScoringRun) -> str:
    """``2026-06 · Monthly scoring``; a warning run adds its day."""
    label = f"{run.month:%Y-%m} · {run.get_kind_display()}"
    return label if run.kind == RunKind.MONTHLY else f"{label} ({run.as_of:%Y-%m-%d})"


class ScoredMonthFilter(admin.SimpleListFilter):
    """The scored months, one choice per current run; none chosen means the latest month's
    run, and "All current runs" lists every month's results together."""

    title = _("scored month")
    parameter_name = "run"
    ALL = "all"

    def __init__(self, request: HttpRequest, params: Any, model: Any, model_admin: Any) -> None:
        self.default = _default_run(request)
        super().__init__(request, params, model, model_admin)

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        runs = ScoringRun.objects.current().order_by("-month", "kind")
        return [(str(run.pk), run_label(run)) for run in runs]

    def value(self) -> str | None:
        chosen = super().value()
        if chosen:
            return chosen
        return str(self.default.pk) if self.default else None

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        chosen = self.value()
        if chosen == self.ALL or chosen is None:
            return queryset
        if not chosen.isdigit():
            return queryset.none()
        return queryset.filter(run_id=int(chosen))

    def choices(self, changelist: Any) -> Iterator[dict[str, Any]]:
        chosen = self.value()
        yield {
            "selected": chosen == self.ALL,
            "query_string": changelist.get_query_string({self.parameter_name: self.ALL}),
            "display": _("All current runs"),
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": chosen == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class NineCellFilter(admin.SimpleListFilter):
    """The nine cells by their labels (the run's age tiers), and "no nine cell"."""

    title = _("9-cell")
    parameter_name = "nine_cell"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        run = _default_run(request)
        codes = nine_cell_codes(run) if run else []
        return [(code, nine_cell_label(code)) for code in codes] + [(NONE, nine_cell_label(None))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        chosen = self.value()
        if not chosen:
            return queryset
        if chosen == NONE:
            return queryset.filter(nine_cell__isnull=True)
        return queryset.filter(nine_cell=chosen)


def _tier(code: str | None) -> str:
    if not code:
        return "—"
    if code.startswith("<"):
        return gettext("under %(years)s years") % {"years": code[1:]}
    return age_tier_label(code)


def _rounded(digits: int) -> Callable[[Any], str]:
    def show(value: Any) -> str:
        return "—" if value is None else num(value, digits)

    return show


def _money(value: Any) -> str:
    return "—" if value is None else money(value)


def _shown(field: str, show: Callable[[Any], str]) -> Callable[[Any, CustomerScore], str]:
    """An admin column or read-only field showing ``field`` formatted for people."""

    def display(model_admin: Any, score: CustomerScore) -> str:
        return show(getattr(score, field))

    display.short_description = CustomerScore._meta.get_field(field).verbose_name
    display.admin_order_field = field
    return display


@admin.register(CustomerScore)
class CustomerScoreAdmin(CustomerScopedAdminMixin, ReadOnlyAdmin):
    list_display = (
        "customer",
        "run",
        "status",
        "churn_score_shown",
        "rfm_segment",
        "nine_cell_shown",
        "low_mileage",
        "value_tier",
        "future_value_shown",
    )
    list_filter = (
        ScoredMonthFilter,
        "status",
        "rfm_segment",
        "value_tier",
        NineCellFilter,
        "low_mileage",
    )
    search_fields = ("customer__name", "=customer__mobile")
    list_select_related = ("customer", "run")
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).in_results()

    monetary_shown = _shown("monetary", _money)
    expected_spend_per_visit_shown = _shown("expected_spend_per_visit", _money)
    expected_spend_shown = _shown("expected_spend", _money)
    future_value_shown = _shown("future_value", _money)
    previous_future_value_shown = _shown("previous_future_value", _money)
    future_value_change_shown = _shown("future_value_change", _money)
    churn_score_shown = _shown("churn_score", _rounded(2))
    churn_overdue_shown = _shown("churn_overdue", _rounded(2))
    churn_not_alive_shown = _shown("churn_not_alive", _rounded(2))
    churn_falling_frequency_shown = _shown("churn_falling_frequency", _rounded(2))
    churn_unresolved_complaints_shown = _shown("churn_unresolved_complaints", _rounded(2))
    churn_falling_satisfaction_shown = _shown("churn_falling_satisfaction", _rounded(2))
    churn_no_engagement_shown = _shown("churn_no_engagement", _rounded(2))
    p_alive_shown = _shown("p_alive", _rounded(2))
    overdue_ratio_shown = _shown("overdue_ratio", _rounded(2))
    expected_visits_shown = _shown("expected_visits", _rounded(2))
    value_layer_score_shown = _shown("value_layer_score", _rounded(2))
    vehicle_age_years_shown = _shown("vehicle_age_years", _rounded(1))
    satisfaction_shown = _shown("satisfaction", _rounded(1))
    recency_days_shown = _shown("recency_days", _rounded(0))
    visit_interval_days_shown = _shown("visit_interval_days", _rounded(0))
    est_annual_km_shown = _shown("est_annual_km", _rounded(0))
    est_current_km_shown = _shown("est_current_km", _rounded(0))

    @admin.display(description=_("9-cell"), ordering="nine_cell")
    def nine_cell_shown(self, score: CustomerScore) -> str:
        return nine_cell_label(score.nine_cell)

    @admin.display(description=_("age tier"), ordering="age_tier")
    def age_tier_shown(self, score: CustomerScore) -> str:
        return _tier(score.age_tier)

    @admin.display(description=_("satisfaction band"), ordering="satisfaction_band")
    def satisfaction_band_shown(self, score: CustomerScore) -> str:
        return band_label(score.satisfaction_band)

    @admin.display(description=_("previous RFM segment"))
    def previous_rfm_segment_shown(self, score: CustomerScore) -> str:
        code = score.previous_rfm_segment
        if not code:
            return "—"
        return str(RfmSegment(code).label) if code in RfmSegment.values else code

    fieldsets = (
        (None, {"fields": ("customer", "run", "status", "churn_score_shown")}),
        (
            _("Why this status: churn indicators (0-1, weighted)"),
            {
                "fields": (
                    ("churn_overdue_shown", "overdue_ratio_shown", "visit_interval_days_shown"),
                    ("churn_not_alive_shown", "p_alive_shown"),
                    "churn_falling_frequency_shown",
                    ("churn_unresolved_complaints_shown", "unresolved_complaints"),
                    "churn_falling_satisfaction_shown",
                    "churn_no_engagement_shown",
                )
            },
        ),
        (
            _("RFM"),
            {
                "fields": (
                    ("recency_days_shown", "frequency", "monetary_shown"),
                    ("r_score", "f_score", "m_score"),
                    "rfm_segment",
                )
            },
        ),
        (
            _("9 cells and mileage"),
            {
                "fields": (
                    ("vehicle_age_years_shown", "age_tier_shown"),
                    ("satisfaction_shown", "satisfaction_band_shown", "satisfaction_known"),
                    "nine_cell_shown",
                    ("est_annual_km_shown", "est_current_km_shown", "low_mileage"),
                )
            },
        ),
        (
            _("Future value and growth"),
            {
                "fields": (
                    (
                        "expected_visits_shown",
                        "expected_spend_per_visit_shown",
                        "expected_spend_shown",
                    ),
                    ("value_layer_score_shown", "future_value_shown", "value_tier"),
                    (
                        "previous_future_value_shown",
                        "future_value_change_shown",
                        "previous_rfm_segment_shown",
                    ),
                )
            },
        ),
    )
    readonly_fields = tuple(
        name
        for block in fieldsets
        for line in block[1]["fields"]
        for name in (line if isinstance(line, tuple) else (line,))
        if name.endswith("_shown")
    )
