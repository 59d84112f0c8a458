"""Celery tasks of the follow-up work: a round after each successful scoring run (chained
from the scoring tasks through ``SCORING_RUN_FOLLOW_UPS``) and the morning's housekeeping
(beat: 06:00), and the launch of an approved campaign. Each takes ids or nothing, calls one
service and is idempotent."""

from __future__ import annotations

import logging

from celery import shared_task

from segmentation.models import ScoringRun
from winback.campaign_services import campaign_launch
from winback.services import RoundNotPossible, daily_work_run, round_generate

logger = logging.getLogger(__name__)


@shared_task(name="winback.round_generate", acks_late=True, reject_on_worker_lost=True)
def round_generate_task(run_id: int) -> int | None:
    """Generate the round of a scoring run; returns the round id (the existing one on a
    retry). A run that did not succeed is logged and skipped, not retried."""
    run = ScoringRun.objects.filter(pk=run_id).first()
    if run is None:
        logger.warning("win-back round: scoring run %s does not exist", run_id)
        return None
    try:
        return round_generate(run=run).pk
    except RoundNotPossible:
        logger.warning("win-back round: scoring run %s did not succeed", run_id)
        return None


@shared_task(name="winback.daily", acks_late=True)
def daily_task() -> dict[str, int]:
    """Expire stale tasks, escalate late complaints, report dropped leads, measure outcomes."""
    return daily_work_run()


@shared_task(name="winback.campaign_launch", acks_late=True, reject_on_worker_lost=True)
def campaign_launch_task(campaign_id: int) -> int | None:
    """Launch an approved campaign; returns its id. Idempotent (a running campaign is left
    alone), so a redelivered message does no harm."""
    campaign = campaign_launch(campaign_id=campaign_id)
    return campaign.pk if campaign else None
