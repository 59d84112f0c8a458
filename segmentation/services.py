"""Run the monthly scoring and the daily early warning (R4, R4.5, R4.7)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
import traceback
from collections.abc import Callable
from dataclasses import fields

import numpy as np
from celery import current_app
from django.conf import settings as django_settings
from django.db import Error as DbError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as KombuOperationalError

from core.months import month_end, month_start, previous_month
from core.queue import tasks_run_and_wait
from segmentation import loaders, locks, pipeline, summaries
from segmentation.future_value import TIER_STATUSES, value_tier_edges
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

#: Without advisory locks (SQLite), a run still "running" after this long died without saying
#: so and no longer holds the month. On PostgreSQL a dead run is known at once (``locks``).
STALE_AFTER = dt.timedelta(hours=2)

#: Test hook: seconds to sleep at the start of a phase, as ``load:5`` or ``write:5``, so the
#: fault tests can kill a run in that phase (tests/segmentation/test_liveness.py). Read from the
#: environment only; unset in production.
PAUSE_ENV = "DEALERCRM_SCORING_PAUSE"

DIED = "process or session died"


class ScoringAlreadyRunning(Exception):
    """Another run of the same month and kind holds the lock: this run is skipped, not done."""


class ScoringRunAlive(Exception):
    """A release was asked for a run whose database session is still alive."""


def scoring_run_execute(
    *,
    month: dt.date,
    as_of: dt.date | None = None,
    kind: str = RunKind.MONTHLY,
    shards: int = 1,
    progress: Callable[[str], None] | None = None,
) -> ScoringRun:
    """Score every customer for ``month`` and make the result the month's current run.

    One run per month and kind at a time: on PostgreSQL the run holds a session advisory lock
    for its whole life, so a run whose process or session died frees the month at once (its row
    is marked failed by the next run); the ``running`` row is also unique per month and kind,
    which on SQLite is the whole lock. A run that cannot take the lock raises
    ``ScoringAlreadyRunning`` (skipped, not done). Results are written under the new run and switched to current in one
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
    if not locks.run_lock_try(month, kind):
        raise _already_running(month, kind)
    try:
        run = _run_locked(month=month, as_of=as_of, kind=kind, shards=shards, progress=progress)
    finally:
        locks.run_lock_release(month, kind)
    _summary_fill(run)
    return run


def _run_locked(
    *,
    month: dt.date,
    as_of: dt.date,
    kind: str,
    shards: int,
    progress: Callable[[str], None] | None,
) -> ScoringRun:
    """The run itself, with the month's lock held."""
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
            run.forecast_flagged = bool(run.model.get("backtest", {}).get("flagged"))
            run.save()
        if run.forecast_flagged:
            logger.warning(
                "scoring run %s (%s): the forecast missed its 12-month backtest by more than "
                "the bound; see the run's backtest in the admin",
                run.pk,
                f"{month:%Y-%m}",
            )
        t0 = time.perf_counter()
        _superseded_delete(month, kind, keep=run.pk)
        timings["cleanup"] = time.perf_counter() - t0
        ScoringRun.objects.filter(pk=run.pk).update(timings=timings)
    except Exception as error:
        logger.exception("scoring run %s failed", run.pk)
        _run_fail(run.pk, timings, f"{error}\n\n{traceback.format_exc()}")
        raise
    return run


def _run_fail(run_id: int, timings: dict, error: str) -> None:
    """Record a failed run and drop its partial rows. When the run's session died (terminated,
    network gone) the default connection is replaced by a fresh one first, so the error is not
    written over the dead one and the run never stays ``running``."""
    finished = timezone.now()
    if locks.connection_revive():
        try:
            ScoringRun.objects.filter(pk=run_id).update(
                status=RunStatus.FAILED, finished_at=finished, timings=timings, error=error
            )
            CustomerScore.objects.filter(run_id=run_id).delete()
            return
        except DbError:
            logger.exception("scoring run %s: failure not recorded on its connection", run_id)
    locks.fresh_execute(
        f"UPDATE {ScoringRun._meta.db_table} SET status = %s, finished_at = %s, error = %s"
        " WHERE id = %s",
        [RunStatus.FAILED, finished, error, run_id],
    )
    locks.fresh_execute(f"DELETE FROM {CustomerScore._meta.db_table} WHERE run_id = %s", [run_id])


def _phase_pause(phase: str) -> None:
    """Sleep when ``PAUSE_ENV`` names this phase (fault tests only)."""
    name, _sep, seconds = os.environ.get(PAUSE_ENV, "").partition(":")
    if name == phase:
        time.sleep(float(seconds or 1))


