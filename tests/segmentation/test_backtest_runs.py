"""A run stores its backtest, flags a forecast that misses the bound, and shows it."""

from __future__ import annotations

import datetime as dt
import logging
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from segmentation.models import ScoringConfiguration, ScoringRun
from segmentation.services import scoring_run_execute

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 6, 30)


@pytest.fixture
def dealership():
    call_command("seed_demo", customers=400, seed=5, as_of=AS_OF, stdout=StringIO())


def _run() -> ScoringRun:
    return scoring_run_execute(month=dt.date(2026, 6, 1), as_of=AS_OF)


def test_a_run_stores_its_backtest_and_is_not_flagged_within_the_bound(dealership):
    run = _run()
    report = run.model["backtest"]
    assert report["model"] == run.model["visit_model"]["kind"] == "mbg_cnbd"
    assert report["customers"] > 300
    assert {c["kind"] for c in report["candidates"]} == {"bg_nbd", "mbg_nbd", "mbg_cnbd"}
    assert abs(report["visits"]["error"]) <= report["error_bound"]
    assert run.forecast_flagged is False
    assert ScoringRun.objects.get(pk=run.pk).forecast_flagged is False


def test_a_run_whose_forecast_misses_the_bound_is_flagged_and_logged(dealership, caplog):
    ScoringConfiguration.objects.create(settings={"backtest_error_bound": 0.0001})
    with caplog.at_level(logging.WARNING, logger="segmentation.services"):
        run = _run()
    assert run.model["backtest"]["flagged"] is True
    assert ScoringRun.objects.get(pk=run.pk).forecast_flagged is True
    assert "backtest" in caplog.text
    # Flagged, not silently used: the run is still the month's current run, for people to judge.
    assert run.is_current


def test_the_runs_admin_page_shows_the_backtest_tables(dealership, admin_client):
    run = _run()
    # In English, as the other admin tests read it (tests/browser reads it in Chinese).
    with translation.override("en"):
        response = admin_client.get(
            reverse("admin:segmentation_scoringrun_change", args=[run.pk]),
            HTTP_ACCEPT_LANGUAGE="en",
        )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Visit models compared" in page and "decile of forecast visits" in page
    assert "MBG/CNBD-k" in page
    mae = next(c for c in run.model["backtest"]["candidates"] if c["kind"] == "mbg_cnbd")
    assert f"{mae['visits']['mae']:.2f}" in page
    listing = admin_client.get(reverse("admin:segmentation_scoringrun_changelist"))
    assert listing.status_code == 200
