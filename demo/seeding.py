"""Seed the demo dealership: staff users per role, the catalogue, then customers in chunks."""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone

from accounts.roles import Role, roles_sync
from customers.models import Customer
from demo import chunk_context, generator, loaders, vehicle_frames

#: Password of every demo login; printed by ``seed_demo`` and shown in the README.
DEMO_PASSWORD = "demo12345"


@dataclass
class SeedReport:
    """Rows written per table and seconds spent, for the command to print."""

    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    logins: list[tuple[str, str]] = field(default_factory=list)

    def add(self, written: dict[str, int]) -> None:
        for table, count in written.items():
            self.rows[table] = self.rows.get(table, 0) + count


def demo_staff_create(*, customers: int) -> tuple[chunk_context.Staff, list[tuple[str, str]]]:
    """Create (or reuse) the demo logins: admin, a manager, marketing staff, advisors, the DMS."""
    user_model = get_user_model()
    password = make_password(DEMO_PASSWORD)
    advisors = max(3, min(20, customers // 1500))
    wanted = [
        ("admin", None),
        ("manager", Role.MANAGER),
        ("marketing", Role.SERVICE_MARKETING),
        ("marketing2", Role.SERVICE_MARKETING),
        ("dms", Role.DMS_CLIENT),
    ]
    wanted += [(f"advisor{i}", Role.SALES_ADVISOR) for i in range(1, advisors + 1)]
    if Group.objects.filter(name__in=[r.value for r in Role]).count() < len(Role):
        # The migration creates the groups; a flushed database (tests) needs them again.
        roles_sync(django_apps)
    groups = {g.name: g for g in Group.objects.filter(name__in=[r.value for r in Role])}
    logins, by_role = [], {role: [] for role in Role}
    for username, role in wanted:
        user, created = user_model.objects.get_or_create(
            username=username,
            defaults={
                "password": password,
                "is_staff": role is not Role.DMS_CLIENT,
                "is_superuser": role is None,
            },
        )
        if role is not None:
            user.groups.add(groups[role.value])
            by_role[role].append(user.pk)
        logins.append((username, str(role.value if role else "superuser")))
    staff = chunk_context.Staff(
        advisor_ids=tuple(by_role[Role.SALES_ADVISOR]),
        marketing_ids=tuple(by_role[Role.SERVICE_MARKETING]),
    )
    return staff, logins


def demo_dealership_seed(
    *,
    customers: int,
    seed: int,
    as_of: dt.date,
    chunk_size: int = 20_000,
    bulk: bool = False,
    progress: Callable[[int], None] | None = None,
) -> SeedReport:
    """Generate and write ``customers`` customers with their whole history.

    Each chunk is written in its own transaction so a million customers never sit in memory at
    once; the ids continue after any rows already in the tables. ``bulk`` (PostgreSQL) drops
    foreign keys and secondary indexes during the load and restores them at the end.
    """
    report = SeedReport()
    # Everything generated happened before this moment, as in a dealership's live database.
    seeded_at = timezone.now()
    staff, report.logins = demo_staff_create(customers=customers)
    ids = chunk_context.IdCursor(loaders.next_ids())
    started = time.perf_counter()
    with transaction.atomic():
        if not loaders.model_for_table("vehicles_brand").objects.exists():
            report.add(loaders.write_frames(vehicle_frames.catalogue_frames(as_of)))
    first_id = ids.next_ids.pop("customers_customer")
    load_mode = loaders.postgres_bulk_load() if bulk else contextlib.nullcontext()
    with load_mode:
        for chunk_no, start in enumerate(range(0, customers, chunk_size)):
            count = min(chunk_size, customers - start)
            t0 = time.perf_counter()
            frames = generator.generate_chunk(
                first_customer_id=first_id + start,
                count=count,
                seed=seed,
                chunk_no=chunk_no,
                as_of=as_of,
                staff=staff,
                ids=ids,
                now=seeded_at,
            )
            t1 = time.perf_counter()
            with transaction.atomic():
                report.add(loaders.write_frames(frames))
            t2 = time.perf_counter()
            report.seconds["generate"] = report.seconds.get("generate", 0) + t1 - t0
            report.seconds["write"] = report.seconds.get("write", 0) + t2 - t1
            if progress:
                progress(count)
        restore_started = time.perf_counter()
    if bulk:
        report.seconds["indexes and constraints"] = time.perf_counter() - restore_started
    loaders.reset_sequences(loaders.TABLE_ORDER)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    report.seconds["total"] = time.perf_counter() - started
    return report


def demo_dealership_ensure(*, customers: int, seed: int) -> bool:
    """Make the database hold exactly ``customers`` demo customers, loading them with the bulk
    generator (PostgreSQL) when it holds another number; returns whether it loaded."""
    if Customer.objects.count() == customers:
        return False
    demo_data_delete()
    demo_dealership_seed(
        customers=customers,
        seed=seed,
        as_of=timezone.localdate(),
        chunk_size=50_000,
        bulk=True,
    )
    return True


def demo_data_exists() -> bool:
    return Customer.objects.exists()


def demo_data_delete() -> None:
    """Remove all customers and their records (TRUNCATE on PostgreSQL)."""
    with transaction.atomic():
        loaders.delete_all()
