"""The advisor's day, /today/ (R5.1): own tasks only, why in words, the outcome form that
closes a task through ``task_close`` (htmx and plain), the lead countdown and the week, with a
query count that does not grow with the number of tasks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from contacts.models import ContactLog, ContactOutcome
from segmentation.models import RfmSegment, Status
from tests.admin_pages import queries_of_get
from tests.factories import (
    CustomerFactory,
    CustomerScoreFactory,
    LeadFactory,
    ScoringRunFactory,
    TargetFactory,
    TaskFactory,
)
from winback.models import Lead, PurchaseIntent, Task, TaskKind, TaskStatus
from winback.selectors import task_week
from winback.views.today import countdown

pytestmark = pytest.mark.django_db


@pytest.fixture
def today() -> dt.date:
    return timezone.localdate()


def _task(advisor, *, name: str = "", due_on: dt.date | None = None, **fields) -> Task:
    customer = CustomerFactory(sales_advisor=advisor, **({"name": name} if name else {}))
    return TaskFactory(
        customer=customer, assignee=advisor, due_on=due_on or timezone.localdate(), **fields
    )


def _outcome_url(task: Task) -> str:
    return reverse("task_outcome", args=[task.pk])


def _htmx(client) -> dict[str, str]:
    return {"HTTP_HX_REQUEST": "true"}


# --- who sees what ----------------------------------------------------------------------------


def test_an_advisor_sees_only_own_tasks_due_today_or_overdue(client, advisor, other_advisor, today):
    mine = _task(advisor, name="王建国")
    late = _task(advisor, name="李秀英", due_on=today - dt.timedelta(days=3))
    _task(advisor, name="赵明天", due_on=today + dt.timedelta(days=1))
    _task(other_advisor, name="陈别人")
    client.force_login(advisor)
    response = client.get(reverse("today"))
    assert response.status_code == 200
    page = response.content.decode()
    assert mine.customer.name in page and late.customer.name in page
    assert "赵明天" not in page  # due tomorrow: in the week, not on today's list
    assert "陈别人" not in page
    assert "3 days overdue" in page
    # The mobile is masked; the call button posts to the (logged) reveal view.
    assert "139****" in page and mine.customer.mobile not in page
    assert reverse("customer_reveal", args=[mine.customer.pk, "mobile"]) in page


def test_another_advisors_task_is_404_for_form_and_outcome(client, advisor, other_advisor):
    theirs = _task(other_advisor)
    client.force_login(advisor)
    assert client.get(_outcome_url(theirs)).status_code == 404
    response = client.post(_outcome_url(theirs), {"outcome": ContactOutcome.REACHED})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == TaskStatus.OPEN
    assert not ContactLog.objects.exists()


@pytest.mark.parametrize("who", ["manager", "marketing", "superuser"])
def test_managers_marketing_and_superusers_see_their_own_day(client, request, who, advisor):
    user = request.getfixturevalue(who)
    own = _task(advisor, name="周经理的客户")
    Task.objects.filter(pk=own.pk).update(assignee=user)
    _task(advisor, name="顾问的客户")
    client.force_login(user)
    response = client.get(reverse("today"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "周经理的客户" in page and "顾问的客户" not in page


def test_the_dms_client_is_refused_and_anonymous_visitors_sign_in(client, dms_client):
    response = client.get(reverse("today"))
    assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(dms_client)
    assert client.get(reverse("today")).status_code == 403


# --- why, in words ----------------------------------------------------------------------------


def test_a_task_says_why_in_words_from_its_target_and_the_latest_score(client, advisor):
    task = _task(advisor, name="王建国", note="九个月未回厂", window="morning")
    target = TargetFactory(
        customer=task.customer,
        churn_score=0.72,
        score_status=Status.LOST,
        value_tier=2,
        future_value=3713.71,
        nine_cell="7+/low",
        rfm_segment=RfmSegment.CANT_LOSE_THEM,
    )
    Task.objects.filter(pk=task.pk).update(target=target)
    old = ScoringRunFactory(month=dt.date(2024, 8, 1), as_of=dt.date(2024, 8, 31))
    CustomerScoreFactory(run=old, customer=task.customer, churn_unresolved_complaints=0.9)
    latest = ScoringRunFactory(month=dt.date(2024, 9, 1))
    CustomerScoreFactory(
        run=latest,
        customer=task.customer,
        churn_overdue=0.95,
        churn_falling_satisfaction=0.6,
        churn_no_engagement=0.2,
    )
    client.force_login(advisor)
    page = client.get(reverse("today")).content.decode()
    assert "Lost-customer win-back" in page and "九个月未回厂" in page
    assert "churn score 0.72: Overdue versus own visit interval; Falling satisfaction" in page
    assert "Unresolved complaint" not in page  # an older month's component
    assert "No engagement" not in page  # too weak to name
    assert "value tier 2, future value ¥3,714" in page
    assert "7+ years · low satisfaction" in page
    assert "Can&#x27;t lose them" in page or "Can't lose them" in page
    assert "Phone call" in page and "Morning (9–12)" in page
    assert "7+/low" not in page and "cant_lose_them" not in page


def test_countdown_in_minutes_hours_and_days():
    now = timezone.now()
    assert countdown(now + dt.timedelta(hours=5, minutes=10), now) == "5 hours left"
    assert countdown(now + dt.timedelta(minutes=30), now) == "30 minutes left"
    assert countdown(now - dt.timedelta(days=2, hours=3), now) == "2 days late"
    assert countdown(now - dt.timedelta(hours=1), now) == "1 hour late"


def test_lead_calls_count_down_and_others_leads_are_not_shown(client, advisor, other_advisor):
    now = timezone.now()
    soon = LeadFactory(customer=CustomerFactory(sales_advisor=advisor, name="孙有意"))
    _task(advisor, kind=TaskKind.LEAD_CADENCE, lead=soon)
    Task.objects.filter(lead=soon).update(
        customer=soon.customer, due_at=now + dt.timedelta(hours=5, minutes=5)
    )
    late = LeadFactory(customer=CustomerFactory(sales_advisor=advisor, name="钱等待"))
    _task(advisor, kind=TaskKind.LEAD_CADENCE, lead=late)
    Task.objects.filter(lead=late).update(
        customer=late.customer,
        due_at=now - dt.timedelta(days=2, hours=1),
        due_on=timezone.localdate() - dt.timedelta(days=2),
    )
    theirs = LeadFactory(customer=CustomerFactory(sales_advisor=other_advisor, name="吴别家"))
    _task(other_advisor, kind=TaskKind.LEAD_CADENCE, lead=theirs)
    client.force_login(advisor)
    page = client.get(reverse("today")).content.decode()
    leads = page[page.index('id="leads-heading"') :]
    assert "孙有意" in leads and "5 hours left" in leads
    assert "钱等待" in leads and "2 days late" in leads
    assert "吴别家" not in page


def test_the_week_counts_tasks_and_visits_per_day(client, advisor, today):
    _task(advisor, due_on=today + dt.timedelta(days=2), channel="visit_home")
    _task(advisor, due_on=today + dt.timedelta(days=2))
    client.force_login(advisor)
    response = client.get(reverse("today"))
    week = response.context["week"]
    assert [row["day"] for row in week] == [today + dt.timedelta(days=i) for i in range(7)]
    assert (week[2]["tasks"], week[2]["visits"]) == (2, 1)
    assert "1 visit" in response.content.decode()


def test_the_week_selector_counts_only_own_open_tasks(advisor, other_advisor, today):
    _task(advisor, due_on=today, channel="visit_office")
    _task(advisor, due_on=today + dt.timedelta(days=6))
    _task(advisor, due_on=today + dt.timedelta(days=7))  # the day after the week
    closed = _task(advisor, due_on=today)
    Task.objects.filter(pk=closed.pk).update(status=TaskStatus.DONE)
    _task(other_advisor, due_on=today)
    week = task_week(user=advisor, start=today)
    assert week == {
        today + dt.timedelta(days=i): {0: (1, 1), 6: (1, 0)}.get(i, (0, 0)) for i in range(7)
    }


# --- the outcome form -------------------------------------------------------------------------


def test_the_form_opens_in_place_with_htmx(client, advisor):
    task = _task(advisor)
    client.force_login(advisor)
    response = client.get(_outcome_url(task), **_htmx(client))
    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith(f'<article class="card task" id="task-{task.pk}"')
    assert 'name="outcome"' in page and "<html" not in page
    closed = client.get(_outcome_url(task) + "?close=1", **_htmx(client)).content.decode()
    assert 'name="outcome"' not in closed


def test_without_htmx_the_form_opens_on_the_day_page(client, advisor):
    task = _task(advisor, name="王建国")
    client.force_login(advisor)
    response = client.get(_outcome_url(task))
    page = response.content.decode()
    assert response.status_code == 200
    assert "My day" in page and f'action="{_outcome_url(task)}"' in page


def test_reached_closes_the_task_logs_the_contact_and_shows_a_done_line(client, advisor):
    task = _task(advisor, name="王建国")
    client.force_login(advisor)
    response = client.post(
        _outcome_url(task),
        {
            "outcome": ContactOutcome.REACHED,
            "churn_reason": "price",
            "feedback": "嫌保养贵",
            "next_step": "发保养套餐",
            "next_step_due": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
        },
        **_htmx(client),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Done: Reached" in page and 'name="outcome"' not in page
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.closed_by == advisor
    assert task.churn_reason == "price"
    log = ContactLog.objects.get(customer=task.customer)
    assert (log.outcome, log.staff, log.feedback, log.next_step) == (
        ContactOutcome.REACHED,
        advisor,
        "嫌保养贵",
        "发保养套餐",
    )
    assert task.contact_log == log


def test_a_plain_post_redirects_back_to_the_day(client, advisor):
    task = _task(advisor)
    client.force_login(advisor)
    response = client.post(_outcome_url(task), {"outcome": ContactOutcome.NO_ANSWER})
    assert response.status_code == 302
    assert response["Location"].endswith("/today/")
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE


def test_a_purchase_intent_is_recorded_and_opens_a_lead(client, advisor):
    task = _task(advisor)
    client.force_login(advisor)
    client.post(
        _outcome_url(task),
        {
            "outcome": ContactOutcome.REACHED,
            "desire_strength": "4",
            "necessity": "want",
            "purchase_window": "1m",
        },
        **_htmx(client),
    )
    intent = PurchaseIntent.objects.get(customer=task.customer)
    assert (intent.desire_strength, intent.necessity, intent.purchase_window) == (4, "want", "1m")
    assert Lead.objects.filter(customer=task.customer, owner=advisor).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "This field is required."),
        ({"outcome": "maybe"}, "Select a valid choice."),
        (
            {"outcome": ContactOutcome.REACHED, "desire_strength": "4"},
            "give the wish, the need and when together",
        ),
        # The service refuses it: the next step cannot be due before the contact.
        (
            {"outcome": ContactOutcome.REACHED, "next_step": "回访", "next_step_due": "2020-01-01"},
            "The next step cannot be due before the contact.",
        ),
    ],
)
def test_bad_input_returns_the_form_with_the_error_and_changes_nothing(
    client, advisor, data, message
):
    task = _task(advisor)
    client.force_login(advisor)
    data = {"feedback": "客户说下周再联系", **data}
    response = client.post(_outcome_url(task), data, **_htmx(client))
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert 'name="outcome"' in page
    assert "客户说下周再联系" in page  # nothing typed is lost
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
    assert not ContactLog.objects.exists()
    assert not PurchaseIntent.objects.exists()


def test_bad_input_without_htmx_shows_the_day_with_the_form_open(client, advisor):
    task = _task(advisor, name="王建国")
    client.force_login(advisor)
    response = client.post(_outcome_url(task), {"outcome": ""})
    assert response.status_code == 200
    page = response.content.decode()
    assert "My day" in page and "This field is required." in page
    assert page.count('name="outcome"') == len(ContactOutcome.choices)


def test_a_closed_task_cannot_be_closed_twice(client, advisor):
    task = _task(advisor)
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.DONE)
    client.force_login(advisor)
    response = client.post(_outcome_url(task), {"outcome": ContactOutcome.REACHED}, **_htmx(client))
    assert "This task is closed already" in response.content.decode()
    assert not ContactLog.objects.exists()


# --- cost -------------------------------------------------------------------------------------


def _day_of(advisor, n: int, run) -> None:
    for i in range(n):
        task = _task(advisor, due_on=timezone.localdate() - dt.timedelta(days=i % 3))
        target = TargetFactory(customer=task.customer)
        Task.objects.filter(pk=task.pk).update(target=target)
        CustomerScoreFactory(run=run, customer=task.customer, churn_overdue=0.8)
        lead = LeadFactory(customer=task.customer, owner=advisor)
        _task(advisor, kind=TaskKind.LEAD_CADENCE, lead=lead)


def test_the_query_count_does_not_grow_with_the_number_of_tasks(client, advisor):
    client.force_login(advisor)
    run = ScoringRunFactory()
    _day_of(advisor, 5, run)
    few = queries_of_get(client, reverse("today"))
    _day_of(advisor, 25, run)
    many = queries_of_get(client, reverse("today"))
    assert few == many <= 7, (few, many)
