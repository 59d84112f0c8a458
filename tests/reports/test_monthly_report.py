"""The monthly win-back report (R6.1): its figures against known returns, spend, control group,
contacts, offers and status moves; who may read it and download it; the Excel file; the log."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from customers.models import DataAccessAction, DataAccessLog
from reports.monthly_calendar import report_month_latest
from reports.monthly_figures import MINUTES_PER_CONTACT, monthly_report, monthly_reports_refresh
from segmentation.models import RunKind, Status
from tests.admin_pages import queries_of_get
from tests.factories import (
    ContactLogFactory,
    ContactPlanFactory,
    CustomerFactory,
    CustomerScoreFactory,
    OfferFactory,
    PurchaseFactory,
    RoundFactory,
    ScoringRunFactory,
    ServiceOrderFactory,
    ServiceOrderLineFactory,
    TargetFactory,
)
from winback.models import Campaign, CampaignStatus, TaskKind

pytestmark = pytest.mark.django_db

MONTH = dt.date(2025, 6, 1)


@pytest.fixture(autouse=True)
def _no_cached_reports():
    """Reports are cached; each test counts its own data."""
    cache.clear()
    yield
    cache.clear()


def _visit(customer, day: dt.date, *amounts: str) -> None:
    order = ServiceOrderFactory(customer=customer, opened_on=day)
    for amount in amounts:
        ServiceOrderLineFactory(order=order, amount=Decimal(amount))


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A Beijing wall-clock time."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@pytest.fixture
def month_data(manager):
    return build_june(manager)


def build_june(manager) -> dict:
    """June 2025: four customers recovered (three from rounds, one from a campaign) spending
    ¥2,500 in June, one control customer back, and customers who do not count (also used by
    the browser test)."""
    june = RoundFactory(starts_on=MONTH)
    april = RoundFactory(starts_on=dt.date(2025, 4, 1))
    january = RoundFactory(starts_on=dt.date(2025, 1, 1))
    offer = OfferFactory(price=Decimal("1200.00"))
    data = {"customers": {}}

    def target(name, round_=june, **fields):
        customer = CustomerFactory(name=name)
        data["customers"][name] = customer
        return TargetFactory(round=round_, customer=customer, **fields)

    # Recovered: first contact 5 June, back 20 June spending ¥1,500.
    t1 = target(
        "回厂甲",
        anchor_on=dt.date(2025, 6, 5),
        first_contact_at=_at(dt.date(2025, 6, 5), 10),
        offer=offer,
        offer_matched=True,
        returned_1m=True,
        spend_1m=Decimal("1500"),
    )
    _visit(t1.customer, dt.date(2025, 6, 20), "1000", "500")
    # Visited on 1 June, before the first contact on 3 June: not recovered by the work.
    t2 = target(
        "先来乙",
        kind=TaskKind.CHURN_WARNING,
        score_status=Status.AT_RISK,
        anchor_on=dt.date(2025, 6, 3),
        offer=offer,
        offer_matched=False,
        returned_1m=False,
        spend_1m=Decimal("0"),
    )
    _visit(t2.customer, dt.date(2025, 6, 1), "300")
    # April's target back in May already: its first return is not in June.
    t3 = target("五月丙", round_=april, anchor_on=dt.date(2025, 4, 10))
    _visit(t3.customer, dt.date(2025, 5, 15), "200")
    _visit(t3.customer, dt.date(2025, 6, 10), "200")
    # April's target first back in June: recovered, ¥800.
    t4 = target("四月丁", round_=april, anchor_on=dt.date(2025, 4, 10))
    _visit(t4.customer, dt.date(2025, 6, 12), "800")
    # Control customer back in June: counted apart.
    t5 = target("对照戊", group="control", returned_1m=True, spend_1m=Decimal("90"))
    _visit(t5.customer, dt.date(2025, 6, 15), "90")
    # Active when chosen: not a win-back.
    t6 = target("活跃己", round_=april, score_status=Status.ACTIVE, anchor_on=dt.date(2025, 4, 10))
    _visit(t6.customer, dt.date(2025, 6, 15), "999")
    # At risk, bought a car: recovered, no service spend.
    t7 = target("购车庚", score_status=Status.AT_RISK, returned_1m=True, spend_1m=Decimal("0"))
    PurchaseFactory(customer=t7.customer, purchased_on=dt.date(2025, 6, 25))
    # A target of January, outside the three-month window.
    t8 = target("旧辛", round_=january, anchor_on=dt.date(2025, 1, 5))
    _visit(t8.customer, dt.date(2025, 6, 8), "700")
    # A free (warranty) visit is no return.
    t9 = target("保修壬")
    _visit(t9.customer, dt.date(2025, 6, 9), "0")
    # A campaign's target back in June: recovered, ¥200.
    campaign = Campaign.objects.create(
        name="夏季关怀",
        plan=ContactPlanFactory(),
        starts_on=dt.date(2025, 6, 1),
        ends_on=dt.date(2025, 6, 30),
        owner=manager,
        created_by=manager,
        status=CampaignStatus.RUNNING,
        control_share=0.1,
    )
    camp = CustomerFactory(name="活动癸")
    TargetFactory(round=None, campaign=campaign, customer=camp, anchor_on=dt.date(2025, 6, 2))
    _visit(camp, dt.date(2025, 6, 18), "200")
    # Contacts: three calls and a home visit in June (Beijing days), none counted outside it.
    for when in (_at(dt.date(2025, 6, 2), 9), _at(dt.date(2025, 6, 15), 14)):
        ContactLogFactory(contacted_at=when, channel="phone")
    ContactLogFactory(contacted_at=_at(dt.date(2025, 6, 30), 23, 30), channel="phone")
    ContactLogFactory(contacted_at=_at(dt.date(2025, 6, 10), 15), channel="visit_home")
    ContactLogFactory(contacted_at=_at(dt.date(2025, 7, 1), 0, 10), channel="phone")
    ContactLogFactory(contacted_at=_at(dt.date(2025, 5, 31), 23, 50), channel="phone")
    # Scores: one lost customer active again, two newly lost.
    may = ScoringRunFactory(month=dt.date(2025, 5, 1), as_of=dt.date(2025, 5, 31))
    june_run = ScoringRunFactory(month=MONTH, as_of=dt.date(2025, 6, 30))
    for before, after in (
        (Status.LOST, Status.ACTIVE),
        (Status.ACTIVE, Status.LOST),
        (Status.AT_RISK, Status.LOST),
        (Status.ACTIVE, Status.ACTIVE),
    ):
        customer = CustomerFactory()
        CustomerScoreFactory(run=may, customer=customer, status=before)
        CustomerScoreFactory(run=june_run, customer=customer, status=after)
    data.update(round=june, campaign=campaign, offer=offer)
    return data


def test_recovered_customers_and_revenue(manager, month_data):
    report = monthly_report(user=manager, month=MONTH)

    assert report.recovered == 4
    assert report.recovered_lost == 3
    assert report.recovered_at_risk == 1
    assert report.control_returned == 1
    assert report.revenue_recovered == Decimal("2500.00")


def test_status_moves_effort_and_offers(manager, month_data):
    report = monthly_report(user=manager, month=MONTH)

    assert report.back_from_lost == 1
    assert report.newly_lost == 2
    assert report.contacts == 4
    expected_minutes = 3 * MINUTES_PER_CONTACT["phone"] + MINUTES_PER_CONTACT["visit_home"]
    assert report.hours == pytest.approx(expected_minutes / 60)
    assert (report.offers_made, report.offers_taken_up) == (2, 1)
    assert report.offers_value == Decimal("1200.00")
    # June's round: t1, t2, t7 and t9 contacted, t5 held back.
    assert (report.contacted, report.control) == (4, 1)


def test_uplift_against_the_control_group_and_verdicts(manager, month_data):
    report = monthly_report(user=manager, month=MONTH)

    one_month = report.outcomes["1m"]
    # Measured: t1 back, t2 not, t7 back (t9 unmeasured); control t5 back.
    assert one_month["contacted_n"] == 3
    assert one_month["contacted_rate"] == pytest.approx(2 / 3)
    assert one_month["uplift_points"] == pytest.approx(100 * (2 / 3 - 1))
    assert report.verdict.code == "too_early"
    kinds = {item.kind: item for item in report.kinds}
    assert set(kinds) == {TaskKind.CHURN_WARNING, TaskKind.WIN_BACK}
    assert (kinds[TaskKind.WIN_BACK].contacted, kinds[TaskKind.WIN_BACK].control) == (3, 1)
    assert kinds[TaskKind.CHURN_WARNING].outcomes["1m"]["contacted_rate"] == 0
    assert [item.campaign.name for item in report.campaigns] == ["夏季关怀"]
    assert report.campaigns[0].verdict.code == "too_early"


def test_outcomes_equal_outcome_summary(manager, month_data):
    from winback.models import Target
    from winback.outcomes import outcome_summary

    report = monthly_report(user=manager, month=MONTH)
    targets = Target.objects.filter(round=month_data["round"])
    assert report.outcomes == outcome_summary(targets)
    for item in report.kinds:
        assert item.outcomes == outcome_summary(targets.filter(kind=item.kind))


def test_trend_row_of_the_month(manager, month_data):
    report = monthly_report(user=manager, month=MONTH)

    assert [row.month for row in report.trend][-1] == MONTH
    assert len(report.trend) == 12
    row = report.trend[-1]
    assert (row.contacted, row.control, row.contacts) == (4, 1, 4)
    assert row.uplift_1m == pytest.approx(100 * (2 / 3 - 1))
    assert (row.back_from_lost, row.newly_lost) == (1, 2)
    april = next(r for r in report.trend if r.month == dt.date(2025, 4, 1))
    assert april.contacted == 3 and april.uplift_1m is None


def test_latest_month_is_the_latest_round(month_data):
    assert report_month_latest() == MONTH


# --- the pages ----------------------------------------------------------------------------


def test_latest_redirects_to_the_month(client, manager, month_data):
    client.force_login(manager)
    response = client.get(reverse("report_monthly_latest"))
    assert response.status_code == 302
    assert response["Location"] == reverse("report_monthly", args=["2025-06"])


def test_the_page_shows_the_figures(client, manager, month_data):
    client.force_login(manager)
    response = client.get(reverse("report_monthly", args=["2025-06"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="figure-recovered">4<' in html
    assert "¥2,500.00" in html
    assert "夏季关怀" in html
    assert reverse("report_monthly_xlsx", args=["2025-06"]) in html
    assert "Lost-customer win-back" in html
    assert "win_back" not in html.replace('value="', "")


def test_service_marketing_reads_it(client, marketing, month_data):
    client.force_login(marketing)
    assert client.get(reverse("report_monthly", args=["2025-06"])).status_code == 200


@pytest.mark.parametrize("name", ["report_monthly", "report_monthly_xlsx"])
def test_advisors_may_not(client, advisor, month_data, name):
    client.force_login(advisor)
    assert client.get(reverse(name, args=["2025-06"])).status_code == 403
    assert not DataAccessLog.objects.exists()


@pytest.mark.parametrize("name", ["report_monthly", "report_monthly_xlsx"])
def test_anonymous_visitors_sign_in_first(client, name):
    response = client.get(reverse(name, args=["2025-06"]))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.parametrize(
    ("month", "message"),
    [("2025-13", "is not a month"), ("2020-01", "no win-back results for 2020-01")],
)
def test_a_bad_or_empty_month_is_a_404_that_says_why(client, manager, month_data, month, message):
    client.force_login(manager)
    response = client.get(reverse("report_monthly", args=[month]))
    assert response.status_code == 404
    html = response.content.decode()
    assert message in html
    assert reverse("report_monthly", args=["2025-06"]) in html


def test_no_round_yet_is_a_404_that_says_why(client, manager):
    client.force_login(manager)
    response = client.get(reverse("report_monthly_latest"))
    assert response.status_code == 404
    assert "No win-back round has run yet" in response.content.decode()


def test_page_queries_are_bounded(client, manager, month_data):
    client.force_login(manager)
    url = reverse("report_monthly", args=["2025-06"])
    client.get(url)  # stores the run summaries
    cache.clear()
    before = queries_of_get(client, url)
    # More targets, kinds, customers and contacts cost no more queries.
    for kind in (TaskKind.CARE, TaskKind.REPLACEMENT, TaskKind.LOAN_ENDING):
        for _ in range(3):
            target = TargetFactory(round=month_data["round"], kind=kind)
            _visit(target.customer, dt.date(2025, 6, 20), "100")
            ContactLogFactory(customer=target.customer, contacted_at=_at(dt.date(2025, 6, 21), 9))
    cache.clear()
    assert queries_of_get(client, url) == before
    assert before <= 30
    # Counted once: the next request reads the cached report.
    assert queries_of_get(client, url) < before


# --- the Excel file -----------------------------------------------------------------------


def _workbook(response):
    return load_workbook(io.BytesIO(response.content))


def test_the_excel_file_holds_the_figures_and_masked_customers(client, manager, month_data):
    client.force_login(manager)
    response = client.get(reverse("report_monthly_xlsx", args=["2025-06"]))

    assert response.status_code == 200
    assert "2025-06.xlsx" in response["Content-Disposition"]
    workbook = _workbook(response)
    assert workbook.sheetnames == [
        "Summary",
        "Campaigns and work",
        "Trend",
        "Recovered customers",
        "Targets of the month",
    ]
    summary = {row[0]: row[1:] for row in workbook["Summary"].iter_rows(values_only=True)}
    assert summary["Recovered customers (contacted, came back)"][0] == 4
    assert summary["Revenue recovered"][1] == pytest.approx(2500)
    assert workbook["Summary"]["C7"].number_format == "¥#,##0.00"

    recovered = list(workbook["Recovered customers"].iter_rows(values_only=True))
    assert recovered[0][:3] == ("Customer no.", "Customer", "Mobile")
    names = sorted(row[1] for row in recovered[1:])
    assert names == sorted(["回厂甲", "四月丁", "对照戊", "购车庚", "活动癸"])
    mobiles = [row[2] for row in recovered[1:]]
    assert all("****" in mobile for mobile in mobiles)
    full = {c.mobile for c in month_data["customers"].values()}
    cells = {
        str(value)
        for ws in workbook.worksheets
        for row in ws.iter_rows(values_only=True)
        for value in row
    }
    assert not cells & full
    by_name = {row[1]: row for row in recovered[1:]}
    assert by_name["回厂甲"][7] == pytest.approx(1500)

    targets = list(workbook["Targets of the month"].iter_rows(values_only=True))
    assert len(targets) == 1 + 5  # the header and June's round: t1, t2, t5, t7, t9
    trend = list(workbook["Trend"].iter_rows(values_only=True))
    assert trend[-1][0] == "2025-06" and trend[-1][1] == 4
    work = {row[0]: row for row in workbook["Campaigns and work"].iter_rows(values_only=True)}
    assert work["夏季关怀"][9] == "Too early to tell"


def test_the_download_is_logged(client, manager, month_data):
    client.force_login(manager)
    client.get(reverse("report_monthly_xlsx", args=["2025-06"]))

    entry = DataAccessLog.objects.get()
    assert entry.user == manager
    assert entry.action == DataAccessAction.EXPORT
    assert entry.filters == {"month": "2025-06"}
    assert entry.rows == 5 + 5
    assert "2025-06" in entry.what


def test_the_excel_file_of_a_bad_month_is_a_404_and_not_logged(client, manager, month_data):
    client.force_login(manager)
    assert client.get(reverse("report_monthly_xlsx", args=["2019-01"])).status_code == 404
    assert not DataAccessLog.objects.exists()


def test_runs_of_other_kinds_do_not_count_as_the_months_scores(manager, month_data):
    ScoringRunFactory(month=MONTH, as_of=dt.date(2025, 6, 15), kind=RunKind.WARNING)
    assert monthly_report(user=manager, month=MONTH).newly_lost == 2


def test_a_report_is_cached_until_counted_again(manager, month_data):
    first = monthly_report(user=manager, month=MONTH)
    target = TargetFactory(round=month_data["round"], anchor_on=dt.date(2025, 6, 2))
    _visit(target.customer, dt.date(2025, 6, 22), "100")
    assert monthly_report(user=manager, month=MONTH).recovered == first.recovered == 4
    assert monthly_report(user=manager, month=MONTH, fresh=True).recovered == 5


def test_trend_figures_of_final_rounds_are_kept_for_a_day(manager, month_data):
    def june_row(report):
        return next(row for row in report.trend if row.month == MONTH)

    assert june_row(monthly_report(user=manager, month=MONTH)).contacted == 4
    TargetFactory(round=month_data["round"])
    fresh = monthly_report(user=manager, month=MONTH, fresh=True)
    # June's outcomes are all measured (it is over four months ago): its trend row is kept,
    # the month's own figures are counted again.
    assert june_row(fresh).contacted == 4
    assert fresh.contacted == 5
    cache.clear()
    assert june_row(monthly_report(user=manager, month=MONTH)).contacted == 5


def test_the_morning_task_counts_the_latest_report_ahead_of_the_managers(manager, month_data):
    stale = monthly_report(user=manager, month=MONTH)
    target = TargetFactory(round=month_data["round"], anchor_on=dt.date(2025, 6, 2))
    _visit(target.customer, dt.date(2025, 6, 22), "100")
    assert monthly_reports_refresh(today=dt.date(2025, 7, 2))[0] == MONTH
    assert monthly_report(user=manager, month=MONTH).recovered == stale.recovered + 1


def test_the_morning_task_needs_a_reader_who_sees_everyone(advisor, month_data):
    # Only an advisor is still active: nothing is counted for the readers who see all.
    from django.contrib.auth import get_user_model

    get_user_model().objects.exclude(pk=advisor.pk).update(is_active=False)
    assert monthly_reports_refresh(today=dt.date(2025, 7, 2)) == []
