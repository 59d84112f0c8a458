"""The API's boundary (issue 10, item 6): it speaks the language of Accept-Language (Chinese
by default) while the pages keep theirs, refuses implausible dates, and writes date-times as
valid RFC 3339."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from api.fields import rfc3339
from customers.models import Customer, ProfileObservation
from tests.api.conftest import push, statuses
from tests.factories import CustomerFactory, TaskFactory

pytestmark = pytest.mark.django_db

#: RFC 3339 date-time (section 5.6): offset Z or ±hh:mm, nothing else.
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def chinese_default(settings):
    """The project's real default (the test suite otherwise defaults to English)."""
    settings.LANGUAGE_CODE = "zh-hans"


def test_accept_language_en_answers_errors_in_english(chinese_default):
    response = APIClient().get("/api/v1/customers/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response.json()["detail"] == "Authentication credentials were not provided."
    assert response["Content-Language"] == "en"


def test_without_accept_language_the_api_answers_in_chinese(chinese_default):
    response = APIClient().get("/api/v1/customers/")
    assert response.status_code == 401
    assert CJK.search(response.json()["detail"]), response.json()
    assert response["Content-Language"] == "zh-hans"


def test_an_unsupported_language_falls_back_to_chinese(chinese_default):
    response = APIClient().get("/api/v1/no-such/", HTTP_ACCEPT_LANGUAGE="fr-FR, de;q=0.5")
    assert response.status_code == 404
    assert CJK.search(response.json()["detail"])


def test_our_own_messages_follow_accept_language(chinese_default, dms_api):
    english = dms_api.get("/api/v1/customers/?limit=0", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert english.json()["fields"]["limit"] == ["limit must be a whole number from 1 to 1000."]
    chinese = dms_api.get("/api/v1/customers/?limit=0", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert CJK.search(chinese.json()["fields"]["limit"][0])


def test_the_pages_keep_their_url_language(chinese_default):
    client = APIClient()
    assert client.get("/login/", HTTP_ACCEPT_LANGUAGE="en")["Content-Language"] == "zh-hans"
    assert client.get("/en/login/")["Content-Language"] == "en"


@pytest.mark.parametrize("day", ["1899-12-31", "0001-01-01", "2101-01-01"])
def test_implausible_dates_are_refused_at_the_boundary(dms_api, day):
    customer = CustomerFactory(external_id="C-DATE")
    record = {
        "external_id": "OBS-1",
        "customer": customer.external_id,
        "attribute": "income_band",
        "value": "middle",
        "observed_on": day,
    }
    body = push(dms_api, "profile-observations", [record])
    assert statuses(body) == ["error"]
    assert body["results"][0]["errors"]["observed_on"] == [
        "Dates must lie between 1900-01-01 and 2100-12-31."
    ]
    assert not ProfileObservation.objects.exists()


def test_a_date_time_before_1900_is_refused_too(dms_api):
    customer = CustomerFactory(external_id="C-DT")
    record = {
        "external_id": "LOG-1",
        "customer": customer.external_id,
        "contacted_at": "0001-01-01T00:00:00+08:00",
        "channel": "phone",
        "contact_type": "care_call",
    }
    body = push(dms_api, "contact-logs", [record])
    assert statuses(body) == ["error"]
    assert "contacted_at" in body["results"][0]["errors"]


def test_plausible_old_dates_still_pass(dms_api):
    customer = CustomerFactory(external_id="C-OLD")
    record = {
        "external_id": "OBS-2",
        "customer": customer.external_id,
        "attribute": "income_band",
        "value": "middle",
        "observed_on": "1900-01-01",
    }
    assert statuses(push(dms_api, "profile-observations", [record])) == ["created"]


def test_a_task_outcome_dated_before_1900_is_a_400(manager):
    task = TaskFactory()
    client = APIClient()
    client.force_login(manager)
    response = client.post(
        f"/api/v1/tasks/{task.pk}/outcome/",
        {"outcome": "reached", "contacted_at": "1899-06-01T10:00:00+08:00"},
        format="json",
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert body["fields"]["contacted_at"] == ["Dates must lie between 1900-01-01 and 2100-12-31."]


def test_old_date_times_are_served_as_rfc3339(dms_api):
    customer = CustomerFactory()
    old = dt.datetime(1, 1, 1, tzinfo=dt.UTC)
    Customer.objects.filter(pk=customer.pk).update(created_at=old)
    body = dms_api.get(f"/api/v1/customers/{customer.pk}/").json()
    assert body["created_at"] == "0001-01-01T00:00:00Z"
    assert RFC3339.match(body["updated_at"]), body["updated_at"]


def test_rfc3339_keeps_whole_minute_offsets_and_turns_lmt_into_utc():
    shanghai = timezone.get_default_timezone()
    recent = dt.datetime(2025, 3, 1, 2, 0, tzinfo=dt.UTC).astimezone(shanghai)
    assert rfc3339(recent) == "2025-03-01T10:00:00+08:00"
    lmt = dt.datetime(1900, 6, 1, tzinfo=dt.UTC).astimezone(shanghai)
    assert lmt.isoformat().endswith("+08:05:43")
    assert rfc3339(lmt) == "1900-06-01T00:00:00Z"
