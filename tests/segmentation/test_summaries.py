"""Per-run summaries: exact counts and future value per cell, segment, status and tier, the moves
since the previous month, stored once and read back without recounting."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from segmentation.models import RfmSegment, RunKind, ScoringRun, Status
from segmentation.summaries import (
    ABSENT,
    NONE,
    nine_cell_label,
    run_summaries,
    run_summary,
    run_summary_refresh,
    status_changes,
)
from tests.factories import CustomerFactory, CustomerScoreFactory, ScoringRunFactory

pytestmark = pytest.mark.django_db

AUGUST, SEPTEMBER = dt.date(2024, 8, 1), dt.date(2024, 9, 1)


def _score(run, customer, **fields):
    return CustomerScoreFactory(run=run, customer=customer, **fields)


@pytest.fixture
def months():
    """Four customers over two months: one moves from active to lost, one recovers, one is
    new in September, one stays."""
    a, b, c, d = (CustomerFactory() for _ in range(4))
    august = ScoringRunFactory(month=AUGUST)
    september = ScoringRunFactory(month=SEPTEMBER)
    _score(august, a, status=Status.ACTIVE, nine_cell="7+/low", rfm_segment=RfmSegment.LOYAL)
    _score(august, b, status=Status.LOST, nine_cell="6+/high", rfm_segment=RfmSegment.LOST)
    _score(august, c, status=Status.ACTIVE, nine_cell=None, rfm_segment=RfmSegment.NEW)
    _score(
        september,
        a,
        status=Status.LOST,
        nine_cell="7+/low",
        rfm_segment=RfmSegment.HIBERNATING,
        previous_rfm_segment=RfmSegment.LOYAL,
        future_value=1000.0,
        value_tier=1,
    )
    _score(
        september,
        b,
        status=Status.ACTIVE,
        nine_cell="6+/medium",
        rfm_segment=RfmSegment.LOYAL,
        previous_rfm_segment=RfmSegment.LOST,
        future_value=250.5,
    )
    _score(
        september,
        c,
        status=Status.AT_RISK,
        nine_cell="5+/medium",
        rfm_segment=RfmSegment.NEW,
        previous_rfm_segment=RfmSegment.NEW,
        future_value=100.0,
        value_tier=2,
    )
    _score(
        september,
        d,
        status=Status.AT_RISK,
        nine_cell="7+/low",
        rfm_segment=RfmSegment.NEW,
        future_value=50.0,
        value_tier=2,
    )
    return {"august": august, "september": september}


def test_counts_and_value_per_cell_segment_status_and_tier(months):
    summary = run_summary(months["september"])
    assert summary["month"] == "2024-09"
    assert summary["customers"] == 4
    assert summary["future_value"] == pytest.approx(1400.5)
    cells = summary["nine_cells"]
    assert len(cells) == 10  # the 3 x 3 grid, empty cells included, and "no cell"
    assert cells["7+/low"] == {"n": 2, "value": 1050.0}
    assert cells["6+/medium"] == {"n": 1, "value": 250.5}
    assert cells["5+/high"] == {"n": 0, "value": 0.0}
    assert cells[NONE]["n"] == 0
    assert summary["rfm_segments"]["new"] == {"n": 2, "value": 150.0}
    assert summary["statuses"] == {
        "active": {"n": 1, "value": 250.5},
        "at_risk": {"n": 2, "value": 150.0},
        "lost": {"n": 1, "value": 1000.0},
    }
    assert summary["value_tiers"] == {"1": {"n": 1, "value": 1000.0}, "2": {"n": 2, "value": 150.0}}
    assert summary["rf_grid"] == {"4/3": 4}
    # d is new and at risk, c went from active to at risk: both are new warnings.
    assert summary["early_warnings"] == {"at_risk": 2, "new": 2}


def test_moves_since_the_previous_month(months):
    summary = run_summary(months["september"])
    assert summary["previous_month"] == "2024-08"
    moves = summary["transitions"]
    assert moves["status"] == {
        "active": {"lost": 1, "at_risk": 1},
        "lost": {"active": 1},
        ABSENT: {"at_risk": 1},
    }
    assert moves["nine_cell"] == {
        "7+/low": {"7+/low": 1},
        "6+/high": {"6+/medium": 1},
        NONE: {"5+/medium": 1},
        ABSENT: {"7+/low": 1},
    }
    assert moves["rfm_segment"] == {
        "loyal": {"hibernating": 1},
        "lost": {"loyal": 1},
        "new": {"new": 1},
        ABSENT: {"new": 1},
    }
    changes = status_changes(summary)
    assert changes["newly_lost"] == 1
    assert changes["recovered"] == 1
    assert changes["newly_at_risk"] == 1


def test_the_first_month_has_no_moves(months):
    summary = run_summary(months["august"])
    assert summary["previous_run"] is None
    assert summary["transitions"] == {"rfm_segment": {}, "nine_cell": {}, "status": {}}
    assert summary["early_warnings"]["new"] is None
    assert status_changes(summary)["newly_lost"] == 0


def test_stored_once_then_read_without_counting(months):
    run = months["september"]
    run_summary(run)
    assert ScoringRun.objects.get(pk=run.pk).summary["customers"] == 4
    fresh = ScoringRun.objects.get(pk=run.pk)
    with CaptureQueriesContext(connection) as queries:
        assert run_summary(fresh)["customers"] == 4
    assert len(queries) == 0


def test_the_trend_reads_the_current_monthly_runs_oldest_first(months):
    ScoringRunFactory(month=SEPTEMBER, kind=RunKind.WARNING)
    ScoringRunFactory(month=AUGUST, is_current=False)
    trend = run_summaries()
    assert [s["month"] for s in trend] == ["2024-08", "2024-09"]
    assert [s["customers"] for s in trend] == [3, 4]
    with CaptureQueriesContext(connection) as queries:
        assert len(run_summaries(last=1)) == 1
    assert len(queries) == 1


def test_a_rerun_of_a_month_resets_the_next_months_moves(months):
    run_summary(months["september"])
    rerun = ScoringRunFactory(month=AUGUST, is_current=False)
    ScoringRun.objects.filter(pk=months["august"].pk).update(is_current=False)
    ScoringRun.objects.filter(pk=rerun.pk).update(is_current=True)
    rerun.refresh_from_db()
    run_summary_refresh(rerun)
    september = ScoringRun.objects.get(pk=months["september"].pk)
    assert september.summary == {}
    # Rebuilt against the rerun, which scored nobody: everyone is new.
    assert run_summary(september)["transitions"]["status"] == {
        ABSENT: {"lost": 1, "active": 1, "at_risk": 2}
    }


def test_the_scoring_run_stores_its_summary(settings):
    from segmentation.services import scoring_run_execute

    settings.SCORING_RUN_FOLLOW_UPS = []
    CustomerFactory()
    run = scoring_run_execute(month=AUGUST)
    stored = ScoringRun.objects.get(pk=run.pk).summary
    assert stored["customers"] == 1
    assert stored["run"] == run.pk


def test_nine_cell_labels_name_no_code():
    assert nine_cell_label("7+/low") == "7+ years · low satisfaction"
    assert nine_cell_label(None).startswith("No nine cell")
