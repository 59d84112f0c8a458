"""``GET /api/v1/scoring-runs/`` carries each run's backtest and its flag."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from segmentation.models import RunStatus, ScoringRun
from segmentation.services import scoring_run_execute

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 6, 30)


def test_the_run_list_carries_the_backtest_and_the_flag(dms_api):
    call_command("seed_demo", customers=200, seed=4, as_of=AS_OF, stdout=StringIO())
    run = scoring_run_execute(month=dt.date(2026, 6, 1), as_of=AS_OF)
    # A run made before runs had a backtest.
    old = ScoringRun.objects.create(
        month=dt.date(2026, 5, 1),
        as_of=dt.date(2026, 5, 31),
        status=RunStatus.SUCCEEDED,
        is_current=True,
    )
    results = dms_api.get("/api/v1/scoring-runs/").json()["results"]
    listed = {r["id"]: r for r in results}
    assert listed[run.pk]["forecast_flagged"] is False
    backtest = listed[run.pk]["backtest"]
    assert backtest["visits"]["error"] == run.model["backtest"]["visits"]["error"]
    assert len(backtest["by_decile"]) == 10
    assert listed[old.pk]["backtest"] is None
