"""Run the monthly scoring and the daily early warning (R4, R4.5, R4.7)."""

from __future__ import annotations

import datetime as dt
import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import fields

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from segmentation import loaders
from segmentation.models import (
    CustomerScore,
    RunKind,
    RunStatus,
    ScoringConfiguration,
    ScoringRun,
)
from segmentation.pipeline import score

logger = logging.getLogger(__name__)

#: A run still "running" after this long died without saying so; it no longer holds the lock.
STALE_AFTER = dt.timedelta(hours=2)


class ScoringAlreadyRunning(Exception):
    """Another run of the same month and kind holds the lock."""


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def scoring_run_execute(
    *,
    month: dt.date,
    as_of: dt.date | None = None,
    kind: str = RunKind.MONTHLY,
    progress: Callable[[str], None] | None = None,
) -> ScoringRun:
    """Score every customer for ``month`` and make the result the month's current run.

    The run row is the lock (one running run per month and kind, enforced by a unique
    constraint). Results are written under the new run and switched to current in one
    transaction at the end, so a failure at any point leaves the previous results in force and
    records the error on the failed run. Monthly runs default ``as_of`` to the month's last day
    (or today in the current month); warnings to today.
    """
    month = month_start(month)
    today = timezone.localdate()
    if as_of is None:
        next_month = (month + dt.timedelta(days=32)).replace(day=1)
        as_of = min(today, next_month - dt.timedelta(days=1)) if kind == RunKind.MONTHLY else today
    run = _run_start(month=month, as_of=as_of, kind=kind)
    step = progress or (lambda _name: None)
    timings: dict[str, float] = {}
    try:
        started = time.perf_counter()
        step(_("loading inputs"))
        inputs = loaders.inputs_load()
        timings["load"] = time.perf_counter() - started
        previous_run = _previous_run(month, kind)
        previous = loaders.previous_load(previous_run.pk) if previous_run else None
        settings = ScoringConfiguration.active_settings()
        step(_("scoring"))
        t0 = time.perf_counter()
        result = score(inputs, settings, as_of, previous=previous)
        timings["score"] = time.perf_counter() - t0
        step(_("writing results"))
        t0 = time.perf_counter()
        with transaction.atomic():
            written = loaders.scores_write(run.pk, result.customers)
            ScoringRun.objects.filter(month=month, kind=kind, is_current=True).update(
                is_current=False
            )
            timings["write"] = time.perf_counter() - t0
            timings["total"] = time.perf_counter() - started
            run.status = RunStatus.SUCCEEDED
            run.is_current = True
            run.finished_at = timezone.now()
            run.timings = timings
            run.settings = settings.to_dict()
            run.model = result.model
            run.counts = {
                "customers": written,
                "status": result.customers["status"].value_counts().to_dict(),
                "rfm_segment": result.customers["rfm_segment"].value_counts().to_dict(),
                "previous_run": previous_run.pk if previous_run else None,
                **{f"{f.name}_rows": len(getattr(inputs, f.name)) for f in fields(inputs)},
            }
            run.save()
        _superseded_delete(month, kind, keep=run.pk)
        return run
    except Exception as error:
        logger.exception("scoring run %s failed", run.pk)
        ScoringRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED,
            finished_at=timezone.now(),
            timings=timings,
            error=f"{error}\n\n{traceback.format_exc()}",
        )
        raise


def _run_start(*, month: dt.date, as_of: dt.date, kind: str) -> ScoringRun:
    ScoringRun.objects.filter(
        month=month,
        kind=kind,
        status=RunStatus.RUNNING,
        started_at__lt=timezone.now() - STALE_AFTER,
    ).update(status=RunStatus.FAILED, error="abandoned: still running after the time limit")
    try:
        with transaction.atomic():
            return ScoringRun.objects.create(month=month, as_of=as_of, kind=kind)
    except IntegrityError as error:
        raise ScoringAlreadyRunning(
            _("A %(kind)s run of %(month)s is already running.")
            % {"kind": kind, "month": f"{month:%Y-%m}"}
        ) from error


def _previous_run(month: dt.date, kind: str) -> ScoringRun | None:
    """The baseline for growth: the current run of the latest earlier month."""
    return (
        ScoringRun.objects.current()
        .filter(
            kind=RunKind.MONTHLY,
            month__lt=month if kind == RunKind.MONTHLY else month + dt.timedelta(days=1),
        )
        .order_by("-month")
        .first()
    )


def _superseded_delete(month: dt.date, kind: str, *, keep: int) -> None:
    """Drop the results of replaced and failed runs of the month (the run rows stay as history)."""
    old = ScoringRun.objects.filter(month=month, kind=kind).exclude(pk=keep).values("pk")
    CustomerScore.objects.filter(run_id__in=old).delete()
