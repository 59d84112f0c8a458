"""The customer 360° page in a real browser: a manager on a phone, in Chinese, reveals a
customer's mobile number."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.utils import timezone

from accounts.roles import Role
from customers.models import DataAccessAction, DataAccessLog
from segmentation.models import Status
from tests.browser.conftest import english_leaks, horizontal_overflow, screenshot
from tests.factories import (
    ComplaintFactory,
    ContactLogFactory,
    CustomerFactory,
    CustomerScoreFactory,
    PurchaseFactory,
    ScoringRunFactory,
    ServiceOrderFactory,
    ServiceOrderLineFactory,
    TaskFactory,
)


def test_a_manager_reads_a_customer_on_a_phone_and_reveals_the_mobile(
    live_server, staff_user, signed_in
):
    manager = staff_user(Role.MANAGER, username="zhang", first_name="经理", last_name="张")
    advisor = staff_user(Role.SALES_ADVISOR, username="li", first_name="顾问", last_name="李")
    customer = CustomerFactory(
        name="王伟",
        mobile="13912345678",
        wechat_id="wx_wangwei88",
        address="广东省深圳市南山区科技园路1号",
        sales_advisor=advisor,
    )
    september = ScoringRunFactory(month=dt.date(2024, 9, 1), as_of=dt.date(2024, 9, 30))
    october = ScoringRunFactory(month=dt.date(2024, 10, 1), as_of=dt.date(2024, 10, 31))
    CustomerScoreFactory(run=september, customer=customer, future_value=5200.0)
    CustomerScoreFactory(
        run=october,
        customer=customer,
        status=Status.AT_RISK,
        churn_score=0.4213,
        churn_overdue=0.6,
        overdue_ratio=1.9,
        recency_days=228.0,
        nine_cell="7+/low",
        rfm_segment="at_risk",
        previous_rfm_segment="loyal",
        value_tier=1,
        future_value=3713.71,
        previous_future_value=5200.0,
        future_value_change=-1486.29,
    )
    purchase = PurchaseFactory(
        customer=customer,
        payment_method="loan",
        funding_source="loan_needed",
        finance_term_months=36,
        monthly_payment=Decimal("3200.00"),
        purchased_on=dt.date(2017, 3, 15),
    )
    for months_ago in range(6):
        order = ServiceOrderFactory(
            customer=customer,
            vehicle=purchase.vehicle,
            opened_on=dt.date(2024, 3, 1) - dt.timedelta(days=90 * months_ago),
            advisor_name="赵工",
        )
        ServiceOrderLineFactory(order=order, amount=Decimal("1280.50"))
    ContactLogFactory(customer=customer, staff=advisor)
    ComplaintFactory(customer=customer)
    TaskFactory(customer=customer, assignee=advisor, note="车龄较长、满意度低，邀请回厂检测")

    page = signed_in(manager, phone=True)
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    page.wait_for_selector("h1.customer-name")
    body = page.inner_text("body")
    assert "13912345678" not in body
    assert "139****5678" in body
    assert "车龄7年以上" in body
    assert horizontal_overflow(page) == 0
    # The VIN is the car's name, Latin letters and all.
    vin_words = set(re.findall(r"[A-Za-z]+", purchase.vehicle.vin))
    assert english_leaks(page, allow=vin_words) == []

    page.click(".contact-fields dd:has(.masked) button.reveal >> nth=0")
    call = page.wait_for_selector('a[href="tel:13912345678"]')
    assert "13912345678" in call.inner_text()
    assert horizontal_overflow(page) == 0
    log = DataAccessLog.objects.get()
    assert (log.user, log.action, log.customer) == (manager, DataAccessAction.REVEAL, customer)
    assert log.at <= timezone.now()
    screenshot(page, "customer-360")
