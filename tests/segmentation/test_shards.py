"""Sharded scoring: global statistics computed once from shard summaries give every customer
the same scores as one process; a failing shard keeps the previous results; shards on a real
worker."""

from __future__ import annotations

import datetime as dt
import math
from fractions import Fraction
from io import StringIO

import numpy as np
import pandas as pd
import pytest
from celery import current_app as celery_app
from django.core.management import CommandError, call_command
from hypothesis import given
from hypothesis import strategies as st

from segmentation import services
from segmentation.models import CustomerScore, RunStatus, ScoringRun
from segmentation.rank_scores import rank_edges, step_scores, value_counts
from segmentation.services import scoring_run_execute
from tests.celery_worker import celery_worker, needs_real_worker

AS_OF = dt.date(2026, 6, 30)
MONTH = dt.date(2026, 6, 1)
EXACT = ["r_score", "f_score", "m_score", "rfm_segment", "status", "value_tier", "nine_cell"]
CLOSE = ["recency_days", "monetary", "p_alive", "expected_visits", "future_value", "churn_score"]


def _reference_scores(values: list[int], steps: int) -> list[int]:
    """ceil(steps * average rank / n) in exact fractions: the tie policy, by its definition."""
    n = len(values)
    scores = []
    for v in values:
        below = sum(u < v for u in values)
        at_most = sum(u <= v for u in values)
        scores.append(max(1, min(steps, math.ceil(Fraction(steps * (below + at_most + 1), 2 * n)))))
    return scores


@given(st.lists(st.integers(0, 12), min_size=1, max_size=60), st.integers(2, 5))
def test_rank_edges_reproduce_the_average_rank_policy(values, steps):
    edges = rank_edges(value_counts(values), steps)
    assert list(step_scores(values, edges)) == _reference_scores(values, steps)


@given(st.lists(st.integers(0, 40), min_size=1, max_size=80), st.integers(2, 4))
def test_edges_from_shard_summaries_equal_edges_from_everyone(values, shards):
    parts = [value_counts(values[k::shards]) for k in range(shards)]
    assert rank_edges(pd.concat(parts), 5) == rank_edges(value_counts(values), 5)


@pytest.fixture
def eager():
    """Shard tasks in-process, also where a broker is configured (the CI PostgreSQL run)."""
    was = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = was


@pytest.fixture
def dealership(db, eager):
    call_command("seed_demo", customers=150, seed=3, as_of=AS_OF, stdout=StringIO())


def _scores(run: ScoringRun) -> pd.DataFrame:
    rows = CustomerScore.objects.filter(run=run).values("customer_id", *EXACT, *CLOSE)
    return pd.DataFrame(list(rows)).set_index("customer_id").sort_index()


def test_three_shards_score_every_customer_as_one_process_does(dealership):
    whole = _scores(scoring_run_execute(month=MONTH, as_of=AS_OF))
    run = scoring_run_execute(month=MONTH, as_of=AS_OF, shards=3)
    sharded = _scores(run)
    assert run.status == RunStatus.SUCCEEDED and run.counts["customers"] == 150
    assert run.counts["shards"] == 3 and {"summarize", "fit", "score"} <= set(run.timings)
    assert sharded.index.equals(whole.index)
    assert sharded["value_tier"].notna().sum() > 0
    pd.testing.assert_frame_equal(sharded[EXACT], whole[EXACT])
    pd.testing.assert_frame_equal(sharded[CLOSE], whole[CLOSE], rtol=1e-9)
    assert run.counts["status"] == dict(sharded["status"].value_counts())


def test_a_failing_shard_keeps_the_previous_results(dealership, monkeypatch):
    good = scoring_run_execute(month=MONTH, as_of=AS_OF)
    real_write = services.scoring_shard_write

    def fail_on_the_last_shard(*, run_id, shard, shards):
        if shard == shards - 1:
            raise RuntimeError("worker lost")
        return real_write(run_id=run_id, shard=shard, shards=shards)

    monkeypatch.setattr(services, "scoring_shard_write", fail_on_the_last_shard)
    with pytest.raises(RuntimeError):
        scoring_run_execute(month=MONTH, as_of=AS_OF, shards=3)
    failed = ScoringRun.objects.exclude(pk=good.pk).get()
    assert failed.status == RunStatus.FAILED and "worker lost" in failed.error
    assert not CustomerScore.objects.filter(run=failed).exists()
    assert ScoringRun.objects.latest_monthly() == good and good.scores.count() == 150


def test_a_retried_shard_writes_its_customers_once(dealership):
    run = scoring_run_execute(month=MONTH, as_of=AS_OF, shards=2)
    before = run.scores.count()
    services.scoring_shard_write(run_id=run.pk, shard=1, shards=2)
    assert run.scores.count() == before == 150


def test_shards_must_be_positive(dealership):
    with pytest.raises(ValueError):
        scoring_run_execute(month=MONTH, as_of=AS_OF, shards=0)
    assert not ScoringRun.objects.exists()


def test_the_command_scores_in_shards(dealership):
    out = StringIO()
    call_command(
        "score_month", "--month", "2026-06", "--as-of", "2026-06-30", "--shards", "2", stdout=out
    )
    assert "150" in out.getvalue()
    assert ScoringRun.objects.get().counts["shards"] == 2


@pytest.mark.django_db(transaction=True)
@needs_real_worker
def test_without_workers_a_sharded_run_says_so():
    call_command("seed_demo", customers=20, seed=5, as_of=AS_OF, stdout=StringIO())
    with pytest.raises(CommandError, match="worker"):
        call_command("score_month", "--month", "2026-06", "--shards", "2", stdout=StringIO())
    assert ScoringRun.objects.get().status == RunStatus.FAILED


@pytest.mark.django_db(transaction=True)
@needs_real_worker
def test_shards_run_on_a_real_worker(settings):
    call_command("seed_demo", customers=100, seed=5, as_of=AS_OF, stdout=StringIO())
    whole = _scores(scoring_run_execute(month=MONTH, as_of=AS_OF))
    with celery_worker() as queue:
        settings.SCORING_SHARD_QUEUE = queue
        run = scoring_run_execute(month=MONTH, as_of=AS_OF, shards=2)
    assert run.status == RunStatus.SUCCEEDED
    sharded = _scores(run)
    pd.testing.assert_frame_equal(sharded[EXACT], whole[EXACT])
    assert np.allclose(sharded["future_value"], whole["future_value"], rtol=1e-9)
