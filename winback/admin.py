"""Back office of the follow-up work: rules, plans, offers and limits managers edit; rounds,
targets and tasks to inspect; leads and intents; a leaver's handover (R5, R7.2).

Every change of a task, lead or intent goes through its service (history and state together);
the generated rows themselves are read-only here.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from customers.admin import CustomerScopedAdminMixin
from vehicles.admin import ServiceOrderAdmin
from vehicles.models import ServiceOrder
from winback.alerts import service_lane_alerts_create
from winback.handover import advisor_leave, handover_check
from winback.leads import lead_close, lead_open, purchase_intent_record
from winback.models import (
    Campaign,
    ContactPlan,
    ContactPlanStep,
    GenerationRule,
    Lead,
    LeadStatus,
    Offer,
    PurchaseIntent,
    Reassignment,
    ReportingLine,
    Round,
    SkipReason,
    Target,
    Task,
    TaskKind,
    WinbackConfiguration,
)
from winback.planning import SKIP_CAUSES
from winback.presentation import SKIP_CAUSE_LABELS
from winback.services import task_skip


class ContactPlanStepInline(admin.TabularInline):
    model = ContactPlanStep
    extra = 0
    max_num = 3
    fields = ("number", "channel", "days_after_previous", "open_days", "script")


@admin.register(ContactPlan)
class ContactPlanAdmin(admin.ModelAdmin):
    list_display = ("name", "steps_count")
    inlines = (ContactPlanStepInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("steps")

    @admin.display(description=_("steps"))
    def steps_count(self, plan: ContactPlan) -> int:
        return len(plan.steps.all())


@admin.register(GenerationRule)
class GenerationRuleAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "kind",
        "trigger",
        "run_kind",
        "assign_to",
        "plan",
        "measure_uplift",
        "position",
        "is_active",
    )
    list_editable = ("position", "is_active")
    list_filter = ("kind", "trigger", "is_active")
    list_select_related = ("plan",)
    fieldsets = (
        (None, {"fields": ("name", "is_active", "position", "kind", "run_kind", "plan")}),
        (
            _("Who"),
            {
                "fields": (
                    ("trigger", "trigger_days"),
                    "statuses",
                    "value_tiers",
                    "nine_cells",
                    "rfm_segments",
                    "min_churn_score",
                    ("indicator", "indicator_min"),
                    "exclude_low_mileage",
                )
            },
        ),
        (
            _("How"),
            {"fields": ("assign_to", "priority_weight", "measure_uplift", "cooldown_days")},
        ),
    )


@admin.register(WinbackConfiguration)
class WinbackConfigurationAdmin(admin.ModelAdmin):
    list_display = ("name", "is_active", "updated_at")


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "kind",
        "price",
        "spend_type",
        "min_annual_spend",
        "max_annual_spend",
        "is_active",
    )
    list_filter = ("kind", "spend_type", "is_active")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows a round or a service writes; shown, never edited by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    """Campaigns are drafted and decided on their staff pages (``/campaigns/``), through the
    services; the back office only shows them."""

    list_display = ("name", "status", "starts_on", "ends_on", "owner", "approved_by")
    list_filter = ("status", "kind")
    list_select_related = ("owner", "approved_by")
    search_fields = ("name",)


@admin.register(Round)
class RoundAdmin(ReadOnlyAdmin):
    list_display = ("run", "starts_on", "created", "control", "skipped", "seconds_shown")
    list_select_related = ("run",)
    fields = ("run", "starts_on", "generated_at", "seconds_shown", "report_table")
    readonly_fields = fields
    date_hierarchy = "starts_on"

    @admin.display(description=_("tasks created"))
    def created(self, round_: Round) -> int:
        return round_.report.get("created", 0)

    @admin.display(description=_("control group"))
    def control(self, round_: Round) -> int:
        return round_.report.get("control", 0)

    @admin.display(description=_("skipped"))
    def skipped(self, round_: Round) -> int:
        return sum(round_.report.get("skipped", {}).values())

    @admin.display(description=_("seconds"))
    def seconds_shown(self, round_: Round) -> str:
        total = round_.timings.get("total")
        return "—" if total is None else f"{total:.1f}"

    @admin.display(description=_("report"))
    def report_table(self, round_: Round) -> str:
        rules = {r.pk: r.name for r in GenerationRule.objects.all()}
        kinds = dict(TaskKind.choices)
        header = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th>{}</tr>",
            _("rule"),
            _("kind"),
            _("candidates"),
            _("tasks created"),
            _("control group"),
            format_html_join("", "<th>{}</th>", ((SKIP_CAUSE_LABELS[c],) for c in SKIP_CAUSES)),
        )
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>{}</tr>",
            (
                (
                    rules.get(entry["rule"], "—"),
                    kinds.get(entry["kind"], "—"),
                    f"{entry['candidates']:,}",
                    f"{entry['created']:,}",
                    f"{entry['control']:,}",
                    format_html_join(
                        "",
                        "<td>{}</td>",
                        ((f"{entry['skipped'].get(c, 0):,}",) for c in SKIP_CAUSES),
                    ),
                )
                for entry in round_.report.get("rules", [])
            ),
        )
        return format_html("<table>{}{}</table>", header, rows)


@admin.register(Target)
class TargetAdmin(CustomerScopedAdminMixin, ReadOnlyAdmin):
    list_display = (
        "customer",
        "round",
        "kind",
        "group",
        "plan_status",
        "priority_shown",
        "churn_reason",
        "returned_3m",
        "spend_3m",
    )
    list_filter = ("kind", "group", "plan_status", "churn_reason", "returned_3m")
    list_select_related = ("customer", "round__run")
    search_fields = ("customer__name", "=customer__mobile")
    show_full_result_count = False

    @admin.display(description=_("priority"), ordering="priority")
    def priority_shown(self, target: Target) -> str:
        return f"{target.priority:,.0f}"


def _skip_action(reason: str, label: Any) -> Any:
    def action(modeladmin: TaskAdmin, request: HttpRequest, queryset: QuerySet) -> None:
        skipped = 0
        for task in queryset.open():
            task_skip(task=task, by=request.user, reason=reason)
            skipped += 1
        modeladmin.message_user(
            request,
            ngettext("%(n)d task skipped.", "%(n)d tasks skipped.", skipped) % {"n": skipped},
            messages.SUCCESS,
        )

    action.__name__ = f"skip_{reason}"
    return admin.action(description=label, permissions=("change",))(action)


@admin.register(Task)
class TaskAdmin(CustomerScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "due_at",
        "customer",
        "kind",
        "assignee",
        "channel",
        "window",
        "priority_shown",
        "status",
    )
    list_filter = (
        "status",
        "kind",
        "channel",
        "due_on",
        ("assignee", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("customer", "assignee")
    search_fields = ("customer__name", "=customer__mobile")
    date_hierarchy = "due_on"
    show_full_result_count = False
    actions = [
        _skip_action(SkipReason.CAME_BACK, _("Skip: the customer came back meanwhile")),
        _skip_action(SkipReason.NOT_REACHABLE, _("Skip: no way to reach the customer")),
        _skip_action(SkipReason.REASSIGNED_AWAY, _("Skip: customer moved or sold the car")),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Closing and skipping go through the services (actions, the staff pages, the API).
        return [f.name for f in Task._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("priority"), ordering="priority")
    def priority_shown(self, task: Task) -> str:
        return f"{task.priority:,.0f}"


class LeadForm(forms.ModelForm):
    class Meta:
        model = Lead
        fields = ("customer", "source", "owner", "note")


@admin.register(Lead)
class LeadAdmin(CustomerScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "opened_at",
        "customer",
        "source",
        "owner",
        "status",
        "touches",
        "last_touched_at",
    )
    list_filter = ("status", "source", ("owner", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("customer", "owner")
    autocomplete_fields = ("customer",)
    search_fields = ("customer__name", "=customer__mobile")
    actions = ("close_won", "close_lost")

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = LeadForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Lead._meta.fields] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Lead, form: Any, change: bool) -> None:
        if not change:
            lead = lead_open(
                customer=obj.customer, source=obj.source, owner=obj.owner, note=obj.note
            )
            obj.pk = lead.pk

    def _close(self, request: HttpRequest, queryset: QuerySet, status: str) -> None:
        closed = 0
        for lead in queryset.filter(status=LeadStatus.OPEN):
            lead_close(lead=lead, status=status, by=request.user)
            closed += 1
        self.message_user(
            request,
            ngettext("%(n)d lead closed.", "%(n)d leads closed.", closed) % {"n": closed},
            messages.SUCCESS,
        )

    @admin.action(description=_("Close as bought"), permissions=("change",))
    def close_won(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._close(request, queryset, LeadStatus.WON)

    @admin.action(description=_("Close as lost"), permissions=("change",))
    def close_lost(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._close(request, queryset, LeadStatus.LOST)


@admin.register(PurchaseIntent)
class PurchaseIntentAdmin(CustomerScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "recorded_at",
        "customer",
        "desire_strength",
        "necessity",
        "purchase_window",
        "intended_price",
        "wanted_model",
    )
    list_filter = ("purchase_window", "desire_strength", "necessity")
    list_select_related = ("customer", "wanted_model__brand")
    autocomplete_fields = ("customer",)
    exclude = ("recorded_at", "recorded_by", "contact_log")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in PurchaseIntent._meta.fields] if obj is not None else []

    def save_model(
        self, request: HttpRequest, obj: PurchaseIntent, form: Any, change: bool
    ) -> None:
        if not change:
            intent = purchase_intent_record(
                customer=obj.customer,
                by=request.user,
                desire_strength=obj.desire_strength,
                necessity=obj.necessity,
                purchase_window=obj.purchase_window,
                intended_price=obj.intended_price,
                wanted_brand=obj.wanted_brand,
                wanted_model=obj.wanted_model,
                objections=obj.objections,
                talking_points=obj.talking_points,
            )
            obj.pk = intent.pk


@admin.register(ReportingLine)
class ReportingLineAdmin(admin.ModelAdmin):
    list_display = ("user", "manager")
    autocomplete_fields = ("user", "manager")


class HandoverForm(forms.ModelForm):
    """A leaver and their successors; saving it performs the handover (R7.2)."""

    leaver = forms.ModelChoiceField(
        label=_("leaver"), queryset=get_user_model().objects.filter(is_active=True)
    )
    successors = forms.ModelMultipleChoiceField(
        label=_("successors"),
        queryset=get_user_model().objects.filter(is_active=True),
        help_text=_("The leaver's customers and open work are dealt evenly among them."),
    )

    class Meta:
        model = Reassignment
        fields = ("leaver", "successors")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("leaver") and data.get("successors") is not None:
            handover_check(leaver=data["leaver"], successors=list(data["successors"]))
        return data


@admin.register(Reassignment)
class ReassignmentAdmin(admin.ModelAdmin):
    """A leaver's handover: adding one deactivates the leaver and deals their customers, open
    tasks, leads and complaints over the successors; the log is read-only afterwards."""

    list_display = ("done_at", "leaver", "by", "moved")
    list_select_related = ("leaver", "by")
    form = HandoverForm

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Reassignment, form: Any, change: bool) -> None:
        record = advisor_leave(
            leaver=form.cleaned_data["leaver"],
            successors=list(form.cleaned_data["successors"]),
            by=request.user,
        )
        obj.pk, obj.done_at, obj.counts = record.pk, record.done_at, record.counts

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """The service recorded the successors already."""

    @admin.display(description=_("moved"))
    def moved(self, record: Reassignment) -> str:
        counts = record.counts
        return _("%(customers)s customers, %(tasks)s open tasks, %(leads)s open leads") % {
            "customers": counts.get("customers_as_sales_advisor", 0)
            + counts.get("customers_as_service_owner", 0),
            "tasks": counts.get("open_tasks", 0),
            "leads": counts.get("open_leads", 0),
        }


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    """The user admin, with a leaver's handover one click away (R7.2)."""

    actions = ("hand_over",)

    @admin.action(description=_("Hand over a leaver's customers and work"), permissions=("view",))
    def hand_over(self, request: HttpRequest, queryset: QuerySet) -> HttpResponseRedirect | None:
        """Open the handover form for the one selected user (the service does the work)."""
        if queryset.count() != 1:
            self.message_user(request, _("Select one leaver at a time."), messages.WARNING)
            return None
        url = reverse("admin:winback_reassignment_add")
        return HttpResponseRedirect(f"{url}?leaver={queryset.get().pk}")


class ServiceOrderWithAlertsAdmin(ServiceOrderAdmin):
    """The service-order admin; a new order entered here starts the same service-lane alert as
    one synced from the DMS (the hook lives in win-back, which owns the alerts)."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if not change:
            order = form.instance
            service_lane_alerts_create(orders=[(order.pk, order.opened_on)])


admin.site.unregister(ServiceOrder)
admin.site.register(ServiceOrder, ServiceOrderWithAlertsAdmin)
