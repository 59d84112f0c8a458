"""``manage.py bench_api``: the sync API's throughput on PostgreSQL against a COPY floor.

See :mod:`benchmarks.sync_api` for what is measured. Example (fresh, migrated database)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dealercrm_api_bench \\
        .venv/bin/python manage.py bench_api --orders 1000000 --replay 100000
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from benchmarks import sync_api as bench


class Command(BaseCommand):
    help = _(
        "Benchmark the DMS sync API on PostgreSQL: push service orders with lines through "
        "gunicorn in batches, replay the first ones, and compare with a COPY of the same rows."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--orders", type=int, default=100_000)
        parser.add_argument("--replay", type=int, default=None, help=_("default: a tenth"))
        parser.add_argument("--batch-size", type=int, default=5_000)
        parser.add_argument("--customers", type=int, default=None, help=_("default: orders / 10"))
        parser.add_argument("--workers", type=int, default=3, help=_("gunicorn workers"))
        parser.add_argument("--clients", type=int, default=3, help=_("concurrent connections"))
        parser.add_argument(
            "--days",
            type=int,
            default=bench.HISTORY_DAYS,
            help=_("spread the orders over this many days back (1: all yesterday, live visits)"),
        )

    def handle(self, *args, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError(_("bench_api needs PostgreSQL (set DATABASE_URL)."))
        orders = options["orders"]
        size = options["batch_size"]
        replay = options["replay"] if options["replay"] is not None else orders // 10
        customers = options["customers"] or max(1, orders // 10)
        today = timezone.localdate()

        t0 = time.perf_counter()
        bench.orders_delete()
        bench.reference_data_create(customers=customers)
        bodies = bench.batch_bodies(
            orders=orders, customers=customers, batch_size=size, today=today, days=options["days"]
        )
        replay_bodies = bodies[: -(-replay // size)] if replay else []
        key = bench.dms_token()
        self.stdout.write(
            f"prepared {orders:,} orders in {len(bodies)} batches "
            f"({sum(map(len, bodies)) / 1e6:,.0f} MB of JSON) in {time.perf_counter() - t0:.0f} s"
        )

        days = options["days"]
        floor_new = bench.floor_seconds(orders=orders, customers=customers, today=today, days=days)
        floor_replay = bench.floor_seconds(
            orders=replay, customers=customers, today=today, days=days
        )
        bench.vacuum(["vehicles_serviceorder", "vehicles_serviceorderline"])

        server = bench.Server(options["workers"])
        try:
            new_s, new_counts = bench.post_all(
                port=server.port, key=key, bodies=bodies, clients=options["clients"]
            )
            replay_s, replay_counts = bench.post_all(
                port=server.port, key=key, bodies=replay_bodies, clients=options["clients"]
            )
        finally:
            server.stop()

        if new_counts.get("created") != orders:
            raise CommandError(f"expected {orders:,} created, got {new_counts}")
        replayed = sum(replay_counts.values())
        if replay_counts.get("unchanged") != replayed:
            raise CommandError(f"expected every replayed record unchanged, got {replay_counts}")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM vehicles_serviceorderline l JOIN vehicles_serviceorder o "
                "ON o.id = l.order_id WHERE o.source = %s",
                [bench.SOURCE],
            )
            lines = cursor.fetchone()[0]
        self.stdout.write(
            f"workers={options['workers']} clients={options['clients']} batch={size:,} "
            f"orders={orders:,} lines={lines:,}\n"
            f"new     {new_s:8.1f} s  {orders / new_s:9,.0f} records/s   "
            f"floor (COPY) {floor_new:6.1f} s   ratio {new_s / floor_new:5.1f}\n"
            f"replay  {replay_s:8.1f} s  {replayed / replay_s:9,.0f} records/s   "
            f"floor (COPY) {floor_replay:6.1f} s   ratio {replay_s / floor_replay:5.1f}"
        )
