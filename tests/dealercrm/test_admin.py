"""Every admin page renders, in a number of queries that does not grow with the rows shown,
and shows a sales advisor only their own customers' records."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from contacts.models import Complaint, ComplaintStatus, ComplaintStatusChange
from tests import factories
from tests.admin_pages import admin_url, queries_of_get

pytestmark = pytest.mark.django_db

#: factory per registered model; the test below checks the list covers the whole admin site.
FACTORIES = {
    "customers.customer": factories.CustomerFactory,
    "customers.profileobservation": factories.ProfileObservationFactory,
    "customers.contactpreference": factories.ContactPreferenceFactory,
    "customers.channeloptout": factories.ChannelOptOutFactory,
    "customers.valueevent": factories.ValueEventFactory,
    "vehicles.brand": factories.BrandFactory,
    "vehicles.vehiclemodel": factories.VehicleModelFactory,
    "vehicles.vehicle": factories.VehicleFactory,
    "vehicles.purchase": factories.PurchaseFactory,
    "vehicles.serviceorder": factories.ServiceOrderFactory,
    "vehicles.serviceorderline": factories.ServiceOrderLineFactory,
    "vehicles.odometerreading": factories.OdometerReadingFactory,
    "contacts.contactlog": factories.ContactLogFactory,
    "contacts.satisfactionsurvey": factories.SatisfactionSurveyFactory,
    "contacts.complaint": factories.ComplaintFactory,
    "contacts.complaintstatuschange": factories.ComplaintStatusChangeFactory,
}


def test_every_project_model_has_an_admin_and_a_factory_here():
    registered = {
        m._meta.label_lower
        for m in admin.site._registry
        if m._meta.app_label in {"customers", "vehicles", "contacts"}
    }
    assert registered == set(FACTORIES)


@pytest.mark.parametrize("label", sorted(FACTORIES))
def test_changelist_query_count_does_not_grow_with_rows(admin_client, label):
    factory = FACTORIES[label]
    factory.create_batch(3)
    few = queries_of_get(admin_client, admin_url(label, "changelist"))
    factory.create_batch(15)
    many = queries_of_get(admin_client, admin_url(label, "changelist"))
    assert many == few
    assert many <= 12


@pytest.mark.parametrize("label", sorted(FACTORIES))
def test_add_and_change_pages_render(admin_client, label):
    obj = FACTORIES[label]()
    assert queries_of_get(admin_client, admin_url(label, "add")) <= 25
    assert queries_of_get(admin_client, admin_url(label, "change", obj.pk)) <= 30


def _customer_with_history(orders: int):
    customer = factories.CustomerFactory()
    vehicle = factories.VehicleFactory(owner=customer)
    factories.PurchaseFactory(customer=customer, vehicle=vehicle)
    for i in range(orders):
        order = factories.ServiceOrderFactory(
            customer=customer,
            vehicle=vehicle,
            opened_on=dt.date(2020, 1, 1) + dt.timedelta(days=40 * i),
        )
        factories.ServiceOrderLineFactory(order=order)
        factories.OdometerReadingFactory(
            vehicle=vehicle, read_on=order.opened_on, km=1000 + 900 * i
        )
        factories.ContactLogFactory(customer=customer)
        factories.SatisfactionSurveyFactory(customer=customer, service_order=order)
        factories.ProfileObservationFactory(customer=customer, observed_on=order.opened_on)
        factories.ValueEventFactory(customer=customer)
    factories.ComplaintFactory(customer=customer)
    factories.ContactPreferenceFactory(customer=customer)
    return customer


def test_customer_page_costs_the_same_with_a_long_history(admin_client):
    short = _customer_with_history(orders=1)
    long = _customer_with_history(orders=20)
    url = "admin:customers_customer_change"
    assert queries_of_get(admin_client, reverse(url, args=[long.pk])) == queries_of_get(
        admin_client, reverse(url, args=[short.pk])
    )


def test_customer_page_shows_the_last_touch_and_mileage(admin_client):
    customer = _customer_with_history(orders=3)
    response = admin_client.get(reverse("admin:customers_customer_change", args=[customer.pk]))
    body = response.content.decode()
    assert "Last contact" in body and "Last spend" in body
    assert "2,800" in body  # the third reading, 1000 + 900 * 2 km


@pytest.fixture
def advisor_client(client, advisor, other_advisor):
    client.force_login(advisor)
    return client


def test_an_advisor_sees_only_their_own_customers(advisor_client, advisor, other_advisor):
    mine = factories.CustomerFactory(name="我的客户", sales_advisor=advisor)
    theirs = factories.CustomerFactory(name="别人的客户", sales_advisor=other_advisor)
    body = advisor_client.get(reverse("admin:customers_customer_changelist")).content.decode()
    assert "我的客户" in body and "别人的客户" not in body
    assert (
        advisor_client.get(reverse("admin:customers_customer_change", args=[mine.pk])).status_code
        == 200
    )
    response = advisor_client.get(reverse("admin:customers_customer_change", args=[theirs.pk]))
    assert response.status_code == 302  # the admin redirects a hidden object to the index


def test_an_advisor_sees_only_their_customers_service_orders(
    advisor_client, advisor, other_advisor
):
    mine = factories.ServiceOrderFactory(customer__sales_advisor=advisor, external_id="RO-MINE")
    theirs = factories.ServiceOrderFactory(
        customer__sales_advisor=other_advisor, external_id="RO-THEIRS"
    )
    body = advisor_client.get(reverse("admin:vehicles_serviceorder_changelist")).content.decode()
    assert "RO-MINE" in body and "RO-THEIRS" not in body
    assert mine.pk != theirs.pk
    search = advisor_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "vehicles",
            "model_name": "serviceorder",
            "field_name": "customer",
            "term": "客户",
        },
    ).json()
    assert [r["id"] for r in search["results"]] == [str(mine.customer_id)]


def _overdue_complaint(**kwargs) -> Complaint:
    opened = timezone.now() - dt.timedelta(days=3)
    return factories.ComplaintFactory(opened_at=opened, **kwargs)


def test_overdue_filter_lists_only_complaints_past_their_promise(admin_client):
    late = _overdue_complaint(description="迟迟没有回复")
    factories.ComplaintFactory(description="刚刚收到")
    answered = _overdue_complaint(description="已经回复")
    answered.first_response_at = answered.opened_at + dt.timedelta(hours=2)
    answered.save()
    body = admin_client.get(
        reverse("admin:contacts_complaint_changelist") + "?overdue=yes"
    ).content.decode()
    assert str(late.customer) in body
    assert str(answered.customer) not in body


def test_escalate_action_raises_the_level_and_records_the_step(admin_client, superuser):
    open_complaint = _overdue_complaint()
    done = factories.ComplaintFactory(status=ComplaintStatus.RESOLVED, resolution="已处理")
    admin_client.post(
        reverse("admin:contacts_complaint_changelist"),
        {"action": "escalate", "_selected_action": [open_complaint.pk, done.pk]},
    )
    open_complaint.refresh_from_db()
    done.refresh_from_db()
    assert (open_complaint.status, open_complaint.escalation_level) == (
        ComplaintStatus.ESCALATED,
        1,
    )
    assert (
        ComplaintStatusChange.objects.filter(complaint=open_complaint, status="escalated").count()
        == 1
    )
    assert done.escalation_level == 0


def test_an_advisor_cannot_escalate(advisor_client, advisor):
    complaint = _overdue_complaint(customer__sales_advisor=advisor)
    advisor_client.post(
        reverse("admin:contacts_complaint_changelist"),
        {"action": "escalate", "_selected_action": [complaint.pk]},
    )
    complaint.refresh_from_db()
    assert complaint.escalation_level == 0