def _already_running(month: dt.date, kind: str) -> ScoringAlreadyRunning:
    return ScoringAlreadyRunning(
        _("%(kind)s of %(month)s is already running; this run is skipped.")
        % {"kind": RunKind(kind).label, "month": f"{month:%Y-%m}"}
    )


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
    _phase_pause("load")
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
    _phase_pause("write")
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
    candidates = loaders.tier_candidates_load(run.pk, TIER_STATUSES)
    edges = value_tier_edges(candidates, settings)
    loaders.value_tiers_write(run.pk, TIER_STATUSES, edges)
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
    """A sharded run needs the Celery broker and workers, and one of them does not answer."""


#: Seconds a sharded run waits for the broker to accept a connection before giving up.
BROKER_TIMEOUT = 3.0


def _workers_check() -> None:
    """Fail fast, with a clear message, when a sharded run cannot reach the broker or no worker
    answers (without the check a dead broker ends in a kombu traceback after retries)."""
    if current_app.conf.task_always_eager:
        return
    options = {"socket_connect_timeout": BROKER_TIMEOUT, "socket_timeout": BROKER_TIMEOUT}
    with current_app.connection_for_write(transport_options=options) as conn:
        broker = f"{conn.transport_cls}://{conn.host}"
        try:
            conn.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT
            )
        except (KombuOperationalError, OSError) as error:
            raise NoScoringWorkers(
                _(
                    "A sharded run needs the Celery broker (%(broker)s), and it does not answer: "
                    "start it, or score without --shards."
                )
                % {"broker": broker}
            ) from error
    if not current_app.control.ping(timeout=2.0):
        raise NoScoringWorkers(
            _("A sharded run needs Celery workers, and none answers; start `celery worker`.")
        )


def _shard_tasks_run(task_name: str, run_id: int, shards: int) -> list:
    """Run one task per shard on the Celery workers (in-process when eager) and wait."""
    _workers_check()
    return tasks_run_and_wait(
        f"segmentation.{task_name}",
        ((run_id, shard, shards) for shard in range(shards)),
        timeout=django_settings.CELERY_TASK_TIME_LIMIT,
        queue=django_settings.SCORING_SHARD_QUEUE,
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
    """Create the run row (its ``running`` status is unique per month and kind). With the
    advisory lock held, any other row still ``running`` is a run whose process or session died:
    it is marked failed at once. Without advisory locks only rows older than ``STALE_AFTER``."""
    running = ScoringRun.objects.filter(month=month, kind=kind, status=RunStatus.RUNNING)
    if locks.advisory_locks():
        dead, reason = running, DIED
    else:
        dead = running.filter(started_at__lt=timezone.now() - STALE_AFTER)
        reason = "abandoned: still running after the time limit"
    for pk in dead.values_list("pk", flat=True):
        logger.warning("scoring run %s marked failed: %s", pk, reason)
    dead.update(status=RunStatus.FAILED, finished_at=timezone.now(), error=reason)
    try:
        with transaction.atomic():
            return ScoringRun.objects.create(
                month=month, as_of=as_of, kind=kind, settings=settings, counts=counts
            )
    except IntegrityError as error:
        raise _already_running(month, kind) from error


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


def scoring_run_release(*, month: dt.date, kind: str = RunKind.MONTHLY, by: str) -> list[int]:
    """Release the month's stuck run (a manager's way out): mark every ``running`` run of the
    month and kind failed, drop its partial rows and log who did it. Returns the released ids.

    On PostgreSQL a run whose session still holds the month's lock is alive, not stuck: it is
    refused (``ScoringRunAlive``) with the session's process id, so nobody scores a month twice at
    once. Dead runs need no release there (the next run takes over), but releasing them is
    harmless."""
    month = month_start(month)
    holder = locks.run_lock_holder(month, kind)
    if holder is not None:
        raise ScoringRunAlive(
            _(
                "%(kind)s of %(month)s is alive (database session %(pid)s); stop its process "
                "first, or end the session with pg_terminate_backend(%(pid)s)."
            )
            % {"kind": RunKind(kind).label, "month": f"{month:%Y-%m}", "pid": holder}
        )
    reason = f"released by {by}"
    with transaction.atomic():
        running = ScoringRun.objects.select_for_update().filter(
            month=month, kind=kind, status=RunStatus.RUNNING
        )
        released = list(running.values_list("pk", flat=True))
        running.update(status=RunStatus.FAILED, finished_at=timezone.now(), error=reason)
        CustomerScore.objects.filter(run_id__in=released).delete()
    logger.warning("scoring runs %s (%s %s) %s", released or "none", kind, f"{month:%Y-%m}", reason)
    return released


def scoring_month_missing(today: dt.date) -> dt.date | None:
    """The month that just ended when it has no current monthly run (the 02:00 job on the 1st
    did not score it), else None."""
    last = previous_month(today)
    scored = ScoringRun.objects.current().filter(kind=RunKind.MONTHLY, month=last).exists()
    return None if scored else last
