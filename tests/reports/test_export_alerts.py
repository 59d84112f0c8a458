"""Large exports by one user in a day alert their manager (R7.2), once, at the export that
crosses the one threshold setting, which the access log page flags too."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from accounts.roles import Role
from customers.models import DataAccessAction, DataAccessLog
from customers.services import data_access_record
from reports.access_logs import export_totals_today
from tests.factories import ReportingLineFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def threshold(settings) -> int:
    settings.EXPORT_ALERT_ROWS = 1_000
    return 1_000


def _export(user, rows: int) -> DataAccessLog:
    return data_access_record(
        user=user, action=DataAccessAction.EXPORT, what="Customer list", rows=rows
    )


def test_the_export_that_crosses_the_threshold_mails_the_users_manager_once(threshold, advisor):
    boss = UserFactory(username="boss", role=Role.MANAGER, email="boss@example.com")
    ReportingLineFactory(user=advisor, manager=boss)
    _export(advisor, 600)
    _export(advisor, 400)  # 1,000: at the threshold, not above
    assert mail.outbox == []
    _export(advisor, 1)
    assert len(mail.outbox) == 1
    alert = mail.outbox[0]
    assert alert.to == ["boss@example.com"]
    assert "1,001" in alert.subject and advisor.username in alert.subject
    assert f"?user={advisor.pk}" in alert.body
    _export(advisor, 5_000)  # already alerted today
    assert len(mail.outbox) == 1


def test_without_a_reporting_line_the_fallback_manager_is_alerted(threshold, advisor, manager):
    _export(advisor, 1_500)
    assert [m.to for m in mail.outbox] == [[manager.email]]


def test_reveals_and_yesterdays_exports_do_not_count(threshold, advisor, manager):
    yesterday = _export(advisor, 900)
    yesterday.at = timezone.now() - dt.timedelta(days=1)
    yesterday.save()
    data_access_record(user=advisor, action=DataAccessAction.REVEAL, what="mobile", rows=900)
    _export(advisor, 900)
    assert mail.outbox == []


def test_the_access_log_page_flags_by_the_same_setting(threshold, advisor, manager):
    _export(advisor, 1_001)
    [total] = export_totals_today(user=manager)
    assert total.flagged
    assert len(mail.outbox) == 1
