"""Run the monthly scoring and the daily early warning (R4, R4.5, R4.7)."""

from __future__ import annotations

import datetime as dt
import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import fields

import numpy as np
from celery import current_app, group
from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dealercrm.months import month_end, month_start
from segmentation import loaders, pipeline, summaries
from segmentation.models import (
    CustomerScore,
    RunKind,
    RunStatus,
    ScoringConfiguration,
    ScoringRun,
)
from segmentation.pipeline import ScoringInputs, ScoringStats, ShardSummary
from segmentation.scoring_settings import ScoringSettings

logger = logging.getLogger(__name__)

#: A run still "running" after this long died without saying so; it no longer holds the lock.
STALE_AFTER = dt.timedelta(hours=2)


class ScoringAlreadyRunning(Exception):
    """Another run of the same month and kind holds the lock."""


def scoring_run_execute(
    *,
    month: dt.date,
    as_of: dt.date | None = None,
    kind: str = RunKind.MONTHLY,
    shards: int = 1,
    progress: Callable[[str], None] | None = None,
) -> ScoringRun:
    """Score every customer for ``month`` and make the result the month's current run.

    The run row is the lock (one running run per month and kind, enforced by a unique
    constraint). Results are written under the new run and switched to current in one
    transaction at the end, so a failure at any point leaves the previous results in force and
    records the error on the failed run. Monthly runs default ``as_of`` to the month's last day
    (or today in the current month); warnings to today.

    With ``shards`` > 1 the per-customer work is spread over Celery tasks (one per shard of
    customers, ``customer_id % shards``): each shard first summarises its customers, the global
    statistics (quintile edges, model fits) are computed once here from the summaries, then
    each shard scores and writes its customers; the value tiers, which rank everyone, are set
    last in one statement.
    """
    if shards < 1:
        raise ValueError("shards must be at least 1")
    month = month_start(month)
    today = timezone.localdate()
    if as_of is None:
        as_of = min(today, month_end(month)) if kind == RunKind.MONTHLY else today
    settings = ScoringConfiguration.active_settings()
    previous_run = _previous_run(month, kind)
    run = _run_start(
        month=month,
        as_of=as_of,
        kind=kind,
        settings=settings.to_dict(),
        counts={"previous_run": previous_run.pk if previous_run else None, "shards": shards},
    )
    step = progress or (lambda _name: None)
    timings: dict[str, float] = {}
    try:
        started = time.perf_counter()
        if shards == 1:
            counts = _score_in_process(run, settings, step, timings)
        else:
            counts = _score_sharded(run, settings, shards, step, timings)
        t0 = time.perf_counter()
        with transaction.atomic():
            ScoringRun.objects.filter(month=month, kind=kind, is_current=True).update(
                is_current=False
            )
            timings["write"] = timings.get("write", 0.0) + time.perf_counter() - t0
            timings["total"] = time.perf_counter() - started
            run.status = RunStatus.SUCCEEDED
            run.is_current = True
            run.finished_at = timezone.now()
            run.timings = timings
            run.counts = {**run.counts, **counts}
            run.save()
        t0 = time.perf_counter()
        _superseded_delete(month, kind, keep=run.pk)
        timings["cleanup"] = time.perf_counter() - t0
        ScoringRun.objects.filter(pk=run.pk).update(timings=timings)
    except Exception as error:
        logger.exception("scoring run %s failed", run.pk)
        ScoringRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED,
            finished_at=timezone.now(),
            timings=timings,
            error=f"{error}\n\n{traceback.format_exc()}",
        )
        CustomerScore.objects.filter(run_id=run.pk).delete()
        raise
    _summary_fill(run)
    return run


def _summary_fill(run: ScoringRun) -> None:
    """Store the finished run's summary for the pages (after the commit that made it current).
    The run has succeeded either way: a summary that fails is built by the first page that
    reads it, so the failure is logged, not raised."""
    try:
        summaries.run_summary_refresh(run)
    except Exception:
        logger.exception("summary of scoring run %s failed", run.pk)


