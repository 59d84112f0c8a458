"""The demo dealership generator: counts, determinism, realism invariants, model validity."""

from __future__ import annotations

import datetime as dt
import hashlib
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, Max, Min

from accounts.roles import Role
from contacts.models import Complaint, ComplaintStatusChange, SatisfactionSurvey
from customers.models import ContactPreference, Customer, ProfileObservation
from demo import loaders
from vehicles.models import OdometerReading, Purchase, ServiceOrder, ServiceOrderLine, Vehicle

AS_OF = dt.date(2026, 6, 30)
pytestmark = pytest.mark.django_db


def _seed(customers: int = 200, seed: int = 7, **extra) -> str:
    out = StringIO()
    call_command(
        "seed_demo", customers=customers, seed=seed, as_of=AS_OF, stdout=out, chunk_size=80, **extra
    )
    return out.getvalue()


def _digest() -> str:
    """A hash of every generated row (timestamps of the write excluded)."""
    digest = hashlib.sha256()
    for table in loaders.TABLE_ORDER:
        model = loaders.model_for_table(table)
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if f.name not in {"created_at", "updated_at"}
        ]
        for row in model.objects.order_by("pk").values_list(*fields):
            digest.update(repr(row).encode())
    return digest.hexdigest()


def test_seeding_writes_the_requested_customers_with_their_history():
    output = _seed(customers=200)
    assert Customer.objects.count() == 200
    assert "Seeded 200 customers" in output
    assert "demo12345" in output
    # Every customer bought at least one car; a quarter or so bought a second one.
    per_customer = Customer.objects.annotate(n=Count("purchases"))
    assert per_customer.filter(n=0).count() == 0
    assert 0.1 < per_customer.filter(n__gte=2).count() / 200 < 0.4
    orders = ServiceOrder.objects.count()
    assert 4 * 200 < orders < 14 * 200
    assert ServiceOrderLine.objects.count() >= orders
    assert SatisfactionSurvey.objects.exists() and Complaint.objects.exists()


def test_the_same_seed_gives_the_same_dealership_and_another_seed_does_not():
    _seed(seed=7)
    first = _digest()
    _seed(seed=7, reset=True)
    assert _digest() == first
    _seed(seed=8, reset=True)
    assert _digest() != first


def test_generated_rows_pass_every_model_validation():
    _seed(customers=120)
    for table in loaders.TABLE_ORDER:
        model = loaders.model_for_table(table)
        rows = list(model.objects.order_by("pk")[:60])
        assert rows, table
        for obj in rows:
            obj.full_clean(validate_unique=False)


def test_nothing_is_dated_after_the_as_of_date():
    _seed()
    assert ServiceOrder.objects.aggregate(m=Max("opened_on"))["m"] <= AS_OF
    assert OdometerReading.objects.aggregate(m=Max("read_on"))["m"] <= AS_OF
    assert Purchase.objects.aggregate(m=Max("purchased_on"))["m"] <= AS_OF
    assert SatisfactionSurvey.objects.aggregate(m=Max("surveyed_on"))["m"] <= AS_OF
    assert ProfileObservation.objects.aggregate(m=Max("observed_on"))["m"] <= AS_OF
    first = Purchase.objects.aggregate(m=Min("purchased_on"))["m"]
    assert first >= AS_OF - dt.timedelta(days=12 * 366)


def test_odometer_readings_only_go_up_on_each_vehicle():
    _seed()
    last_km: dict[int, int] = {}
    for vehicle_id, km in OdometerReading.objects.order_by(
        "vehicle_id", "read_on", "km"
    ).values_list("vehicle_id", "km"):
        assert km >= last_km.get(vehicle_id, 0)
        last_km[vehicle_id] = km
    assert len(last_km) > 100


def test_vins_and_mobiles_are_unique_and_preferences_consistent():
    _seed()
    vins = list(Vehicle.objects.values_list("vin", flat=True))
    assert len(vins) == len(set(vins))
    mobiles = list(Customer.objects.values_list("mobile", flat=True))
    assert len(mobiles) == len(set(mobiles))
    for pref in ContactPreference.objects.all():
        assert not set(pref.preferred_channels) & set(pref.disliked_channels)
        assert pref.preferred_channels


