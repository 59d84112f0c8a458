"""Contact log, satisfaction surveys and complaints with their response promise (R3.1-R3.3)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from contacts.models import (
    SURVEY_DIMENSIONS,
    Complaint,
    ComplaintStatus,
    SatisfactionSurvey,
    complaint_promised_response_by,
    complaint_resolved_at,
)
from tests.factories import (
    ComplaintFactory,
    ContactLogFactory,
    CustomerFactory,
    SatisfactionSurveyFactory,
)

pytestmark = pytest.mark.django_db

SCORE_FIELDS = ("overall", *SURVEY_DIMENSIONS)


def errors_of(instance) -> dict[str, list[str]]:
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        instance.full_clean()
    return exc.value.message_dict


# --- contact log (R3.1) ------------------------------------------------------------------


def test_a_contact_log_entry_with_a_next_step_is_valid():
    entry = ContactLogFactory(next_step="周六回访", next_step_due=timezone.localdate())
    entry.full_clean()


def test_a_next_step_due_before_the_contact_is_rejected():
    entry = ContactLogFactory()
    entry.next_step_due = entry.contacted_at.date() - dt.timedelta(days=1)
    assert set(errors_of(entry)) == {"next_step_due"}


def test_the_next_step_is_compared_with_the_local_date_of_the_contact():
    # 07:00 in Shanghai on 1 September is still 31 August in UTC, as the database returns it.
    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    with timezone.override(shanghai):
        entry = ContactLogFactory(contacted_at=dt.datetime(2024, 9, 1, 7, 0, tzinfo=shanghai))
        entry.refresh_from_db()
        entry.next_step_due = dt.date(2024, 8, 31)
        assert set(errors_of(entry)) == {"next_step_due"}
        entry.next_step_due = dt.date(2024, 9, 1)
        entry.full_clean()


def test_a_contact_in_the_future_is_rejected():
    entry = ContactLogFactory()
    entry.contacted_at = timezone.now() + dt.timedelta(days=1)
    assert set(errors_of(entry)) == {"contacted_at"}


# --- satisfaction surveys (R3.2) ---------------------------------------------------------


def test_scores_at_both_ends_of_the_scale_are_valid():
    SatisfactionSurveyFactory(overall=1, price=10, speed=1).full_clean()


def test_dimension_scores_may_be_left_out():
    survey = SatisfactionSurveyFactory(**dict.fromkeys(SURVEY_DIMENSIONS))
    survey.full_clean()
    assert survey.pk is not None


@pytest.mark.parametrize("field", SCORE_FIELDS)
@pytest.mark.parametrize("score", [0, 11])
def test_a_score_off_the_1_to_10_scale_fails_validation(field, score):
    survey = SatisfactionSurveyFactory()
    setattr(survey, field, score)
    assert set(errors_of(survey)) == {field}


@pytest.mark.parametrize("field", SCORE_FIELDS)
@pytest.mark.parametrize("score", [0, 11])
def test_a_score_off_the_scale_is_refused_by_the_database(field, score):
    customer = CustomerFactory()
    values = dict.fromkeys(SCORE_FIELDS, 8) | {field: score}
    with pytest.raises(IntegrityError), transaction.atomic():
        SatisfactionSurvey.objects.create(
            customer=customer, surveyed_on=dt.date(2024, 9, 12), **values
        )
    assert not SatisfactionSurvey.objects.exists()


# --- complaints (R3.3) -------------------------------------------------------------------


def test_the_default_promise_is_24_hours_after_opening():
    opened = timezone.now() - dt.timedelta(hours=5)
    complaint = ComplaintFactory(opened_at=opened)
    complaint.refresh_from_db()
    assert complaint.promised_response_by == opened + dt.timedelta(hours=24)


def test_a_promise_made_to_the_customer_is_kept():
    opened = timezone.now() - dt.timedelta(hours=5)
    promise = opened + dt.timedelta(hours=2)
    complaint = ComplaintFactory(opened_at=opened, promised_response_by=promise)
    complaint.refresh_from_db()
    assert complaint.promised_response_by == promise


def test_the_promise_rule_keeps_a_given_promise_else_adds_24_hours_to_the_opening():
    opened = dt.datetime(2024, 9, 1, 10, tzinfo=dt.UTC)
    promise = opened + dt.timedelta(hours=2)
    assert complaint_promised_response_by(opened, None) == opened + dt.timedelta(hours=24)
    assert complaint_promised_response_by(opened, promise) == promise
    assert complaint_promised_response_by(None, None) is None


def test_a_new_complaint_without_a_promise_passes_validation():
    complaint = ComplaintFactory.build(customer=CustomerFactory())
    complaint.full_clean()  # the promise is filled in on save


def test_a_promise_before_the_opening_is_rejected():
    complaint = ComplaintFactory()
    complaint.promised_response_by = complaint.opened_at - dt.timedelta(minutes=1)
    assert set(errors_of(complaint)) == {"promised_response_by"}


def test_a_response_or_resolution_before_the_opening_is_rejected():
    complaint = ComplaintFactory()
    complaint.first_response_at = complaint.opened_at - dt.timedelta(hours=1)
    complaint.resolved_at = complaint.opened_at - dt.timedelta(hours=1)
    assert set(errors_of(complaint)) == {"first_response_at", "resolved_at"}


def test_an_unanswered_complaint_past_its_promise_is_overdue():
    complaint = ComplaintFactory(opened_at=timezone.now() - dt.timedelta(hours=25))
    assert complaint.response_overdue
    assert list(Complaint.objects.response_overdue()) == [complaint]


def test_a_complaint_within_its_promise_is_not_overdue():
    complaint = ComplaintFactory(opened_at=timezone.now() - dt.timedelta(hours=23))
    assert not complaint.response_overdue
    assert not Complaint.objects.response_overdue().exists()
    # ... but it will be once the promise passes.
    later = timezone.now() + dt.timedelta(hours=2)
    assert list(Complaint.objects.response_overdue(now=later)) == [complaint]


def test_an_answered_complaint_is_not_overdue_even_if_the_answer_was_late():
    opened = timezone.now() - dt.timedelta(days=3)
    complaint = ComplaintFactory(
        opened_at=opened,
        first_response_at=opened + dt.timedelta(hours=30),
        status=ComplaintStatus.IN_PROGRESS,
    )
    assert not complaint.response_overdue
    assert not Complaint.objects.response_overdue().exists()


def test_a_resolved_complaint_is_not_overdue_for_a_response():
    complaint = ComplaintFactory(
        opened_at=timezone.now() - dt.timedelta(days=3),
        status=ComplaintStatus.RESOLVED,
        resolution="免费返修并赠送保养一次",
    )
    assert complaint.first_response_at is None
    assert not complaint.response_overdue
    assert not Complaint.objects.response_overdue().exists()


def test_unresolved_lists_open_acknowledged_in_progress_and_escalated_complaints():
    by_status = {
        status: ComplaintFactory(status=status, resolution="已处理")
        for status in ComplaintStatus.values
    }
    assert set(Complaint.objects.unresolved()) == {
        by_status["open"],
        by_status["acknowledged"],
        by_status["in_progress"],
        by_status["escalated"],
    }
    assert not by_status["open"].is_resolved
    assert by_status["closed"].is_resolved


@pytest.mark.parametrize("status", [ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED])
def test_a_complaint_cannot_be_resolved_without_a_resolution(status):
    complaint = ComplaintFactory()
    complaint.status = status
    assert set(errors_of(complaint)) == {"resolution"}


def test_resolving_records_when_it_was_resolved():
    complaint = ComplaintFactory()
    assert complaint.resolved_at is None
    complaint.status = ComplaintStatus.RESOLVED
    complaint.resolution = "更换配件,退还工时费"
    complaint.full_clean()
    before = timezone.now()
    complaint.save()
    complaint.refresh_from_db()
    assert complaint.resolved_at is not None
    assert before <= complaint.resolved_at <= timezone.now()


@pytest.mark.parametrize(
    ("status", "given", "expected"),
    [
        (ComplaintStatus.RESOLVED, None, "now"),
        (ComplaintStatus.CLOSED, None, "now"),
        (ComplaintStatus.RESOLVED, "given", "given"),
        (ComplaintStatus.IN_PROGRESS, None, None),
        (ComplaintStatus.OPEN, "given", "given"),
    ],
)
def test_the_resolved_at_rule_fills_the_time_only_when_resolving_without_one(
    status, given, expected
):
    times = {
        "now": dt.datetime(2024, 9, 3, tzinfo=dt.UTC),
        "given": dt.datetime(2024, 9, 2, tzinfo=dt.UTC),
        None: None,
    }
    assert complaint_resolved_at(status, times[given], times["now"]) == times[expected]


@pytest.mark.parametrize("accepted", [True, False])
def test_acceptance_is_recorded_only_once_resolved(accepted):
    complaint = ComplaintFactory(status=ComplaintStatus.IN_PROGRESS)
    complaint.customer_accepted = accepted
    assert set(errors_of(complaint)) == {"customer_accepted"}
    complaint.status = ComplaintStatus.RESOLVED
    complaint.resolution = "道歉并赠送洗车券"
    complaint.full_clean()
