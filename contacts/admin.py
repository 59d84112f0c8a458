"""Admin for the contact log, satisfaction surveys and complaints with their SLA (R3)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from contacts.models import (
    Complaint,
    ComplaintStatusChange,
    ContactLog,
    SatisfactionSurvey,
)
from contacts.services import complaint_escalate
from customers.admin import SYNC_READONLY, CustomerScopedAdminMixin


@admin.register(ContactLog)
class ContactLogAdmin(CustomerScopedAdminMixin, admin.ModelAdmin):
    list_display = ("contacted_at", "customer", "channel", "contact_type", "outcome", "staff")
    list_filter = ("contact_type", "channel", "outcome", "contacted_at")
    search_fields = ("customer__name", "=customer__mobile", "feedback")
    list_select_related = ("customer", "staff")
    autocomplete_fields = ("customer", "staff")
    readonly_fields = SYNC_READONLY
    date_hierarchy = "contacted_at"
    show_full_result_count = False

    def save_model(self, request, obj, form, change) -> None:
        if obj.staff_id is None:
            obj.staff = request.user
        super().save_model(request, obj, form, change)


@admin.register(SatisfactionSurvey)
class SatisfactionSurveyAdmin(CustomerScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "surveyed_on",
        "customer",
        "overall",
        "repair_quality",
        "price",
        "speed",
        "reception_attitude",
        "information_clarity",
    )
    list_filter = ("overall", "channel", "surveyed_on")
    search_fields = ("customer__name", "=customer__mobile")
    list_select_related = ("customer",)
    autocomplete_fields = ("customer",)
    raw_id_fields = ("service_order",)
    readonly_fields = SYNC_READONLY
    date_hierarchy = "surveyed_on"
    show_full_result_count = False


class ResponseOverdueFilter(admin.SimpleListFilter):
    """Complaints whose promised first response passed without one (R3.3)."""

    title = _("response overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return (("yes", _("Overdue")), ("no", _("On time or answered")))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.response_overdue()
        if self.value() == "no":
            return queryset.exclude(pk__in=Complaint.objects.response_overdue().values("pk"))
        return queryset


class ComplaintStatusChangeInline(admin.TabularInline):
    model = ComplaintStatusChange
    extra = 0
    fields = ("changed_at", "status", "changed_by", "note")
    readonly_fields = ("changed_by",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("changed_by")


@admin.register(Complaint)
class ComplaintAdmin(CustomerScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "opened_at",
        "customer",
        "category",
        "status",
        "promised_response_by",
        "first_response_at",
        "overdue",
        "escalation_level",
    )
    list_filter = (ResponseOverdueFilter, "status", "category", "customer_accepted", "opened_at")
    search_fields = ("customer__name", "=customer__mobile", "description")
    list_select_related = ("customer", "handler")
    autocomplete_fields = ("customer", "handler")
    raw_id_fields = ("service_order",)
    readonly_fields = SYNC_READONLY
    date_hierarchy = "opened_at"
    inlines = (ComplaintStatusChangeInline,)
    actions = ("escalate",)

    @admin.display(description=_("overdue"), boolean=True)
    def overdue(self, obj: Complaint) -> bool:
        return obj.response_overdue

    @admin.action(description=_("Escalate the selected complaints"), permissions=("change",))
    def escalate(self, request: HttpRequest, queryset: QuerySet) -> None:
        escalated = 0
        for complaint in queryset:
            if not complaint.is_resolved:
                complaint_escalate(complaint=complaint, by=request.user)
                escalated += 1
        self.message_user(
            request,
            ngettext("%(n)d complaint escalated.", "%(n)d complaints escalated.", escalated)
            % {"n": escalated},
            messages.SUCCESS,
        )

    def save_formset(self, request, form, formset, change) -> None:
        for obj in formset.save(commit=False):
            if isinstance(obj, ComplaintStatusChange) and obj.changed_by_id is None:
                obj.changed_by = request.user
            obj.save()
        for obj in formset.deleted_objects:
            obj.delete()


@admin.register(ComplaintStatusChange)
class ComplaintStatusChangeAdmin(CustomerScopedAdminMixin, admin.ModelAdmin):
    customer_path = "complaint__customer"
    list_display = ("complaint", "status", "changed_at", "changed_by")
    list_filter = ("status", "changed_at")
    list_select_related = ("complaint", "changed_by")
    raw_id_fields = ("complaint",)
    readonly_fields = ("changed_by",)
