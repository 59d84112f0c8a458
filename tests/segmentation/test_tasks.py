"""The Celery tasks pick the month to score: the one named, else the month that just ended."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from core.months import MonthFormatError
from segmentation import tasks


@pytest.fixture
def months_scored(monkeypatch):
    scored: list[dt.date] = []

    def execute(*, month, shards, **kwargs):
        scored.append(month)
        return SimpleNamespace(pk=len(scored))

    monkeypatch.setattr(tasks, "scoring_run_execute", execute)
    return scored


@pytest.fixture(autouse=True)
def follow_ups(monkeypatch):
    """Run ids whose follow-up tasks (the win-back round) the scoring task enqueued."""
    enqueued: list[int] = []
    monkeypatch.setattr(tasks, "_follow_ups_enqueue", enqueued.append)
    return enqueued


@pytest.mark.parametrize(
    ("today", "month"),
    [(dt.date(2025, 3, 1), dt.date(2025, 2, 1)), (dt.date(2025, 1, 31), dt.date(2024, 12, 1))],
)
def test_without_a_month_the_task_scores_the_month_that_just_ended(
    monkeypatch, months_scored, today, month
):
    monkeypatch.setattr(tasks.timezone, "localdate", lambda: today)
    tasks.score_month()
    assert months_scored == [month]


def test_a_named_month_is_scored(months_scored, follow_ups):
    run_id = tasks.score_month("2024-07")
    assert months_scored == [dt.date(2024, 7, 1)]
    assert follow_ups == [run_id]


def test_a_month_not_written_yyyy_mm_is_refused(months_scored):
    with pytest.raises(MonthFormatError):
        tasks.score_month("July")
    assert months_scored == []
