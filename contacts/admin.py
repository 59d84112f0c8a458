"""Admin for the contact log, satisfaction surveys and complaints with their SLA (R3).

New contact log entries and every complaint status change go through the services in
:mod:`contacts.services`: a status change writes the complaint and its history step together,
and the history itself is read-only here.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from contacts.models import (
    Complaint,
    ComplaintStatus,
    ComplaintStatusChange,
    ContactLog,
    SatisfactionSurvey,
)
from contacts.services import (
    complaint_escalate,
    complaint_status_change,
    complaint_status_check,
    contact_log_create,
)
from customers.admin import SYNC_READONLY, CustomerScopedAdminMixin, ReadOnlyInline


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
        if change:
            super().save_model(request, obj, form, change)
            return
        # The admin's message, log entry and redirect name the new row.
        obj.pk = contact_log_create_from(obj, by=obj.staff).pk


def contact_log_create_from(obj: ContactLog, *, by: Any) -> ContactLog:
    """Log the new contact an admin form or inline filled in, through the service."""
    return contact_log_create(
        customer=obj.customer,
        by=by,
        channel=obj.channel,
        contact_type=obj.contact_type,
        outcome=obj.outcome,
        contacted_at=obj.contacted_at,
        feedback=obj.feedback,
        next_step=obj.next_step,
        next_step_due=obj.next_step_due,
    )


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


class ComplaintStatusChangeInline(ReadOnlyInline):
    """The status history; a change of the complaint's status field adds its step."""

    model = ComplaintStatusChange
    fields = ("changed_at", "status", "changed_by", "note")
    readonly_fields = fields
    show_change_link = False

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

    def save_model(self, request, obj, form, change) -> None:
        # The form validated the complaint with its new status; the other fields are saved
        # under the stored status (a new complaint's is open), then the status moves with its
        # history step.
        status = obj.status
        obj.status = form.initial["status"] if change else ComplaintStatus.OPEN
        super().save_model(request, obj, form, change)
        if status != obj.status:
            complaint_status_change(complaint=obj, status=status, by=request.user)
            obj.refresh_from_db()


class ComplaintStatusChangeForm(forms.ModelForm):
    """A new step of a complaint's history, checked as the status change would be."""

    class Meta:
        model = ComplaintStatusChange
        fields = ("complaint", "status", "changed_at", "note")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        complaint, status = data.get("complaint"), data.get("status")
        if complaint is None or not status or not data.get("changed_at"):
            return data
        try:
            complaint_status_check(
                complaint=Complaint.objects.get(pk=complaint.pk),
                status=status,
                at=data["changed_at"],
            )
        except ValidationError as error:
            # Complaint fields are not on this form: name them in the message instead.
            for name, problems in error.message_dict.items():
                if name in self.fields or name == NON_FIELD_ERRORS:
                    self.add_error(None if name == NON_FIELD_ERRORS else name, problems)
                else:
                    label = Complaint._meta.get_field(name).verbose_name
                    self.add_error(None, [f"{label}: {problem}" for problem in problems])
        return data


@admin.register(ComplaintStatusChange)
class ComplaintStatusChangeAdmin(CustomerScopedAdminMixin, admin.ModelAdmin):
    """The status history of complaints. A step added here moves its complaint to that status
    (through ``complaint_status_change``); recorded steps are not changed or deleted."""

    customer_path = "complaint__customer"
    form = ComplaintStatusChangeForm
    list_display = ("complaint", "status", "changed_at", "changed_by")
    list_filter = ("status", "changed_at")
    list_select_related = ("complaint", "changed_by")
    raw_id_fields = ("complaint",)
    readonly_fields = ("changed_by",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        step = complaint_status_change(
            complaint=obj.complaint,
            status=obj.status,
            by=request.user,
            note=obj.note,
            at=obj.changed_at,
        )
        obj.pk, obj.changed_by = step.pk, step.changed_by
