"""Admin pages of runs and per-customer results: bounded queries, advisors see their own."""

from __future__ import annotations

import datetime as dt
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
