"""The dashboard's reads of the follow-up work (R6.2): the funnel of the last rounds, the
advisors' open work and how timely they close it.

The segment charts read the runs' stored summaries (``segmentation.summaries``); the work
figures here are set-based aggregates over up to a few million targets and tasks (about 550,000
per round at a million customers), so each is kept in Django's cache for a few minutes and the
page shows when it was counted. A round's funnel changes only while its plans run and its
outcomes are measured (three months), so older rounds are kept for a day.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from accounts.roles import sees_all_customers
from core.local_time import local_moment
from core.months import add_months
from customers.bulk import interpreted
from segmentation.models import RunKind
from winback.models import PlanStatus, Round, Target, TargetGroup, Task, TaskStatus

#: Monthly rounds in the funnel, newest last.
FUNNEL_ROUNDS = 6
#: Seconds a round's funnel is kept while it may still change, and once it is final.
FUNNEL_SECONDS, FINAL_FUNNEL_SECONDS = 600, 86_400
#: Seconds the advisors' workload and timeliness are kept.
WORK_SECONDS = 300
#: Days of closed tasks the timeliness covers.
TIMELINESS_DAYS = 30
#: The funnel's steps, in order.
FUNNEL_STEPS = ("created", "contacted", "reached", "came_back")


def followup_funnel(
    *, rounds: int = FUNNEL_ROUNDS, today: dt.date | None = None, refresh: bool = False
) -> list[dict]:
    """Per monthly round (oldest first): ``round``, ``month``, ``counted_at`` and the steps of
    its contacted targets — ``created`` (a first task was created), ``contacted`` (a contact
    was logged), ``reached`` (the customer answered or refused), ``came_back`` (a paid visit or
    a purchase within the measured months). One aggregate over the rounds not in the cache
    (``refresh``: over every round still changing)."""
    today = today or timezone.localdate()
    latest = list(
        Round.objects.filter(run__kind=RunKind.MONTHLY)
        .select_related("run")
        .only("pk", "starts_on", "run__month")
        .order_by("-starts_on", "-pk")[:rounds]
    )
    keys = {r.pk: f"dashboard:funnel:{r.pk}" for r in latest}
    cached = cache.get_many(list(keys.values()))
    if refresh:
        cached = {
            key: entry
            for r in latest
            if (entry := cached.get(key := keys[r.pk])) is not None and _final(r, today)
        }
    missing = [r.pk for r in latest if keys[r.pk] not in cached]
    counted: dict[int, dict] = {}
    if missing:
        rows = (
            Target.objects.filter(round_id__in=missing, group=TargetGroup.CONTACTED)
            .values("round_id")
            .annotate(
                created=Count("pk"),
                contacted=Count("pk", filter=Q(first_contact_at__isnull=False)),
                reached=Count(
                    "pk", filter=Q(plan_status__in=[PlanStatus.ANSWERED, PlanStatus.REFUSED])
                ),
                came_back=Count(
                    "pk", filter=Q(returned_1m=True) | Q(returned_2m=True) | Q(returned_3m=True)
                ),
            )
            .order_by()
        )
        with interpreted():
            counted = {row.pop("round_id"): row for row in rows}
    now = timezone.now()
    result = []
    for round_ in reversed(latest):
        key = keys[round_.pk]
        entry = cached.get(key)
        if entry is None:
            steps = counted.get(round_.pk, {})
            entry = {step: steps.get(step, 0) for step in FUNNEL_STEPS}
            entry["counted_at"] = now
            seconds = FINAL_FUNNEL_SECONDS if _final(round_, today) else FUNNEL_SECONDS
            cache.set(key, entry, seconds)
        result.append({"round": round_.pk, "month": round_.run.month, **entry})
    return result


def _final(round_: Round, today: dt.date) -> bool:
    """A round whose plans have ended and whose outcomes are all measured (three months)."""
    return add_months(round_.starts_on, 4) < today


def advisor_work(*, user: Any, today: dt.date | None = None) -> dict[str, Any]:
    """The open work and the timeliness of each assignee of the tasks ``user`` may see:
    ``rows`` of ``{assignee, name, open, overdue, on_time, late, expired}`` (closed tasks of
    the last :data:`TIMELINESS_DAYS` days: done or skipped by their due day, after it, or
    expired), the busiest first, and ``counted_at``."""
    today = today or timezone.localdate()
    scope = "all" if sees_all_customers(user) else f"user-{user.pk}"
    key = f"dashboard:work:{scope}:{today:%Y%m%d}"
    work = cache.get(key)
    if work is None:
        work = _advisor_work(Task.objects.visible_to(user), today)
        cache.set(key, work, WORK_SECONDS)
    return work


def dashboard_figures_refresh(*, today: dt.date | None = None) -> None:
    """Recount the funnel of the rounds still changing and everyone's work into the cache, as
    read by the users who see every customer (managers, service marketing): for a periodic
    task every few minutes, so that no page view pays the counts (about 0.9 s each at a
    million customers)."""
    today = today or timezone.localdate()
    followup_funnel(today=today, refresh=True)
    cache.set(
        f"dashboard:work:all:{today:%Y%m%d}", _advisor_work(Task.objects.all(), today), WORK_SECONDS
    )


def _advisor_work(tasks: QuerySet, today: dt.date) -> dict[str, Any]:
    start_of_today = local_moment(today)
    # The open tasks' partial index holds (assignee, priority, due_at): an index-only count.
    open_rows = (
        tasks.filter(status=TaskStatus.OPEN)
        .values("assignee_id")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=start_of_today)))
        .order_by()
    )
    since = start_of_today - dt.timedelta(days=TIMELINESS_DAYS)
    handled = [TaskStatus.DONE, TaskStatus.SKIPPED]
    on_time = Q(status__in=handled, closed_at__date__lte=F("due_on"))
    # Closing or expiring a task stamps updated_at, so its (updated_at, id) index bounds the
    # closed tasks of the window.
    closed_rows = (
        tasks.filter(updated_at__gte=since, closed_at__gte=since)
        .exclude(status=TaskStatus.OPEN)
        .values("assignee_id")
        .annotate(
            on_time=Count("pk", filter=on_time),
            late=Count("pk", filter=Q(status__in=handled) & ~on_time),
            expired=Count("pk", filter=Q(status=TaskStatus.EXPIRED)),
        )
        .order_by()
    )
    rows: dict[int, dict[str, Any]] = {}
    with interpreted():
        for row in open_rows:
            rows[row["assignee_id"]] = {"open": row["open"], "overdue": row["overdue"]}
        for row in closed_rows:
            rows.setdefault(row["assignee_id"], {}).update(
                on_time=row["on_time"], late=row["late"], expired=row["expired"]
            )
    names = {
        person.pk: person.get_full_name() or person.get_username()
        for person in get_user_model().objects.filter(pk__in=list(rows))
    }
    zero = {"open": 0, "overdue": 0, "on_time": 0, "late": 0, "expired": 0}
    people = [
        {"assignee": pk, "name": names.get(pk, str(pk)), **zero, **counts}
        for pk, counts in rows.items()
    ]
    people.sort(key=lambda row: (-row["open"], row["name"]))
    return {"rows": people, "counted_at": timezone.now(), "days": TIMELINESS_DAYS}
