"""The customer list, its export, the 360° page and the logged reveal of contact data."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from customers.models import DataAccessAction, DataAccessLog
from reports.customer_list import PAGE_SIZE
from reports.customer_timeline import TIMELINE_LIMIT
from segmentation.models import ChurnIndicator, Status
from tests.factories import (
    ComplaintFactory,
    ContactLogFactory,
    ContactPlanFactory,
    CustomerFactory,
    CustomerScoreFactory,
    PurchaseFactory,
    ScoringRunFactory,
    ServiceOrderFactory,
    ServiceOrderLineFactory,
    TargetFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db

LIST = reverse("customer_list")
EXPORT = reverse("customer_export")


def detail(customer) -> str:
    return reverse("customer_detail", args=[customer.pk])


def reveal(customer, field: str = "mobile") -> str:
    return reverse("customer_reveal", args=[customer.pk, field])


@pytest.fixture
def run():
    return ScoringRunFactory(month=dt.date(2024, 9, 1), as_of=dt.date(2024, 9, 30))


@pytest.fixture
def own(advisor, run):
    """A customer of advisor A, scored at risk in the run."""
    customer = CustomerFactory(name="王伟", mobile="13912345678", sales_advisor=advisor)
    CustomerScoreFactory(
        run=run,
        customer=customer,
        status=Status.AT_RISK,
        churn_score=0.4213,
        future_value=3713.71,
        value_tier=1,
        nine_cell="7+/low",
        rfm_segment="at_risk",
    )
    return customer


@pytest.fixture
def others(other_advisor, run):
    """A customer of advisor B, scored lost."""
    customer = CustomerFactory(name="李娜", mobile="13787654321", sales_advisor=other_advisor)
    CustomerScoreFactory(run=run, customer=customer, status=Status.LOST, churn_score=0.7)
    return customer


# --- who may open what ------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, own):
    for url in (LIST, EXPORT, detail(own)):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("login") in response["Location"]
    assert client.post(reveal(own)).status_code == 302
    assert not DataAccessLog.objects.exists()


def test_the_dms_client_has_no_customer_pages(client, dms_client, own):
    client.force_login(dms_client)
    for url in (LIST, EXPORT, detail(own)):
        assert client.get(url).status_code == 403
    assert client.post(reveal(own)).status_code == 403


def test_an_advisor_lists_only_own_customers(client, advisor, own, others):
    client.force_login(advisor)
    response = client.get(LIST)
    assert response.status_code == 200
    rows = response.context["page"].rows
    assert [row.score.customer_id for row in rows] == [own.pk]
    assert "王伟" in response.content.decode()
    assert "李娜" not in response.content.decode()


def test_a_manager_lists_everyone(client, manager, own, others):
    client.force_login(manager)
    rows = client.get(LIST).context["page"].rows
    assert {row.score.customer_id for row in rows} == {own.pk, others.pk}


def test_another_advisors_customer_is_not_found(client, other_advisor, own):
    client.force_login(other_advisor)
    assert client.get(detail(own)).status_code == 404
    assert client.post(reveal(own)).status_code == 404
    assert not DataAccessLog.objects.exists()


def test_owner_and_manager_open_the_360_page(client, advisor, manager, own):
    for user in (advisor, manager):
        client.force_login(user)
        response = client.get(detail(own))
        assert response.status_code == 200
        assert response.context["customer"] == own


# --- the list ---------------------------------------------------------------------------------


def test_the_list_shows_labels_and_masks_the_mobile(client, manager, own):
    client.force_login(manager)
    html = client.get(LIST).content.decode()
    assert "13912345678" not in html
    assert "139****5678" in html
    assert "7+ years · low satisfaction" in html
    assert "Tier 1 (most valuable)" in html
    assert "At risk" in html
    assert "¥3,713.71" in html
    assert "42%" in html
    assert "7+/low" not in html.replace('value="7+/low"', "")
    assert "at_risk" not in html.replace('value="at_risk"', "")


def test_the_list_filters_like_the_segment_explorer(client, manager, own, others):
    client.force_login(manager)
    rows = client.get(LIST, {"status": "lost"}).context["page"].rows
    assert [row.score.customer_id for row in rows] == [others.pk]
    rows = client.get(LIST, {"nine_cell": "7+/low", "value_tier": "1"}).context["page"].rows
    assert [row.score.customer_id for row in rows] == [own.pk]


def test_the_list_shows_the_month_asked_for(client, manager, own, run):
    later = ScoringRunFactory(month=dt.date(2024, 10, 1), as_of=dt.date(2024, 10, 31))
    CustomerScoreFactory(run=later, customer=own, status=Status.LOST)
    client.force_login(manager)
    latest = client.get(LIST).context["page"].rows
    assert [row.score.run_id for row in latest] == [later.pk]
    september = client.get(LIST, {"month": "2024-09"}).context["page"].rows
    assert {row.score.run_id for row in september} == {run.pk}


def test_a_month_without_scores_shows_nothing_and_no_next_page(client, manager, own):
    client.force_login(manager)
    page = client.get(LIST, {"month": "2020-01"}).context["page"]
    assert (page.rows, page.next_after) == ([], None)


def test_a_mobile_search_finds_the_customer(client, manager, own, others):
    client.force_login(manager)
    rows = client.get(LIST, {"q": "139 1234 5678"}).context["page"].rows
    assert [row.score.customer_id for row in rows] == [own.pk]


def test_a_bad_filter_is_explained_not_a_crash(client, manager, own):
    client.force_login(manager)
    response = client.get(LIST, {"month": "September"})
    assert response.status_code == 400
    assert "YYYY-MM" in response.content.decode()
    response = client.get(LIST, {"q": "王"})
    assert response.status_code == 400
    assert "11-digit" in response.content.decode()


def test_the_next_page_continues_after_the_last_row(client, manager, run):
    customers = [CustomerFactory() for _ in range(PAGE_SIZE + 5)]
    for customer in customers:
        CustomerScoreFactory(run=run, customer=customer)
    client.force_login(manager)
    first = client.get(LIST)
    page = first.context["page"]
    ids = [row.score.customer_id for row in page.rows]
    assert ids == [c.pk for c in customers[:PAGE_SIZE]]
    assert page.next_after == customers[PAGE_SIZE - 1].pk
    assert f"after={page.next_after}" in first.content.decode()
    assert f"{PAGE_SIZE}+ customers" in first.content.decode()
    second = client.get(LIST, {"after": page.next_after}).context["page"]
    assert [row.score.customer_id for row in second.rows] == [c.pk for c in customers[PAGE_SIZE:]]
    assert second.next_after is None


def test_a_rare_filter_reads_a_bounded_window_and_searches_on(client, manager, run, monkeypatch):
    customers = [CustomerFactory() for _ in range(5)]
    for customer, status in zip(
        customers, ["lost", "active", "active", "active", "lost"], strict=True
    ):
        CustomerScoreFactory(run=run, customer=customer, status=status)
    monkeypatch.setattr("reports.customer_list.SCAN_WINDOW", customers[1].pk)
    client.force_login(manager)
    response = client.get(LIST, {"status": "lost"})
    first = response.context["page"]
    assert [row.score.customer_id for row in first.rows] == [customers[0].pk]
    assert (first.next_after, first.full) == (customers[1].pk, False)
    assert "more may match further on" in response.content.decode()
    found, page, pages = [customers[0].pk], first, 1
    while page.next_after is not None:
        page = client.get(LIST, {"status": "lost", "after": page.next_after}).context["page"]
        found += [row.score.customer_id for row in page.rows]
        pages += 1
    assert found == [customers[0].pk, customers[4].pk]
    assert pages <= 5


def test_the_list_costs_the_same_queries_for_few_or_many_rows(client, manager, run):
    client.force_login(manager)
    CustomerScoreFactory(run=run, customer=CustomerFactory())
    with CaptureQueriesContext(connection) as few:
        assert client.get(LIST).status_code == 200
    for _ in range(30):
        CustomerScoreFactory(run=run)
    with CaptureQueriesContext(connection) as many:
        assert client.get(LIST).status_code == 200
    assert len(many) == len(few) <= 10


def test_campaign_and_export_links_keep_the_filters_for_the_roles_allowed(
    client, advisor, marketing, own
):
    client.force_login(marketing)
    html = client.get(LIST, {"status": "at_risk", "after": "5"}).content.decode()
    assert f'href="{reverse("campaign_create")}?status=at_risk"' in html
    assert f'href="{EXPORT}?status=at_risk"' in html
    client.force_login(advisor)
    html = client.get(LIST, {"status": "at_risk"}).content.decode()
    assert reverse("campaign_create") not in html
    assert EXPORT not in html


# --- the export -------------------------------------------------------------------------------


def test_advisors_may_not_export(client, advisor, own):
    client.force_login(advisor)
    assert client.get(EXPORT).status_code == 403
    assert not DataAccessLog.objects.exists()


def test_marketing_exports_the_filtered_list_masked_and_logged(client, marketing, own, others):
    client.force_login(marketing)
    response = client.get(EXPORT, {"status": "at_risk"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert "50,000" in rows[0][0]
    header, data = rows[1], rows[2:]
    assert header[:3] == ("Customer id", "Name", "Mobile")
    assert data == [
        (
            own.pk,
            "王伟",
            "139****5678",
            own.sales_advisor.get_username(),
            "7+ years · low satisfaction",
            "At risk",
            "At risk",
            pytest.approx(0.4213),
            pytest.approx(3713.71),
            "Tier 1 (most valuable)",
            pytest.approx(40.0),
        )
    ]
    assert "13912345678" not in str(rows)
    log = DataAccessLog.objects.get()
    assert (log.user, log.action, log.rows) == (marketing, DataAccessAction.EXPORT, 1)
    assert log.filters == {"status": "at_risk"}


# --- the 360° page ----------------------------------------------------------------------------


def test_the_360_page_masks_contact_data(client, manager, own):
    own.email = "wang.wei@example.com"
    own.save()
    client.force_login(manager)
    html = client.get(detail(own)).content.decode()
    assert "13912345678" not in html
    assert "wang.wei@example.com" not in html
    assert "139****5678" in html
    assert "w****@example.com" in html
    assert reveal(own) in html
    assert not DataAccessLog.objects.exists()


def test_the_360_page_explains_every_churn_component(client, advisor, own):
    client.force_login(advisor)
    response = client.get(detail(own))
    components = response.context["profile"].churn_components
    assert [c.name for c in components] == [str(i.label) for i in ChurnIndicator]
    html = response.content.decode()
    for indicator in ChurnIndicator:
        assert str(indicator.label) in html
    assert "probability still active: 90%" in html
    assert "usual interval between visits 120 days" in html
    assert "overdue ratio 0.30" in html
    assert "7+ years · low satisfaction" in html


def test_the_360_page_shows_score_history_month_by_month(client, manager, own, run):
    october = ScoringRunFactory(month=dt.date(2024, 10, 1), as_of=dt.date(2024, 10, 31))
    CustomerScoreFactory(run=october, customer=own, status=Status.LOST, nine_cell="7+/medium")
    client.force_login(manager)
    profile = client.get(detail(own)).context["profile"]
    assert [row.run.month for row in profile.history] == [dt.date(2024, 10, 1), run.month]
    assert profile.score.run == october


def test_the_timeline_merges_visits_contacts_and_complaints_newest_first(client, manager, own):
    order = ServiceOrderFactory(customer=own, opened_on=dt.date(2024, 8, 1))
    ServiceOrderLineFactory(order=order, amount=Decimal("680.00"))
    ServiceOrderLineFactory(order=order, amount=Decimal("1200.50"))
    ContactLogFactory(customer=own, contacted_at=dt.datetime(2024, 9, 10, 16, 30, tzinfo=dt.UTC))
    ComplaintFactory(customer=own, opened_at=dt.datetime(2024, 8, 20, 2, 0, tzinfo=dt.UTC))
    client.force_login(manager)
    response = client.get(detail(own))
    kinds = [event.kind for event in response.context["profile"].timeline]
    assert kinds == ["Contact", "Complaint", "Service visit"]
    html = response.content.decode()
    assert "¥1,880.50" in html
    assert "2024-09-11 00:30" in html  # Beijing time of 16:30 UTC


def test_the_360_page_shows_vehicles_with_financing_and_open_tasks(client, advisor, own):
    PurchaseFactory(
        customer=own,
        payment_method="loan",
        funding_source="loan_needed",
        finance_term_months=36,
        purchased_on=dt.date(2022, 3, 15),
    )
    TaskFactory(customer=own, note="流失预警回访")
    client.force_login(advisor)
    response = client.get(detail(own))
    profile = response.context["profile"]
    assert profile.vehicles[0].purchase.finance_end_date == dt.date(2025, 3, 15)
    html = response.content.decode()
    assert "2025-03-15" in html
    assert "80,000 km" in html
    assert "流失预警回访" in html


def test_the_360_page_costs_a_bounded_number_of_queries(client, manager, own):
    client.force_login(manager)
    with CaptureQueriesContext(connection) as quiet:
        assert client.get(detail(own)).status_code == 200
    for day in range(1, TIMELINE_LIMIT + 10):
        order = ServiceOrderFactory(customer=own, opened_on=dt.date(2023, 1, 1) + dt.timedelta(day))
        ServiceOrderLineFactory(order=order)
        ContactLogFactory(customer=own)
    PurchaseFactory(customer=own)
    TaskFactory(customer=own)
    with CaptureQueriesContext(connection) as busy:
        response = client.get(detail(own))
    assert len(response.context["profile"].timeline) == TIMELINE_LIMIT
    assert len(busy) == len(quiet) <= 20


def test_an_unscored_customer_has_a_360_page(client, manager):
    customer = CustomerFactory()
    client.force_login(manager)
    response = client.get(detail(customer))
    assert response.status_code == 200
    assert "This customer has not been scored yet." in response.content.decode()


# --- revealing a contact field ----------------------------------------------------------------


def test_revealing_the_mobile_gives_a_call_button_and_is_logged(client, advisor, own):
    client.force_login(advisor)
    response = client.post(reveal(own), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="tel:13912345678"' in html
    assert "Call 13912345678" in html
    log = DataAccessLog.objects.get()
    assert (log.user, log.action, log.customer) == (advisor, DataAccessAction.REVEAL, own)


def test_revealing_another_field_gives_its_text(client, manager, own):
    own.wechat_id = "wx_wangwei88"
    own.save()
    client.force_login(manager)
    html = client.post(reveal(own, "wechat_id")).content.decode()
    assert "data-revealed" in html and "wx_wangwei88" in html
    assert "tel:" not in html


def test_reveal_is_post_only_and_knows_its_fields(client, manager, own):
    client.force_login(manager)
    assert client.get(reveal(own)).status_code == 405
    assert client.post(reveal(own, "name")).status_code == 404
    assert client.post(reverse("customer_reveal", args=[999999, "mobile"])).status_code == 404
    assert not DataAccessLog.objects.exists()


def test_the_360_page_shows_campaign_targets_which_have_no_round(client, manager, own):
    from winback.models import Campaign

    plan = ContactPlanFactory()
    campaign = Campaign.objects.create(
        name="七年老车关怀",
        filters={"nine_cell": "7+/low"},
        kind="win_back",
        plan=plan,
        starts_on=dt.date(2024, 10, 1),
        ends_on=dt.date(2024, 10, 31),
        owner=manager,
        created_by=manager,
        control_share=0.1,
    )
    TargetFactory(round=None, campaign=campaign, customer=own, anchor_on=dt.date(2024, 10, 2))
    client.force_login(manager)
    response = client.get(detail(own))
    assert response.status_code == 200
    assert "七年老车关怀 · 2024-10-02" in response.content.decode()
