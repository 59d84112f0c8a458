"""Liveness of the monthly job (issue 10, items 1-3): a run whose process or session died never
blocks the next one, its failure is recorded, a manager can release a stuck run, a skipped run is
never reported as success, a missed month is visible, and a sharded run without a broker says so.

The fault tests (``faults`` + ``postgres``) run ``manage.py score_month`` as a subprocess on the
test database and hold it in a phase with the test-only ``DEALERCRM_SCORING_PAUSE`` environment
variable (``load:<seconds>`` or ``write:<seconds>``, read by ``segmentation.services``).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from io import StringIO
from pathlib import Path

import pytest
from celery import current_app
from django.contrib.admin.models import LogEntry
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.urls import reverse

from accounts.roles import Role
from segmentation import locks, services, tasks
from segmentation.models import CustomerScore, RunKind, RunStatus, ScoringRun
from segmentation.services import ScoringAlreadyRunning, scoring_run_execute
from tests.celery_worker import ROOT, _test_database_url, _wait_until_ready, needs_real_worker
from tests.factories import UserFactory
from winback import tasks as winback_tasks

AS_OF = dt.date(2026, 6, 30)
JUNE = dt.date(2026, 6, 1)

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (advisory locks, real sessions)"
)


@pytest.fixture
def dealership(db):
    call_command("seed_demo", customers=150, seed=3, as_of=AS_OF, stdout=StringIO())


def _run(**kwargs) -> ScoringRun:
    return scoring_run_execute(month=JUNE, as_of=AS_OF, **kwargs)


# --- item 2: task options, skipped runs, the missed month ------------------------------------


@pytest.mark.parametrize(
    "task",
    [
        tasks.score_month,
        tasks.early_warning,
        tasks.score_shard_summarize,
        tasks.score_shard_write,
        winback_tasks.round_generate_task,
        winback_tasks.campaign_launch_task,
    ],
)
def test_scoring_and_generation_tasks_are_redelivered_when_their_worker_is_lost(task):
    assert task.acks_late is True
    assert task.reject_on_worker_lost is True


def test_a_skipped_run_raises_and_is_logged_as_skipped(monkeypatch, caplog):
    enqueued: list[int] = []
    monkeypatch.setattr(tasks, "_follow_ups_enqueue", enqueued.append)

    def busy(**kwargs):
        raise services._already_running(kwargs["month"], RunKind.MONTHLY)

    monkeypatch.setattr(tasks, "scoring_run_execute", busy)
    with (
        caplog.at_level(logging.WARNING, logger="segmentation.tasks"),
        pytest.raises(ScoringAlreadyRunning, match="skipped"),
    ):
        tasks.score_month("2026-06")
    assert "scoring skipped" in caplog.text and "2026-06" in caplog.text
    assert enqueued == []


def test_through_celery_a_skipped_run_is_a_failure_not_a_success(dealership, monkeypatch):
    monkeypatch.setitem(current_app.conf, "task_eager_propagates", False)
    ScoringRun.objects.create(month=JUNE, as_of=AS_OF)  # a run holding June (SQLite)
    other = connections.create_connection("default")  # its live session (PostgreSQL)
    try:
        if locks.advisory_locks():
            with other.cursor() as cursor:
                key = locks.lock_key(JUNE, RunKind.MONTHLY)
                cursor.execute("SELECT pg_advisory_lock(%s, %s)", [locks.LOCK_NAMESPACE, key])
        result = tasks.score_month.apply(args=["2026-06"])
    finally:
        other.close()
    assert result.state == "FAILURE" and not result.successful()
    assert isinstance(result.result, ScoringAlreadyRunning)
    assert "skipped" in str(result.result)


@pytest.mark.django_db
def test_the_daily_warning_says_when_last_month_was_not_scored(monkeypatch, caplog):
    monkeypatch.setattr(tasks.timezone, "localdate", lambda: dt.date(2026, 7, 2))
    monkeypatch.setattr(tasks, "_follow_ups_enqueue", lambda run_id: None)
    monkeypatch.setattr(tasks, "scoring_run_execute", lambda **kw: ScoringRun(pk=1))
    with caplog.at_level(logging.ERROR, logger="segmentation.tasks"):
        tasks.early_warning()
    assert "month 2026-06 has not been scored" in caplog.text
    caplog.clear()
    ScoringRun.objects.create(month=JUNE, as_of=AS_OF, status=RunStatus.SUCCEEDED, is_current=True)
    with caplog.at_level(logging.ERROR, logger="segmentation.tasks"):
        tasks.early_warning()
    assert "has not been scored" not in caplog.text


@pytest.mark.django_db
def test_the_run_list_warns_when_last_month_was_not_scored(client, monkeypatch):
    monkeypatch.setattr(services, "previous_month", lambda today: JUNE)
    client.force_login(UserFactory(role=Role.MANAGER))
    url = reverse("admin:segmentation_scoringrun_changelist")
    assert "2026-06 has not been scored" in client.get(url).content.decode()
    ScoringRun.objects.create(month=JUNE, as_of=AS_OF, status=RunStatus.SUCCEEDED, is_current=True)
    assert "has not been scored" not in client.get(url).content.decode()


# --- item 1: releasing a stuck run ------------------------------------------------------------


def test_a_stuck_run_is_released_by_the_command_and_the_month_scores_again(dealership, caplog):
    good = _run()
    stuck = ScoringRun.objects.create(month=JUNE, as_of=AS_OF)
    if not locks.advisory_locks():
        with pytest.raises(ScoringAlreadyRunning):
            _run()
    out = StringIO()
    with caplog.at_level(logging.WARNING, logger="segmentation.services"):
        call_command("score_month", "--release", "--month", "2026-06", stdout=out)
    assert f"Released run {stuck.pk} of 2026-06" in out.getvalue()
    assert "released by" in caplog.text and "score_month --release" in caplog.text
    stuck.refresh_from_db()
    assert stuck.status == RunStatus.FAILED and stuck.error.startswith("released by")
    good.refresh_from_db()
    assert good.is_current and good.scores.count() == 150
    assert _run().status == RunStatus.SUCCEEDED
    out = StringIO()
    call_command("score_month", "--release", "--month", "2026-06", stdout=out)
    assert "No run of 2026-06 is running" in out.getvalue()


def _changelist_action(client, run: ScoringRun):
    return client.post(
        reverse("admin:segmentation_scoringrun_changelist"),
        {"action": "release", "_selected_action": [run.pk]},
        follow=True,
    )


@pytest.mark.django_db
def test_a_manager_releases_a_stuck_run_in_the_admin(client):
    manager = UserFactory(role=Role.MANAGER)
    stuck = ScoringRun.objects.create(month=JUNE, as_of=AS_OF)
    client.force_login(manager)
    response = _changelist_action(client, stuck)
    assert response.status_code == 200 and "Released" in response.content.decode()
    stuck.refresh_from_db()
    assert stuck.status == RunStatus.FAILED and str(manager) in stuck.error
    assert LogEntry.objects.filter(object_id=str(stuck.pk), user=manager).exists()


@pytest.mark.django_db
def test_marketing_staff_cannot_release_a_run(client):
    stuck = ScoringRun.objects.create(month=JUNE, as_of=AS_OF)
    client.force_login(UserFactory(role=Role.SERVICE_MARKETING))
    _changelist_action(client, stuck)
    stuck.refresh_from_db()
    assert stuck.status == RunStatus.RUNNING


# --- item 3: a sharded run with no broker -----------------------------------------------------


def test_a_sharded_run_with_no_broker_says_so_quickly(dealership, monkeypatch):
    monkeypatch.setitem(current_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    monkeypatch.setitem(current_app.conf, "task_always_eager", False)
    started = time.monotonic()
    with pytest.raises(
        CommandError, match=r"Celery broker \(redis://127.0.0.1:1\), and it does not answer"
    ):
        call_command("score_month", "--month", "2026-06", "--shards", "2", stdout=StringIO())
    assert time.monotonic() - started < 5
    assert ScoringRun.objects.get().status == RunStatus.FAILED


# --- item 1 on PostgreSQL: killed processes and terminated sessions ---------------------------


def _score_month_process(pause: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        services.PAUSE_ENV: pause,
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "score_month", "--month", "2026-06", "--as-of", "2026-06-30"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait_for(condition, process: subprocess.Popen, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        if process.poll() is not None:
            raise AssertionError(f"score_month exited early: {process.stderr.read().decode()}")
        time.sleep(0.1)
    process.kill()
    raise AssertionError("score_month never reached the phase")


def _running() -> ScoringRun | None:
    return ScoringRun.objects.filter(month=JUNE, status=RunStatus.RUNNING).first()


@pytest.fixture
def scored_june(transactional_db):
    call_command("seed_demo", customers=150, seed=3, as_of=AS_OF, stdout=StringIO())
    return _run()


def _assert_intact(good: ScoringRun) -> None:
    good.refresh_from_db()
    assert good.is_current and good.status == RunStatus.SUCCEEDED
    assert CustomerScore.objects.filter(run=good).count() == 150


@pytest.mark.parametrize("phase", ["load", "write"])
@pytest.mark.django_db(transaction=True)
@pytest.mark.faults
@pytest.mark.postgres
@needs_postgres
def test_a_run_killed_with_sigkill_never_blocks_the_next(scored_june, phase):
    process = _score_month_process(f"{phase}:60")
    try:
        if phase == "load":
            _wait_for(lambda: locks.run_lock_holder(JUNE, RunKind.MONTHLY) and _running(), process)
        else:
            _wait_for(
                lambda: (run := _running()) and CustomerScore.objects.filter(run=run).exists(),
                process,
            )
        killed = _running()
        # Alive: a second run is skipped (never a success) and a release is refused.
        with pytest.raises(ScoringAlreadyRunning, match="skipped"):
            _run()
        with pytest.raises(CommandError, match="alive"):
            call_command("score_month", "--release", "--month", "2026-06", stdout=StringIO())
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        process.kill()
    _assert_intact(scored_june)
    run = _run()
    assert run.status == RunStatus.SUCCEEDED and run.scores.count() == 150
    killed.refresh_from_db()
    assert killed.status == RunStatus.FAILED and killed.error == services.DIED
    assert not CustomerScore.objects.filter(run=killed).exists()
    assert not CustomerScore.objects.filter(run=scored_june).exists()  # replaced, not mixed


@pytest.mark.django_db(transaction=True)
@pytest.mark.faults
@pytest.mark.postgres
@needs_postgres
def test_a_run_whose_session_is_terminated_records_its_failure_and_frees_the_month(scored_june):
    process = _score_month_process("write:4")
    try:
        _wait_for(
            lambda: (run := _running()) and CustomerScore.objects.filter(run=run).exists(),
            process,
        )
        victim = _running()
        holder = locks.run_lock_holder(JUNE, RunKind.MONTHLY)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [holder])
        _assert_intact(scored_june)
        run = _run()  # at once: the dead session's lock is gone
        assert run.status == RunStatus.SUCCEEDED and run.scores.count() == 150
        assert process.wait(timeout=20) != 0
    finally:
        process.kill()
    victim.refresh_from_db()
    # The dying process wrote its own error over a fresh connection (not just "died").
    assert victim.status == RunStatus.FAILED and victim.error != services.DIED
    assert "connection" in victim.error.lower() or "terminat" in victim.error.lower()
    assert not CustomerScore.objects.filter(run=victim).exists()
    run.refresh_from_db()
    assert run.is_current and run.scores.count() == 150


@pytest.mark.django_db(transaction=True)
@pytest.mark.faults
@pytest.mark.postgres
@needs_real_worker
def test_a_worker_child_killed_while_scoring_gets_the_month_scored_on_redelivery(scored_june):
    queue = f"test-{uuid.uuid4().hex[:8]}"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "dealercrm", "worker", "--pool", "prefork"]
        + ["--concurrency", "1", "--queues", queue, "--loglevel", "WARNING"]
        + ["--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": _test_database_url(), services.PAUSE_ENV: "load:4"},
    )
    try:
        _wait_until_ready(worker)
        result = tasks.score_month.apply_async(args=["2026-06"], queue=queue)
        _wait_for(lambda: locks.run_lock_holder(JUNE, RunKind.MONTHLY) and _running(), worker)
        first = _running()
        children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()
        assert len(children) == 1
        os.kill(int(children[0]), signal.SIGKILL)
        run_id = result.get(timeout=60)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    run = ScoringRun.objects.get(pk=run_id)
    assert run.status == RunStatus.SUCCEEDED and run.is_current and run.scores.count() == 150
    first.refresh_from_db()
    assert first.pk != run.pk and first.status == RunStatus.FAILED
