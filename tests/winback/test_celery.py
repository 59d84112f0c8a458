"""The round follows each successful scoring run through ``SCORING_RUN_FOLLOW_UPS`` once the run
is committed; the Celery tasks of the follow-up work take ids, call one service and are
idempotent."""

from __future__ import annotations

import datetime as dt
import time
from io import StringIO

import pytest
from celery import current_app as celery_app
from django.conf import settings
from django.core.management import call_command

from segmentation.models import RunStatus, ScoringRun
from segmentation.tasks import score_month
from tests.celery_worker import celery_worker, needs_real_worker
from tests.factories import ScoringRunFactory
from winback.defaults import winback_defaults_install
from winback.models import Round, Target, Task
from winback.tasks import daily_task, round_generate_task

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture
def eager():
    """Tasks in-process, also where a broker is configured (the CI PostgreSQL run)."""
    was = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = was


@pytest.fixture
def dealership(eager):
    call_command("seed_demo", customers=150, seed=3, as_of=AS_OF, stdout=StringIO())


def test_the_round_is_wired_as_a_follow_up_of_scoring():
    assert "winback.tasks.round_generate_task" in settings.SCORING_RUN_FOLLOW_UPS


def test_scoring_a_month_enqueues_its_round_once_the_run_is_committed(
    dealership, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run_id = score_month.delay("2026-06").get()
    run = ScoringRun.objects.get(pk=run_id)
    assert run.status == RunStatus.SUCCEEDED
    # Nothing is planned before the commit: the round waits for the run to be visible.
    assert not Round.objects.exists()
    assert len(callbacks) == len(settings.SCORING_RUN_FOLLOW_UPS)
    for callback in callbacks:
        callback()
    round_ = Round.objects.get(run=run)
    assert round_.report["candidates"] > 0 and round_.report["created"] > 0
    assert Task.objects.filter(run=run).count() == round_.report["created"]
    assert (
        Target.objects.filter(round=round_).count()
        == round_.report["created"] + round_.report["control"]
    )


def test_with_the_commit_the_round_exists_after_the_scoring_task(
    dealership, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run_id = score_month.delay("2026-06").get()
    assert Round.objects.filter(run_id=run_id).exists()
    # A retried follow-up returns the same round and creates nothing.
    tasks = Task.objects.count()
    assert round_generate_task.delay(run_id).get() == Round.objects.get(run_id=run_id).pk
    assert Task.objects.count() == tasks


def test_the_round_task_skips_missing_and_unsuccessful_runs(eager, caplog):
    failed = ScoringRunFactory(status=RunStatus.FAILED, is_current=False)
    assert round_generate_task.delay(failed.pk).get() is None
    assert round_generate_task.delay(failed.pk + 1000).get() is None
    assert not Round.objects.exists()
    assert "did not succeed" in caplog.text and "does not exist" in caplog.text


def test_the_daily_task_reports_what_it_did(eager):
    assert daily_task.delay().get() == {
        "expired": 0,
        "complaints_overdue": 0,
        "leads_dropped": 0,
        "outcomes_measured": 0,
    }


@pytest.mark.django_db(transaction=True)
@needs_real_worker
def test_a_real_worker_scores_the_month_and_then_plans_its_round():
    # A transactional test before this one may have flushed the migration's default rules.
    winback_defaults_install()
    call_command("seed_demo", customers=120, seed=4, as_of=AS_OF, stdout=StringIO())
    # The round task goes to the default queue once the scoring task's run is committed.
    with celery_worker(also=(celery_app.conf.task_default_queue,)) as queue:
        run_id = score_month.apply_async(args=["2026-06"], queue=queue).get(timeout=120)
        deadline = time.monotonic() + 60
        while not Round.objects.filter(run_id=run_id).exists() and time.monotonic() < deadline:
            time.sleep(0.5)
    round_ = Round.objects.get(run_id=run_id)
    assert round_.report["candidates"] > 0
    assert Task.objects.filter(run_id=run_id).count() == round_.report["created"]
