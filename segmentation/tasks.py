"""Celery tasks: the monthly scoring (beat: 02:00 on the 1st), the daily early warning, and
the two per-shard steps of a sharded run."""

from __future__ import annotations

from functools import partial

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from dealercrm.months import parse_month, previous_month
from segmentation import services
from segmentation.models import RunKind
from segmentation.services import ScoringAlreadyRunning, scoring_run_execute


@shared_task(name="segmentation.score_month", acks_late=True)
def score_month(month: str | None = None, shards: int | None = None) -> int | None:
    """Score a month (``YYYY-MM``; default: the month that just ended). Returns the run id.

    Idempotent: a rerun replaces the month's results. A run already in progress is left alone.
    ``shards`` defaults to the ``SCORING_SHARDS`` setting.
    """
    day = parse_month(month) if month else previous_month(timezone.localdate())
    try:
        run = scoring_run_execute(month=day, shards=shards or settings.SCORING_SHARDS)
    except ScoringAlreadyRunning:
        return None
    _follow_ups_enqueue(run.pk)
    return run.pk


@shared_task(name="segmentation.early_warning", acks_late=True)
def early_warning() -> int | None:
    """Daily rescoring with today's data, kept as the month's warning run (R4.5)."""
    today = timezone.localdate()
    try:
        run = scoring_run_execute(
            month=today, as_of=today, kind=RunKind.WARNING, shards=settings.SCORING_SHARDS
        )
    except ScoringAlreadyRunning:
        return None
    _follow_ups_enqueue(run.pk)
    return run.pk


def _follow_ups_enqueue(run_id: int) -> None:
    """Enqueue the ``SCORING_RUN_FOLLOW_UPS`` tasks with the run id once the run is committed
    (the win-back round, wired in the settings so this app imports none above it)."""
    for path in settings.SCORING_RUN_FOLLOW_UPS:
        task = import_string(path)
        transaction.on_commit(partial(task.delay, run_id))


@shared_task(name="segmentation.score_shard_summarize", acks_late=True)
def score_shard_summarize(run_id: int, shard: int, shards: int) -> dict:
    """A sharded run's first step for one shard: its part of the global statistics."""
    return services.scoring_shard_summarize(run_id=run_id, shard=shard, shards=shards)


@shared_task(name="segmentation.score_shard_write", acks_late=True)
def score_shard_write(run_id: int, shard: int, shards: int) -> dict:
    """A sharded run's second step for one shard: score and write its customers."""
    return services.scoring_shard_write(run_id=run_id, shard=shard, shards=shards)