def _score_in_process(
    run: ScoringRun, settings: ScoringSettings, step: Callable[[str], None], timings: dict
) -> dict:
    t0 = time.perf_counter()
    step(_("loading inputs"))
    inputs = loaders.inputs_load()
    timings["load"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    previous_id = run.counts["previous_run"]
    previous = loaders.previous_load(previous_id) if previous_id else None
    timings["previous"] = time.perf_counter() - t0
    step(_("scoring"))
    t0 = time.perf_counter()
    result = pipeline.score(inputs, settings, run.as_of, previous=previous)
    timings["score"] = time.perf_counter() - t0
    step(_("writing results"))
    t0 = time.perf_counter()
    written = loaders.scores_write(run.pk, result.customers)
    timings["write"] = time.perf_counter() - t0
    run.model = result.model
    return _counts(result.customers, written, inputs)


def _score_sharded(
    run: ScoringRun,
    settings: ScoringSettings,
    shards: int,
    step: Callable[[str], None],
    timings: dict,
) -> dict:
    t0 = time.perf_counter()
    step(_("summarising %(shards)s shards") % {"shards": shards})
    summaries = _shard_tasks_run("score_shard_summarize", run.pk, shards)
    timings["summarize"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    step(_("fitting the models"))
    stats = pipeline.global_stats([ShardSummary.from_dict(s) for s in summaries], settings)
    run.model = stats.as_dict()
    ScoringRun.objects.filter(pk=run.pk).update(model=run.model)
    timings["fit"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    step(_("scoring %(shards)s shards") % {"shards": shards})
    parts = _shard_tasks_run("score_shard_write", run.pk, shards)
    timings["score"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    step(_("ranking value tiers"))
    candidates = loaders.tier_candidates_load(run.pk, pipeline.TIER_STATUSES)
    edges = pipeline.value_tier_edges(candidates, settings)
    loaders.value_tiers_write(run.pk, pipeline.TIER_STATUSES, edges)
    timings["write"] = time.perf_counter() - t0
    counts: dict = {"customers": 0, "status": {}, "rfm_segment": {}}
    for part in parts:
        for key, value in part.items():
            if isinstance(value, dict):
                for name, n in value.items():
                    counts[key][name] = counts[key].get(name, 0) + n
            else:
                counts[key] = counts.get(key, 0) + value
    return counts


class NoScoringWorkers(Exception):
    """A sharded run needs Celery workers and none answers."""


def _shard_tasks_run(task_name: str, run_id: int, shards: int) -> list:
    """Run one task per shard on the Celery workers (in-process when eager) and wait."""
    # The task module imports this one; importing it here also registers the shard tasks in
    # processes that are not workers (eager runs from the command).
    from segmentation import tasks

    if not current_app.conf.task_always_eager and not current_app.control.ping(timeout=2.0):
        raise NoScoringWorkers(
            _("A sharded run needs Celery workers, and none answers; start `celery worker`.")
        )
    task = getattr(tasks, task_name)
    queue = django_settings.SCORING_SHARD_QUEUE
    options = {"queue": queue} if queue else {}
    signatures = group(task.si(run_id, shard, shards).set(**options) for shard in range(shards))
    return signatures.apply_async().get(
        timeout=django_settings.CELERY_TASK_TIME_LIMIT, disable_sync_subtasks=False
    )


def _counts(customers, written: int, inputs: ScoringInputs | None = None) -> dict:
    counts = {
        "customers": written,
        "status": customers["status"].value_counts().to_dict(),
        "rfm_segment": customers["rfm_segment"].value_counts().to_dict(),
    }
    if inputs is not None:
        counts.update({f"{f.name}_rows": len(getattr(inputs, f.name)) for f in fields(inputs)})
    return counts


def scoring_shard_summarize(*, run_id: int, shard: int, shards: int) -> dict:
    """One shard's contribution to a sharded run's global statistics (JSON-safe)."""
    run = ScoringRun.objects.get(pk=run_id)
    settings = ScoringSettings.from_dict(run.settings)
    inputs = loaders.inputs_load(shard, shards)
    return pipeline.summarize(pipeline.features(inputs, settings, run.as_of), settings).to_dict()


def scoring_shard_write(*, run_id: int, shard: int, shards: int) -> dict:
    """Score one shard of a sharded run with its global statistics and write its customers.

    Idempotent: a retried shard first drops what an earlier attempt wrote.
    """
    run = ScoringRun.objects.get(pk=run_id)
    settings = ScoringSettings.from_dict(run.settings)
    stats = ScoringStats.from_dict(run.model)
    inputs = loaders.inputs_load(shard, shards)
    previous_id = run.counts.get("previous_run")
    previous = loaders.previous_load(previous_id, shard, shards) if previous_id else None
    customers = pipeline.finish(
        pipeline.features(inputs, settings, run.as_of), stats, settings, previous
    )
    customers["value_tier"] = np.nan
    with transaction.atomic():
        loaders.shard_scores_delete(run_id, shard, shards)
        written = loaders.scores_write(run_id, customers)
    return _counts(customers, written, inputs)


def _run_start(
    *, month: dt.date, as_of: dt.date, kind: str, settings: dict, counts: dict
) -> ScoringRun:
    ScoringRun.objects.filter(
        month=month,
        kind=kind,
        status=RunStatus.RUNNING,
        started_at__lt=timezone.now() - STALE_AFTER,
    ).update(status=RunStatus.FAILED, error="abandoned: still running after the time limit")
    try:
        with transaction.atomic():
            return ScoringRun.objects.create(
                month=month, as_of=as_of, kind=kind, settings=settings, counts=counts
            )
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
