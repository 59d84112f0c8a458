"""Reads of scoring results: the run in force for a month, its scores as a user may see them,
and the list of months scored."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from segmentation.models import RunKind
from segmentation.selectors import score_list, scoring_run_current, scoring_run_list
from tests.factories import CustomerFactory, CustomerScoreFactory, ScoringRunFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def runs(advisor):
    own, other = CustomerFactory(sales_advisor=advisor), CustomerFactory()
    august = ScoringRunFactory(month=dt.date(2024, 8, 1))
    september = ScoringRunFactory(month=dt.date(2024, 9, 1))
    replaced = ScoringRunFactory(month=dt.date(2024, 9, 1), is_current=False)
    warning = ScoringRunFactory(month=dt.date(2024, 10, 1), kind=RunKind.WARNING)
    for run in (august, september, replaced, warning):
        for customer in (own, other):
            CustomerScoreFactory(run=run, customer=customer)
    return {"own": own, "august": august, "september": september, "warning": warning}


def test_the_current_monthly_run_of_a_month_or_the_latest(runs):
    assert scoring_run_current(dt.date(2024, 8, 17)) == runs["august"]
    assert scoring_run_current() == runs["september"]
    assert scoring_run_current(dt.date(2023, 1, 1)) is None


def test_scores_default_to_the_latest_monthly_run(manager, runs):
    assert {s.run for s in score_list(user=manager, filters={})} == {runs["september"]}


def test_scores_of_a_named_month(manager, runs):
    assert {s.run for s in score_list(user=manager, filters={"month": "2024-08"})} == {
        runs["august"]
    }
    assert not score_list(user=manager, filters={"month": "2023-01"}).exists()


def test_an_advisor_gets_only_their_customers_scores(advisor, runs):
    assert [s.customer for s in score_list(user=advisor, filters={})] == [runs["own"]]


def test_scores_are_filtered(manager, runs):
    found = score_list(user=manager, filters={"customer": str(runs["own"].pk)})
    assert [s.customer for s in found] == [runs["own"]]


@pytest.mark.parametrize("month", ["2024-13", "2024-9", "september", "2024-09-01", ""])
def test_a_bad_month_is_refused_before_the_other_filters(manager, runs, month):
    with pytest.raises(ValidationError) as exc:
        score_list(user=manager, filters={"month": month, "status": "bogus"})
    assert exc.value.message_dict == {"month": ["Give the month as YYYY-MM."]}


def test_a_bad_filter_value_is_a_validation_error(manager, runs):
    with pytest.raises(ValidationError) as exc:
        score_list(user=manager, filters={"value_tier": "9"})
    assert set(exc.value.message_dict) == {"value_tier"}


def test_the_current_runs_newest_month_first(runs):
    assert list(scoring_run_list()) == [runs["warning"], runs["september"], runs["august"]]
