"""The advisor's day (R5.1), phone first: today's and overdue tasks ranked by priority with
why each one is there in words, one-tap call, a short outcome form per task (htmx, in place),
the week's planned visits and the lead calls counting down (R5.8).

Every read goes through the winback selectors; the page costs a fixed number of queries
whatever the number of tasks (the list, the scores of its customers, the calendar, the leads).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from accounts.access import staff_page
from contacts.models import ContactOutcome
from core.formatting import money, num
from customers.masking import contact_display
from customers.models import Channel, TimeWindow
from segmentation.models import ChurnIndicator, CustomerScore, RfmSegment, Status
from segmentation.summaries import nine_cell_label
from winback import selectors
from winback.forms import TaskOutcomeForm
from winback.models import ChurnReason, Task, TaskKind
from winback.services import task_close

#: A churn indicator's sub-score from which it is named as a reason.
INDICATOR_SHOWN_FROM = 0.5
#: Reasons named at most per task.
INDICATORS_SHOWN = 3
#: Kinds whose due time is a lead's cadence deadline (R5.8), counted down on the card.
LEAD_KINDS = (TaskKind.LEAD_CADENCE, TaskKind.LEAD_DROPPED)


def countdown(due_at: dt.datetime, now: dt.datetime) -> str:
    """“5 hours left” or “2 days late”: minutes under an hour, hours under two days."""
    seconds = (due_at - now).total_seconds()
    late, seconds = seconds < 0, abs(seconds)
    if seconds < 3600:
        n = max(1, int(seconds // 60))
        if late:
            return ngettext("%(n)s minute late", "%(n)s minutes late", n) % {"n": n}
        return ngettext("%(n)s minute left", "%(n)s minutes left", n) % {"n": n}
    if seconds < 48 * 3600:
        n = int(seconds // 3600)
        if late:
            return ngettext("%(n)s hour late", "%(n)s hours late", n) % {"n": n}
        return ngettext("%(n)s hour left", "%(n)s hours left", n) % {"n": n}
    n = int(seconds // 86400)
    if late:
        return ngettext("%(n)s day late", "%(n)s days late", n) % {"n": n}
    return ngettext("%(n)s day left", "%(n)s days left", n) % {"n": n}


def _churn_reasons(score: CustomerScore | None) -> list[str]:
    """The churn indicators that weigh most in ``score``, strongest first, in words."""
    if score is None:
        return []
    values = [
        (getattr(score, f"churn_{indicator.value}"), indicator.label)
        for indicator in ChurnIndicator
    ]
    strong = sorted((v for v in values if v[0] >= INDICATOR_SHOWN_FROM), key=lambda v: -v[0])
    return [str(name) for _value, name in strong[:INDICATORS_SHOWN]]


def _why(task: Task, score: CustomerScore | None) -> list[str]:
    """Why a task is worth the call, in words: the churn score with its strongest reasons,
    the churn status, value tier and future value, the nine cell and the RFM segment. From
    the task's round target (the score that caused it), else the customer's latest score."""
    source: Any = task.target or score
    if source is None:
        return []
    status = source.score_status if task.target else source.status
    words = []
    reasons = _churn_reasons(score)
    churn = _("churn score %(score)s") % {"score": num(source.churn_score, 2)}
    if reasons:
        churn = _("%(churn)s: %(reasons)s") % {"churn": churn, "reasons": _("; ").join(reasons)}
    words.append(churn)
    if status:
        words.append(str(Status(status).label))
    if source.value_tier:
        words.append(
            _("value tier %(tier)s, future value %(value)s")
            % {"tier": source.value_tier, "value": money(source.future_value, 0)}
        )
    cell = nine_cell_label(source.nine_cell) if source.nine_cell else ""
    if cell:
        words.append(cell)
    if source.rfm_segment:
        words.append(str(RfmSegment(source.rfm_segment).label))
    return words


@dataclass
class TaskCard:
    """One task as its card shows it: the task and everything said about it in words."""

    task: Task
    contact: dict[str, str]
    why: list[str]
    overdue_days: int
    countdown: str
    urls: dict[str, str]
    form: TaskOutcomeForm | None = None
    done: str = ""

    @property
    def key(self) -> str:
        """The task's id as text, for element ids (a number would be localised each time)."""
        return str(self.task.pk)


#: A stand-in id: each URL of a card is reversed once a page and filled in per card.
_ID = 987654321


