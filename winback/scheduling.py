"""Placing one task in time and on a channel: the single-customer counterpart of the round
planner, with the same rules (it calls the planner's channel functions on one row).

Used when a task is created one at a time: the next step of a plan, a lead's next call, an
alert. The contact cap holds here too: a step that would exceed it is moved to the first day
the customer's rolling window has room again, never dropped silently.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
from django.db import IntegrityError, transaction
from django.utils import timezone

from contacts.models import ContactLog, ContactOutcome
from core.local_time import local_moment
from customers.models import ChannelOptOut, ContactPreference, Customer
from winback import planning
from winback.models import Task, TaskStatus
from winback.work_settings import WINDOW_START_HOURS, WorkSettings


def _preference(customer: Customer) -> ContactPreference | None:
    try:
        return customer.contact_preference
    except ContactPreference.DoesNotExist:
        return None


def channel_suggest(
    *,
    customer: Customer,
    settings: WorkSettings,
    as_of: dt.datetime,
    wanted: str = "",
    avoid: tuple[str, ...] = (),
) -> str | None:
    """The channel to suggest for one contact with ``customer``, by the planner's rule
    (:func:`winback.planning.channel_choose`); None when no channel is allowed."""
    preference = _preference(customer)
    people = pd.DataFrame(
        {
            "customer_id": [customer.pk],
            "has_mobile": [bool(customer.mobile)],
            "has_phone_alt": [bool(customer.phone_alt)],
            "has_wechat": [bool(customer.wechat_id)],
            "has_email": [bool(customer.email)],
            "has_address": [bool(customer.address)],
        }
    )
    prefs = planning.channel_prefs_from_lists(
        [customer.pk],
        [preference.preferred_channels if preference else []],
        [preference.disliked_channels if preference else []],
    )
    opt_outs = pd.DataFrame(
        ChannelOptOut.objects.filter(customer=customer, opted_out_on__lte=as_of.date()).values(
            "customer_id", "channel"
        ),
        columns=["customer_id", "channel"],
    )
    last = (
        ContactLog.objects.filter(
            customer=customer, outcome=ContactOutcome.REACHED, contacted_at__lt=as_of
        )
        .order_by("-contacted_at", "-id")
        .values("customer_id", "channel")[:1]
    )
    answered = pd.DataFrame(list(last), columns=["customer_id", "channel"])
    ranks = planning.channel_ranks(people, prefs, opt_outs, answered, settings.fallback_channels)
    chosen = planning.channel_choose(
        ranks, pd.Series([wanted or None], index=ranks.index), avoid=avoid
    )
    return chosen.iloc[0]


def refuses_contact(customer: Customer) -> bool:
    """The customer asked not to be contacted on any channel (R1.4)."""
    preference = _preference(customer)
    return bool(preference and preference.do_not_contact)


def cap_free_day(
    *, customer: Customer, day: dt.date, settings: WorkSettings, now: dt.datetime
) -> dt.date:
    """``day``, or the first later day on which one more contact keeps the customer within
    the cap (contacts logged in the rolling window plus their open tasks)."""
    window = dt.timedelta(days=settings.contact_cap_days)
    since = local_moment(day) - window
    logged = sorted(
        ContactLog.objects.filter(customer=customer, contacted_at__gte=min(since, now - window))
        .filter(contacted_at__lte=now)
        .values_list("contacted_at", flat=True)
    )
    open_tasks = Task.objects.filter(customer=customer, status=TaskStatus.OPEN).count()
    room = settings.contact_cap - open_tasks
    if room <= 0:
        # Open tasks fill the cap: this contact waits a whole window.
        return day + window
    candidate = day
    while True:
        start = local_moment(candidate) - window
        in_window = [t for t in logged if t >= start]
        if len(in_window) < room:
            return candidate
        # The oldest contact in the window leaves it the day after it turns ``window`` old.
        candidate = timezone.localdate(in_window[0] + window) + dt.timedelta(days=1)


def due_for(
    *, customer: Customer, day: dt.date, settings: WorkSettings, at: dt.datetime | None = None
) -> tuple[dt.date, str, dt.datetime]:
    """(due day, time window, due time) of a contact on ``day`` or the next day the customer
    prefers, in their first preferred window. ``at`` fixes an exact time instead (a lead's
    2-hour call)."""
    preference = _preference(customer)
    days = pd.Series([preference.preferred_days if preference else "any"])
    due_on = pd.Timestamp(planning.due_days(day, np.array([0]), days)[0]).date()
    if at is not None and due_on == timezone.localdate(at):
        return due_on, "", at
    windows = preference.time_windows if preference else []
    window = windows[0] if windows else settings.default_window
    due_at = local_moment(due_on, dt.time(WINDOW_START_HOURS[window]))
    return due_on, window, due_at


def task_create(
    *,
    customer: Customer,
    kind: str,
    assignee: Any,
    due_on: dt.date,
    due_at: dt.datetime,
    window: str,
    channel: str,
    priority: float,
    open_days: int,
    now: dt.datetime,
    **extra: Any,
) -> Task | None:
    """Create one open task; None when the customer already has an open task of the kind (the
    partial unique constraint decides, so two concurrent creators cannot both win)."""
    task = Task(
        customer=customer,
        kind=kind,
        assignee=assignee,
        due_on=due_on,
        due_at=due_at,
        window=window,
        channel=channel,
        priority=priority,
        expires_on=due_on + dt.timedelta(days=open_days),
        created_at=now,
        updated_at=now,
        **extra,
    )
    try:
        with transaction.atomic():
            task.save()
    except IntegrityError:
        if Task.objects.filter(customer=customer, kind=kind, status=TaskStatus.OPEN).exists():
            return None
        raise
    return task
