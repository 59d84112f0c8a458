"""Writes on contacts: logging a contact, and complaint status changes that write the status
and its history step together, from the services and from the admin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from contacts.models import (
    Complaint,
    ComplaintStatus,
    ComplaintStatusChange,
    ContactChannel,
    ContactLog,
    ContactType,
)
from contacts.services import (
    complaint_escalate,
    complaint_status_change,
    contact_log_create,
)
from tests.admin_forms import admin_form_values
from tests.factories import ComplaintFactory, ComplaintStatusChangeFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def _history(complaint: Complaint) -> list[tuple[str, object]]:
    return list(
        ComplaintStatusChange.objects.filter(complaint=complaint)
        .order_by("changed_at", "id")
        .values_list("status", "changed_by")
    )


# --- contact log ---------------------------------------------------------------------------


def test_a_logged_contact_names_who_made_it(manager):
    customer = CustomerFactory()
    log = contact_log_create(
        customer=customer,
        by=manager,
        channel=ContactChannel.WECHAT,
        contact_type=ContactType.CARE_CALL,
        feedback="一切正常",
    )
    log.refresh_from_db()
    assert (log.customer, log.staff, log.feedback) == (customer, manager, "一切正常")
    assert log.contacted_at <= timezone.now()


def test_a_contact_with_a_next_step_due_before_it_is_refused_and_not_written(manager):
    with pytest.raises(ValidationError) as exc:
        contact_log_create(
            customer=CustomerFactory(),
            by=manager,
            channel=ContactChannel.PHONE,
            contact_type=ContactType.CARE_CALL,
            contacted_at=timezone.now(),
            next_step_due=timezone.localdate() - dt.timedelta(days=3),
        )
    assert set(exc.value.message_dict) == {"next_step_due"}
    assert not ContactLog.objects.exists()


def test_a_contact_logged_in_the_admin_names_the_user_who_logged_it(manager_client, manager):
    customer = CustomerFactory()
    now = timezone.localtime()
    response = manager_client.post(
        reverse("admin:contacts_contactlog_add"),
        {
            "customer": customer.pk,
            "contacted_at_0": f"{now:%Y-%m-%d}",
            "contacted_at_1": f"{now:%H:%M:%S}",
            "channel": ContactChannel.SMS,
            "contact_type": ContactType.MAINTENANCE_REMINDER,
            "outcome": "reached",
            "feedback": "下周来保养",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    log = ContactLog.objects.get()
    assert (log.customer, log.staff, log.feedback) == (customer, manager, "下周来保养")


def test_a_contact_logged_on_the_customer_page_names_the_user_who_logged_it(
    manager_client, manager
):
    customer = CustomerFactory()
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    data = admin_form_values(manager_client, url)
    now = timezone.localtime() - dt.timedelta(minutes=5)
    data.update(
        {
            "contact_logs-0-contacted_at_0": f"{now:%Y-%m-%d}",
            "contact_logs-0-contacted_at_1": f"{now:%H:%M:%S}",
            "contact_logs-0-channel": ContactChannel.PHONE,
            "contact_logs-0-contact_type": ContactType.WIN_BACK,
            "contact_logs-0-outcome": "reached",
            "contact_logs-0-feedback": "考虑回来保养",
        }
    )
    response = manager_client.post(url, data)
    assert response.status_code == 302, response.context and [
        f.formset.errors for f in response.context["inline_admin_formsets"]
    ]
    log = ContactLog.objects.get()
    assert (log.customer, log.staff, log.feedback) == (customer, manager, "考虑回来保养")


# --- complaint status changes ------------------------------------------------------------


def test_a_status_change_writes_the_status_and_its_history_step_together(manager):
    complaint = ComplaintFactory()
    step = complaint_status_change(
        complaint=complaint, status=ComplaintStatus.IN_PROGRESS, by=manager, note="已联系车间"
    )
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.IN_PROGRESS
    assert step.complaint == complaint
    assert (step.status, step.changed_by, step.note) == (
        ComplaintStatus.IN_PROGRESS,
        manager,
        "已联系车间",
    )
    assert _history(complaint) == [(ComplaintStatus.IN_PROGRESS, manager.pk)]


def test_the_first_answering_status_records_the_first_response(manager):
    complaint = ComplaintFactory()
    at = timezone.now() - dt.timedelta(hours=1)
    complaint_status_change(
        complaint=complaint, status=ComplaintStatus.ACKNOWLEDGED, by=manager, at=at
    )
    complaint_status_change(complaint=complaint, status=ComplaintStatus.IN_PROGRESS, by=manager)
    complaint.refresh_from_db()
    assert complaint.first_response_at == at
    assert not complaint.response_overdue


def test_an_escalation_is_not_a_response_to_the_customer(manager):
    complaint = ComplaintFactory(opened_at=timezone.now() - dt.timedelta(days=3))
    complaint_status_change(complaint=complaint, status=ComplaintStatus.ESCALATED, by=manager)
    complaint.refresh_from_db()
    assert complaint.first_response_at is None
    assert complaint.response_overdue


def test_resolving_records_when_and_keeps_the_resolution(manager):
    complaint = ComplaintFactory(resolution="退还工时费")
    at = timezone.now() - dt.timedelta(minutes=10)
    complaint_status_change(complaint=complaint, status=ComplaintStatus.RESOLVED, by=manager, at=at)
    complaint.refresh_from_db()
    assert (complaint.status, complaint.resolved_at) == (ComplaintStatus.RESOLVED, at)


def test_an_invalid_status_change_writes_neither_status_nor_history(manager):
    complaint = ComplaintFactory()
    with pytest.raises(ValidationError) as exc:
        complaint_status_change(complaint=complaint, status=ComplaintStatus.RESOLVED, by=manager)
    assert set(exc.value.message_dict) == {"resolution"}
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.OPEN
    assert _history(complaint) == []


def test_a_step_dated_before_the_last_recorded_one_is_refused(manager):
    step = ComplaintStatusChangeFactory()
    with pytest.raises(ValidationError) as exc:
        complaint_status_change(
            complaint=step.complaint,
            status=ComplaintStatus.IN_PROGRESS,
            by=manager,
            at=step.changed_at - dt.timedelta(minutes=1),
        )
    assert set(exc.value.message_dict) == {"changed_at"}


def test_escalating_raises_the_level_and_records_the_step(manager):
    complaint = ComplaintFactory()
    escalated = complaint_escalate(complaint=complaint, by=manager, note="超时未回复")
    assert (escalated.status, escalated.escalation_level) == (ComplaintStatus.ESCALATED, 1)
    assert _history(complaint) == [(ComplaintStatus.ESCALATED, manager.pk)]


def test_a_resolved_complaint_is_not_escalated(manager):
    complaint = ComplaintFactory(status=ComplaintStatus.RESOLVED, resolution="已处理")
    assert complaint_escalate(complaint=complaint, by=manager).escalation_level == 0
    assert _history(complaint) == []


# --- complaint status changes in the admin -------------------------------------------------


def _change_url(complaint: Complaint) -> str:
    return reverse("admin:contacts_complaint_change", args=[complaint.pk])


def test_a_status_changed_in_the_complaint_form_is_recorded_in_its_history(manager_client, manager):
    complaint = ComplaintFactory()
    data = admin_form_values(manager_client, _change_url(complaint))
    data.update({"status": ComplaintStatus.RESOLVED, "resolution": "更换配件"})
    response = manager_client.post(_change_url(complaint), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    complaint.refresh_from_db()
    assert (complaint.status, complaint.resolution) == (ComplaintStatus.RESOLVED, "更换配件")
    assert complaint.resolved_at is not None
    assert complaint.first_response_at == complaint.resolved_at
    assert _history(complaint) == [(ComplaintStatus.RESOLVED, manager.pk)]


def test_saving_the_complaint_form_without_a_status_change_adds_no_step(manager_client):
    complaint = ComplaintFactory()
    data = admin_form_values(manager_client, _change_url(complaint))
    data["description"] = "等待时间太长,没有人通知"
    response = manager_client.post(_change_url(complaint), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    complaint.refresh_from_db()
    assert complaint.description == "等待时间太长,没有人通知"
    assert _history(complaint) == []


def test_a_resolution_is_still_required_when_resolving_in_the_form(manager_client):
    complaint = ComplaintFactory()
    data = admin_form_values(manager_client, _change_url(complaint))
    data["status"] = ComplaintStatus.RESOLVED
    response = manager_client.post(_change_url(complaint), data)
    assert response.status_code == 200
    assert "resolution" in response.context["adminform"].form.errors
    assert _history(complaint) == []


def test_a_complaint_added_with_a_status_records_that_step(manager_client, manager):
    customer = CustomerFactory()
    opened = timezone.localtime() - dt.timedelta(hours=2)
    data = admin_form_values(manager_client, reverse("admin:contacts_complaint_add"))
    data.update(
        {
            "customer": customer.pk,
            "opened_at_0": f"{opened:%Y-%m-%d}",
            "opened_at_1": f"{opened:%H:%M:%S}",
            "category": "price",
            "description": "收费不透明",
            "status": ComplaintStatus.ACKNOWLEDGED,
        }
    )
    response = manager_client.post(reverse("admin:contacts_complaint_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    complaint = Complaint.objects.get()
    assert complaint.status == ComplaintStatus.ACKNOWLEDGED
    assert _history(complaint) == [(ComplaintStatus.ACKNOWLEDGED, manager.pk)]


def test_the_status_history_on_the_complaint_page_is_read_only(manager_client):
    step = ComplaintStatusChangeFactory(note="已致电客户")
    url = _change_url(step.complaint)
    data = admin_form_values(manager_client, url)
    assert not {"status_changes-0-status", "status_changes-0-note"} & set(data)
    data.update(
        {
            "status_changes-TOTAL_FORMS": "2",
            "status_changes-1-status": ComplaintStatus.CLOSED,
            "status_changes-1-changed_at_0": f"{timezone.localdate():%Y-%m-%d}",
            "status_changes-1-changed_at_1": "00:00:00",
            "status_changes-1-note": "偷偷关闭",
        }
    )
    assert manager_client.post(url, data).status_code == 302
    assert list(ComplaintStatusChange.objects.values_list("note", flat=True)) == ["已致电客户"]
    step.complaint.refresh_from_db()
    assert step.complaint.status == ComplaintStatus.OPEN


def test_a_step_added_in_the_history_admin_moves_the_complaint(manager_client, manager):
    complaint = ComplaintFactory()
    at = timezone.localtime() - dt.timedelta(minutes=30)
    response = manager_client.post(
        reverse("admin:contacts_complaintstatuschange_add"),
        {
            "complaint": complaint.pk,
            "status": ComplaintStatus.IN_PROGRESS,
            "changed_at_0": f"{at:%Y-%m-%d}",
            "changed_at_1": f"{at:%H:%M:%S}",
            "note": "安排技师复查",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.IN_PROGRESS
    assert _history(complaint) == [(ComplaintStatus.IN_PROGRESS, manager.pk)]


def test_a_step_the_complaint_cannot_take_is_a_form_error_in_the_history_admin(manager_client):
    complaint = ComplaintFactory()
    at = timezone.localtime() - dt.timedelta(minutes=30)
    response = manager_client.post(
        reverse("admin:contacts_complaintstatuschange_add"),
        {
            "complaint": complaint.pk,
            "status": ComplaintStatus.RESOLVED,
            "changed_at_0": f"{at:%Y-%m-%d}",
            "changed_at_1": f"{at:%H:%M:%S}",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    assert _history(complaint) == []


def test_recorded_steps_cannot_be_changed_or_deleted_in_the_admin(manager_client):
    step = ComplaintStatusChangeFactory(note="已致电客户")
    change = reverse("admin:contacts_complaintstatuschange_change", args=[step.pk])
    manager_client.post(change, {"complaint": step.complaint_id, "status": "closed", "note": "x"})
    delete = reverse("admin:contacts_complaintstatuschange_delete", args=[step.pk])
    assert manager_client.post(delete, {"post": "yes"}).status_code == 403
    step.refresh_from_db()
    assert (step.status, step.note) == (ComplaintStatus.ACKNOWLEDGED, "已致电客户")
