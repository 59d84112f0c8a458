"""Celery tasks: the monthly scoring (beat: 02:00 on the 1st), the daily early warning, and
the two per-shard steps of a sharded run.

Every scoring task is acknowledged late and rejected when its worker is lost, so a worker killed
mid-run puts the message back and the month is scored on redelivery (the dead run's lock went
with its database session, see ``segmentation.locks``). A run skipped because another run of the
month holds the lock raises ``ScoringAlreadyRunning``: the task ends FAILURE with "skipped" in
its message, never SUCCESS having done nothing.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from core.months import parse_month, previous_month
from segmentation import services
from segmentation.models import RunKind, ScoringRun
from segmentation.services import (
    ScoringAlreadyRunning,
    scoring_month_missing,
    scoring_run_execute,
)

logger = logging.getLogger(__name__)

#: Options of every scoring task: acknowledged after it ran, redelivered if its worker died.
RELIABLE = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(name="segmentation.score_month", **RELIABLE)
def score_month(month: str | None = None, shards: int | None = None) -> int:
    """Score a month (``YYYY-MM``; default: the month that just ended). Returns the run id.

    Idempotent: a rerun replaces the month's results. While another run of the month is alive
    this one is skipped and raises ``ScoringAlreadyRunning`` (logged as skipped).
    ``shards`` defaults to the ``SCORING_SHARDS`` setting.
    """
    day = parse_month(month) if month else previous_month(timezone.localdate())
    run = _execute(month=day, shards=shards or settings.SCORING_SHARDS)
    _follow_ups_enqueue(run.pk)
    return run.pk


@shared_task(name="segmentation.early_warning", **RELIABLE)
def early_warning() -> int:
    """Daily rescoring with today's data, kept as the month's warning run (R4.5). First it
    checks that the month that just ended was scored, and logs an error if not."""
    today = timezone.localdate()
    missing = scoring_month_missing(today)
    if missing is not None:
        logger.error(
            "month %s has not been scored: run `manage.py score_month --month %s`",
            f"{missing:%Y-%m}",
            f"{missing:%Y-%m}",
        )
    run = _execute(month=today, as_of=today, kind=RunKind.WARNING, shards=settings.SCORING_SHARDS)
    _follow_ups_enqueue(run.pk)
    return run.pk


def _execute(**kwargs: Any) -> ScoringRun:
    """Run the scoring; a run skipped for the lock is logged as skipped and raised, so the task
    never reports success for work it did not do."""
    try:
        return scoring_run_execute(**kwargs)
    except ScoringAlreadyRunning as error:
        logger.warning("scoring skipped: %s", error)
        raise


def _follow_ups_enqueue(run_id: int) -> None:
    """Enqueue the ``SCORING_RUN_FOLLOW_UPS`` tasks with the run id once the run is committed
    (the win-back round, wired in the settings so this app imports none above it)."""
    for path in settings.SCORING_RUN_FOLLOW_UPS:
        task = import_string(path)
        transaction.on_commit(partial(task.delay, run_id))


@shared_task(name="segmentation.score_shard_summarize", **RELIABLE)
def score_shard_summarize(run_id: int, shard: int, shards: int) -> dict:
    """A sharded run's first step for one shard: its part of the global statistics."""
    return services.scoring_shard_summarize(run_id=run_id, shard=shard, shards=shards)


@shared_task(name="segmentation.score_shard_write", **RELIABLE)
def score_shard_write(run_id: int, shard: int, shards: int) -> dict:
    """A sharded run's second step for one shard: score and write its customers."""
    return services.scoring_shard_write(run_id=run_id, shard=shard, shards=shards)
