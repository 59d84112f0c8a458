"""``manage.py bench_pages``: server time of every staff page at scale, against a floor.

On PostgreSQL, with the benchmarks' dealership of ``--customers`` customers (see
:mod:`benchmarks.pages`): each staff page as a manager and as the busiest advisor, p50 and
p95 over ``--repeat`` requests after ``--warmup`` ones, the queries of one request, the ratio
to ``/healthz`` measured in the same run, and PASS/FAIL against the targets (p95 <= 150 ms,
``/today/`` <= 50 ms). A page that is not there yet (404) or fails (500) is an error line.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils.translation import gettext as _

from benchmarks import pages as benchmarks


class Command(BaseCommand):
    help = _(
        "Benchmark the staff pages' server time on PostgreSQL as a manager and as an advisor, "
        "against the floor of /healthz."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=10_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--repeat", type=int, default=30, help=_("timed requests per page"))
        parser.add_argument("--warmup", type=int, default=3, help=_("untimed requests first"))
        parser.add_argument(
            "--explain",
            action="store_true",
            help=_("EXPLAIN ANALYZE the slowest query of each page that misses its target"),
        )

    def handle(self, *args, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError(_("bench_pages needs PostgreSQL (set DATABASE_URL)."))
        if options["repeat"] < 1:
            raise CommandError(_("--repeat must be at least 1."))
        benchmarks.bench_dealership_ensure(
            customers=options["customers"], seed=options["seed"], say=self.stdout.write
        )
        try:
            data = benchmarks.bench_data()
        except LookupError as error:
            raise CommandError(str(error)) from error
        floor, results = benchmarks.pages_measure(
            data, repeat=options["repeat"], warmup=options["warmup"], explain=options["explain"]
        )
        self.stdout.write(
            f"customers={options['customers']:,} repeat={options['repeat']} "
            f"month={data.month:%Y-%m} manager={data.manager.get_username()} "
            f"advisor={data.advisor.get_username()} ({data.advisor_open_tasks:,} open tasks) "
            f"customer={data.customer_id} nine_cell={data.nine_cell}"
        )
        for line in benchmarks.report_lines(floor, results):
            self.stdout.write(line)