def _url_makers() -> dict[str, Any]:
    patterns = {
        "customer": reverse("customer_detail", args=[_ID]),
        "call": reverse("customer_reveal", args=[_ID, "mobile"]),
        "wechat": reverse("customer_reveal", args=[_ID, "wechat_id"]),
        "outcome": reverse("task_outcome", args=[_ID]),
    }
    by_task = {"outcome"}

    def urls(task: Task) -> dict[str, str]:
        return {
            name: pattern.replace(str(_ID), str(task.pk if name in by_task else task.customer_id))
            for name, pattern in patterns.items()
        }

    return urls


def _cards(tasks: list[Task], user: Any, today: dt.date, now: dt.datetime) -> list[TaskCard]:
    scores = selectors.task_scores_current(tasks=tasks)
    urls = _url_makers()
    return [
        TaskCard(
            task=task,
            contact=contact_display(task.customer, user),
            why=_why(task, scores.get(task.customer_id)),
            overdue_days=max(0, (today - task.due_on).days),
            countdown=countdown(task.due_at, now) if task.kind in LEAD_KINDS else "",
            urls=urls(task),
        )
        for task in tasks
    ]


def _week(user: Any, today: dt.date) -> list[dict[str, Any]]:
    """The next seven days: open tasks and planned visits per day."""
    return [
        {
            "day": day,
            "weekday": formats.date_format(day, "D"),
            "tasks": tasks,
            "visits": visits,
            "is_today": day == today,
        }
        for day, (tasks, visits) in selectors.task_week(user=user, start=today).items()
    ]


def _choices() -> dict[str, Any]:
    return {
        "channels": Channel,
        "windows": TimeWindow,
        "outcomes": ContactOutcome,
        "reasons": ChurnReason,
    }


@staff_page()
def today(request: HttpRequest) -> HttpResponse:
    """The signed-in user's day: their own tasks (advisors, service marketing, managers)."""
    return _today_page(request)


def _today_page(
    request: HttpRequest, open_card: TaskCard | None = None, status: int = 200
) -> HttpResponse:
    user, now = request.user, timezone.now()
    day = timezone.localdate(now)
    cards = _cards(selectors.task_list_daily(user=user, today=day), user, day, now)
    if open_card is not None:
        # The card being worked stays on the page even when it is not due yet.
        others = [c for c in cards if c.task.pk != open_card.task.pk]
        at = next((i for i, c in enumerate(cards) if c.task.pk == open_card.task.pk), 0)
        cards = [*others[:at], open_card, *others[at:]]
    deadlines = [
        {"task": task, "countdown": countdown(task.due_at, now), "late": task.due_at < now}
        for task in selectors.lead_deadlines(user=user)
    ]
    week = _week(user, day)
    context = {
        "today": day,
        "cards": cards,
        "capped": len(cards) >= selectors.DAILY_LIST_LIMIT,
        "overdue": sum(1 for c in cards if c.overdue_days),
        "week": week,
        "week_visits": sum(d["visits"] for d in week),
        "deadlines": deadlines,
        **_choices(),
    }
    return render(request, "winback/today.html", context, status=status)


def _field_ids(task: Task) -> str:
    # Several cards' forms may be open on one page: their field ids must differ.
    return f"task{task.pk}-%s"


def _card_response(request: HttpRequest, card: TaskCard) -> HttpResponse:
    if request.htmx:
        return render(request, "winback/_today_task.html", {"card": card, **_choices()})
    return _today_page(request, open_card=card)


@staff_page()
@require_http_methods(["GET", "POST"])
def task_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    """A task's outcome form (GET: the card with the form open, or closed again with
    ``?close=1``) and its submission (POST): closes the task through ``task_close``; the card
    becomes a “done” line (htmx) or the browser goes back to the day's list."""
    task = selectors.task_get(user=request.user, pk=pk)
    now = timezone.now()
    (card,) = _cards([task], request.user, timezone.localdate(now), now)
    if request.method == "GET":
        if request.GET.get("close") != "1":
            card.form = TaskOutcomeForm(auto_id=_field_ids(task))
        return _card_response(request, card)
    form = TaskOutcomeForm(request.POST, auto_id=_field_ids(task))
    if form.is_valid():
        try:
            task_close(task=task, by=request.user, **form.close_arguments())
        except ValidationError as error:
            form.add_service_error(error)
        else:
            if not request.htmx:
                return redirect("today")
            card.done = ContactOutcome(form.cleaned_data["outcome"]).label
            return _card_response(request, card)
    card.form = form
    return _card_response(request, card)
