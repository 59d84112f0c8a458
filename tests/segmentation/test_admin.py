"""Admin pages of runs and per-customer results: bounded queries, advisors see their own."""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import Customer
from segmentation.models import CustomerScore, ScoringRun
from segmentation.services import scoring_run_execute

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 6, 30)


@pytest.fixture
def scored():
    call_command("seed_demo", customers=60, seed=2, as_of=AS_OF, stdout=StringIO())
    return scoring_run_execute(month=dt.date(2026, 6, 1), as_of=AS_OF)


def _get(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return response, len(ctx.captured_queries)


def test_run_and_score_pages_render_in_a_bounded_number_of_queries(admin_client, scored):
    _, run_list = _get(admin_client, reverse("admin:segmentation_scoringrun_changelist"))
    _, score_list = _get(admin_client, reverse("admin:segmentation_customerscore_changelist"))
    score = scored.scores.filter(status="at_risk").first() or scored.scores.first()
    response, detail = _get(
        admin_client, reverse("admin:segmentation_customerscore_change", args=[score.pk])
    )
    assert max(run_list, score_list, detail) <= 15
    assert "Why this status" in response.content.decode()
    _get(admin_client, reverse("admin:segmentation_scoringrun_change", args=[scored.pk]))
    _get(admin_client, reverse("admin:segmentation_scoringconfiguration_add"))


def test_an_advisor_sees_only_scores_of_their_customers(client, advisor, scored):
    mine = Customer.objects.order_by("pk").first()
    mine.sales_advisor = advisor
    mine.save()
    client.force_login(advisor)
    response, _ = _get(client, reverse("admin:segmentation_customerscore_changelist"))
    shown = response.context["cl"].result_list
    assert [s.customer_id for s in shown] == [mine.pk]
    other = CustomerScore.objects.exclude(customer=mine).first()
    assert (
        client.get(reverse("admin:segmentation_customerscore_change", args=[other.pk])).status_code
        == 302
    )
    assert ScoringRun.objects.count() == 1


@pytest.fixture
def two_months(scored):
    may = scoring_run_execute(month=dt.date(2026, 5, 1), as_of=dt.date(2026, 5, 31))
    return may, scored


def _shown_runs(response) -> set[int]:
    return {score.run_id for score in response.context["cl"].result_list}


def test_the_score_list_opens_on_the_latest_month_and_offers_the_others(admin_client, two_months):
    may, june = two_months
    url = reverse("admin:segmentation_customerscore_changelist")
    response, _ = _get(admin_client, url)
    assert _shown_runs(response) == {june.pk}
    page = response.content.decode()
    assert "2026-06 · Monthly scoring" in page and "2026-05 · Monthly scoring" in page
    response, _ = _get(admin_client, f"{url}?run={may.pk}")
    assert _shown_runs(response) == {may.pk}
    response, _ = _get(admin_client, f"{url}?run=all")
    assert _shown_runs(response) == {may.pk, june.pk}
    # The run list links each current run to its results.
    runs, _ = _get(admin_client, reverse("admin:segmentation_scoringrun_changelist"))
    assert f"{url}?run={may.pk}" in runs.content.decode()


def test_scores_show_labels_and_rounded_numbers_not_codes_and_long_floats(admin_client, scored):
    score = scored.scores.exclude(nine_cell=None).exclude(future_value=0).first()
    score.age_tier, score.satisfaction_band, score.nine_cell = "7+", "low", "7+/low"
    score.churn_score, score.future_value = 0.123456789, 3713.71000000001
    score.save()
    url = reverse("admin:segmentation_customerscore_changelist")
    listing, _ = _get(admin_client, f"{url}?q={score.customer.mobile}")
    detail, _ = _get(
        admin_client, reverse("admin:segmentation_customerscore_change", args=[score.pk])
    )
    for response in (listing, detail):
        page = response.content.decode()
        assert "7+ years · low satisfaction" in page
        assert "¥3,713.71" in page and "0.12" in page
        assert not re.search(r"\d\.\d{5,}", page)
    page = detail.content.decode()
    assert "7+ years" in page and "low satisfaction" in page
    assert ">7+/low<" not in page and ">low<" not in page


def test_the_nine_cell_filter_lists_labels(admin_client, scored):
    url = reverse("admin:segmentation_customerscore_changelist")
    response, _ = _get(admin_client, f"{url}?nine_cell=7%2B%2Flow")
    assert {s.nine_cell for s in response.context["cl"].result_list} <= {"7+/low"}
    assert "5+ years · medium satisfaction" in response.content.decode()
