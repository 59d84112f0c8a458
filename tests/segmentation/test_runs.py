"""Scoring runs: stored results, atomic reruns, failures that keep the previous results, the
lock, growth against the previous month, and the task through a real worker."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from segmentation import loaders, locks, services
from segmentation.models import CustomerScore, RunKind, RunStatus, ScoringConfiguration, ScoringRun
from segmentation.services import ScoringAlreadyRunning, scoring_run_execute
from tests.celery_worker import celery_worker, needs_real_worker

pytestmark = pytest.mark.django_db(transaction=False)
AS_OF = dt.date(2026, 6, 30)


@pytest.fixture
def dealership():
    call_command("seed_demo", customers=150, seed=3, as_of=AS_OF, stdout=StringIO())


def _run(month: str = "2026-06", **kwargs) -> ScoringRun:
    return scoring_run_execute(month=dt.date.fromisoformat(f"{month}-01"), as_of=AS_OF, **kwargs)


def test_a_run_scores_every_customer_and_records_how(dealership):
    run = _run()
    assert run.status == RunStatus.SUCCEEDED and run.is_current
    assert run.scores.count() == 150
    assert run.counts["customers"] == 150
    assert set(run.model) >= {"visit_model", "spend_model"}
    assert run.model["visit_model"]["log_likelihood"] < 0
    assert run.settings["lost_score"] == 0.6
    assert {"load", "score", "write", "total"} <= set(run.timings)
    score = run.scores.filter(status="at_risk").first() or run.scores.first()
    assert 0 <= score.churn_score <= 1 and score.rfm_segment


def test_rerunning_a_month_replaces_its_results(dealership):
    first = _run()
    second = _run()
    first.refresh_from_db()
    assert not first.is_current and second.is_current
    assert CustomerScore.objects.filter(run=first).count() == 0
    assert CustomerScore.objects.count() == 150
    before = dict(first.counts["status"]) if first.counts else None
    assert second.counts["status"] == before


def test_a_failure_while_writing_leaves_the_previous_results(dealership, monkeypatch):
    good = _run()

    def write_then_fail(run_id, customers):
        loaders_scores_write(run_id, customers)
        raise RuntimeError("disk full")

    loaders_scores_write = loaders.scores_write
    monkeypatch.setattr(loaders, "scores_write", write_then_fail)
    with pytest.raises(RuntimeError, match="disk full"):
        _run()
    good.refresh_from_db()
    failed = ScoringRun.objects.exclude(pk=good.pk).get()
    assert good.is_current and good.scores.count() == 150
    assert failed.status == RunStatus.FAILED and "disk full" in failed.error
    assert CustomerScore.objects.filter(run=failed).count() == 0


def test_a_month_already_running_is_refused(dealership):
    ScoringRun.objects.create(month=dt.date(2026, 6, 1), as_of=AS_OF)
    other = connections.create_connection("default")  # another live run's session (PostgreSQL)
    try:
        if locks.advisory_locks():
            with other.cursor() as cursor:
                key = locks.lock_key(dt.date(2026, 6, 1), RunKind.MONTHLY)
                cursor.execute("SELECT pg_advisory_lock(%s, %s)", [locks.LOCK_NAMESPACE, key])
        with pytest.raises(ScoringAlreadyRunning):
            _run()
        # Another month is not blocked.
        assert _run("2026-05").status == RunStatus.SUCCEEDED
    finally:
        other.close()


def test_a_stale_lock_is_released(dealership):
    stale = ScoringRun.objects.create(month=dt.date(2026, 6, 1), as_of=AS_OF)
    ScoringRun.objects.filter(pk=stale.pk).update(
        started_at=stale.started_at - services.STALE_AFTER - dt.timedelta(minutes=1)
    )
    assert _run().status == RunStatus.SUCCEEDED
    stale.refresh_from_db()
    assert stale.status == RunStatus.FAILED


def test_growth_is_measured_against_the_previous_month(dealership):
    may = _run("2026-05")
    june = _run("2026-06")
    assert june.counts["previous_run"] == may.pk
    row = june.scores.exclude(previous_future_value=None).first()
    assert row is not None
    assert row.future_value_change == pytest.approx(row.future_value - row.previous_future_value)


def test_settings_edited_by_a_manager_are_used_and_recorded(dealership):
    ScoringConfiguration.objects.create(settings={"lost_score": 0.9, "at_risk_score": 0.8})
    run = _run()
    assert run.settings["lost_score"] == 0.9


def test_warning_runs_do_not_replace_the_monthly_results(dealership):
    monthly = _run()
    warning = _run(kind=RunKind.WARNING)
    monthly.refresh_from_db()
    assert monthly.is_current and warning.is_current
    assert ScoringRun.objects.latest_monthly() == monthly


def test_the_command_prints_the_run(dealership):
    out = StringIO()
    call_command("score_month", "--month", "2026-06", "--as-of", "2026-06-30", stdout=out)
    assert "150 customers" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("score_month", "--month", "June")


def test_history_scores_twelve_months_once(dealership):
    call_command("score_month", "--month", "2026-06", "--history", "12", stdout=StringIO())
    months = sorted(ScoringRun.objects.current().values_list("month", flat=True))
    assert (
        len(months) == 12 and months[0] == dt.date(2025, 7, 1) and months[-1] == dt.date(2026, 6, 1)
    )
    call_command("score_month", "--month", "2026-06", "--history", "12", stdout=StringIO())
    assert ScoringRun.objects.count() == 12


@pytest.mark.django_db(transaction=True)
@needs_real_worker
def test_the_monthly_task_runs_on_a_real_worker():
    from segmentation.tasks import score_month

    call_command("seed_demo", customers=100, seed=5, as_of=AS_OF, stdout=StringIO())
    with celery_worker() as queue:
        run_id = score_month.apply_async(args=["2026-06"], queue=queue).get(timeout=120)
    run = ScoringRun.objects.get(pk=run_id)
    assert run.status == RunStatus.SUCCEEDED and run.scores.count() == 100
