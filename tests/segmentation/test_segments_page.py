"""The segment explorer: who may open it, the nine-cell grid, segment and status tables and the
moves since last month with their links, labels instead of codes, and a bounded query count."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse, reverse_lazy

from segmentation.models import RfmSegment, ScoringRun, Status
from tests.factories import CustomerFactory, CustomerScoreFactory, ScoringRunFactory

pytestmark = pytest.mark.django_db

URL = reverse_lazy("segments")


@pytest.fixture
def months():
    august = ScoringRunFactory(month=dt.date(2024, 8, 1))
    september = ScoringRunFactory(month=dt.date(2024, 9, 1))
    moved, stayed = CustomerFactory(), CustomerFactory()
    CustomerScoreFactory(run=august, customer=moved, nine_cell="6+/high", status=Status.ACTIVE)
    CustomerScoreFactory(run=august, customer=stayed, nine_cell="7+/low", status=Status.LOST)
    CustomerScoreFactory(
        run=september,
        customer=moved,
        nine_cell="7+/low",
        status=Status.AT_RISK,
        rfm_segment=RfmSegment.AT_RISK,
        previous_rfm_segment=RfmSegment.LOYAL,
        future_value=1234.5,
    )
    CustomerScoreFactory(
        run=september,
        customer=stayed,
        nine_cell="7+/low",
        status=Status.LOST,
        rfm_segment=RfmSegment.LOST,
        previous_rfm_segment=RfmSegment.LOST,
        future_value=100.0,
    )
    CustomerScoreFactory(run=september, nine_cell="5+/medium", status=Status.ACTIVE)
    return {"august": august, "september": september}


def _text(response) -> str:
    """The page's visible text: tags and attribute values left out."""
    return re.sub(r"<[^>]+>", " ", response.content.decode())


@pytest.mark.parametrize("who", ["marketing", "manager"])
def test_marketing_and_managers_open_it(client, request, who, months):
    client.force_login(request.getfixturevalue(who))
    assert client.get(URL).status_code == 200


def test_advisors_may_not_and_strangers_sign_in_first(client, advisor):
    assert client.get(URL).status_code == 302
    client.force_login(advisor)
    assert client.get(URL).status_code == 403


def test_the_grid_shows_labels_counts_and_links_of_the_latest_month(client, marketing, months):
    client.force_login(marketing)
    response = client.get(URL)
    html = response.content.decode()
    text = _text(response)
    assert "7+ years · low satisfaction" in text
    assert "7+/low" not in text and "at_risk" not in text
    customers = reverse("customer_list")
    assert f'href="{customers}?month=2024-09&amp;nine_cell=7%2B%2Flow"' in html
    campaign = reverse("campaign_create")
    assert f'href="{campaign}?month=2024-09&amp;nine_cell=7%2B%2Flow"' in html
    assert f'href="{customers}?month=2024-09&amp;rfm_segment=at_risk"' in html
    assert f'href="{customers}?month=2024-09&amp;status=lost"' in html
    cell = response.context["grid"]["rows"][0]["cells"][0]
    assert (cell["label"], cell["n"], cell["value"]) == ("7+ years · low satisfaction", 2, 1334.5)
    assert response.context["early_warnings"]["at_risk"] == 1


def test_moves_since_last_month(client, marketing, months):
    client.force_login(marketing)
    response = client.get(URL)
    moves = response.context["cell_moves"]
    sources = {row["label"]: row for row in moves["rows"]}
    targets = [t["label"] for t in moves["targets"]]
    high_six = sources["6+ years · high satisfaction"]
    assert high_six["cells"][targets.index("7+ years · low satisfaction")]["n"] == 1
    assert sources["Not scored last month"]["total"] == 1
    status = response.context["status_moves"]
    assert [t["label"] for t in status["targets"]] == ["Active", "At risk", "Lost"]
    assert "Who moved where since last month" in _text(response)


def test_an_earlier_month_is_picked_and_a_bad_one_explained(client, manager, months):
    client.force_login(manager)
    august = client.get(URL, {"month": "2024-08"})
    assert august.context["summary"]["month"] == "2024-08"
    assert august.context["cell_moves"] is None
    assert "nothing to compare with" in _text(august)
    bad = client.get(URL, {"month": "September"})
    assert bad.status_code == 200
    assert "YYYY-MM" in _text(bad)
    assert bad.context["summary"]["month"] == "2024-09"


def test_no_month_scored_yet(client, manager):
    client.force_login(manager)
    assert "No month has been scored yet." in _text(client.get(URL))


def test_the_summary_is_built_once_then_the_page_costs_a_few_queries(
    client, manager, months, django_assert_max_num_queries
):
    client.force_login(manager)
    client.get(URL)
    assert ScoringRun.objects.get(pk=months["september"].pk).summary["customers"] == 3
    # session, user, the months, the run
    with django_assert_max_num_queries(5):
        assert client.get(URL).status_code == 200