def test_financing_matches_the_payment_method():
    _seed()
    full = Purchase.objects.filter(payment_method="full")
    assert full.exists()
    assert not full.filter(funding_source__in=["loan_by_choice", "loan_needed"]).exists()
    assert not full.exclude(finance_term_months=None).exists()
    loans = Purchase.objects.exclude(payment_method="full")
    assert loans.exists()
    assert not loans.filter(finance_term_months=None).exists()
    assert not loans.filter(finance_end_date=None).exists()


def test_complaint_histories_run_forward_and_some_complaints_are_open():
    _seed(customers=300)
    assert Complaint.objects.unresolved().exists()
    assert Complaint.objects.exclude(
        status__in=["open", "acknowledged", "in_progress", "escalated"]
    ).exists()
    last: dict[int, object] = {}
    for complaint_id, changed_at in ComplaintStatusChange.objects.order_by(
        "complaint_id", "id"
    ).values_list("complaint_id", "changed_at"):
        assert complaint_id not in last or changed_at >= last[complaint_id]
        last[complaint_id] = changed_at


def test_some_customers_lapsed_and_some_are_active():
    _seed(customers=300)
    latest = Customer.objects.annotate(last=Max("service_orders__opened_on"))
    cutoff = AS_OF - dt.timedelta(days=540)
    lapsed = latest.filter(last__lt=cutoff).count() + latest.filter(last=None).count()
    active = latest.filter(last__gte=AS_OF - dt.timedelta(days=365)).count()
    assert lapsed > 30
    assert active > 100


def test_demo_logins_exist_for_every_role_and_customers_are_assigned():
    _seed()
    user_model = apps.get_model("auth", "User")
    for role in Role:
        assert user_model.objects.filter(groups__name=role.value).exists(), role
    assert user_model.objects.get(username="admin").is_superuser
    assert not Customer.objects.filter(sales_advisor=None).exists()
    assert user_model.objects.get(username="advisor1").check_password("demo12345")


def test_a_second_run_refuses_to_mix_data_unless_reset_or_if_empty():
    _seed()
    with pytest.raises(CommandError, match="--reset"):
        _seed()
    assert "leaving the demo data" in _seed(if_empty=True)
    assert Customer.objects.count() == 200


def test_bulk_mode_refuses_sqlite():
    if connection.vendor == "postgresql":
        pytest.skip("this checks the refusal on SQLite")
    with pytest.raises(CommandError, match="PostgreSQL"):
        _seed(bulk=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_bulk_mode_loads_through_copy_and_continues_the_id_sequences():
    _seed(customers=150, bulk=True)
    assert Customer.objects.count() == 150
    # Sequences were moved past the explicit ids, so ordinary inserts still work.
    customer = Customer.objects.create(name="新客户", mobile="13900000000")
    assert customer.pk > 150


def test_a_reset_also_removes_the_work_planned_for_the_old_customers():
    from tests.factories import TargetFactory, TaskFactory
    from winback.models import Round, Target, Task

    _seed(customers=20)
    customer = Customer.objects.first()
    TaskFactory(customer=customer, target=TargetFactory(customer=customer))
    _seed(customers=20, reset=True)
    assert not Task.objects.exists()
    assert not Target.objects.exists()
    assert not Round.objects.exists()
    assert Customer.objects.count() == 20


def test_a_demo_seeded_in_the_morning_has_no_row_stamped_later(monkeypatch):
    """Rows of the demo's day were stamped at its noon: seeded at 08:00 they lay in the
    future, and the API's change feed (rows updated before now) showed none of them."""
    from django.utils import timezone

    morning = timezone.make_aware(dt.datetime.combine(AS_OF, dt.time(8)))
    monkeypatch.setattr(timezone, "now", lambda: morning)
    _seed(customers=60)
    for table in loaders.TABLE_ORDER:
        model = loaders.model_for_table(table)
        for field in model._meta.concrete_fields:
            if field.get_internal_type() == "DateTimeField" and field.name not in {
                "promised_response_by"
            }:
                later = model.objects.filter(**{f"{field.name}__gt": morning})
                assert not later.exists(), f"{table}.{field.name}"
    assert Customer.objects.filter(created_at=morning).count() == 60
