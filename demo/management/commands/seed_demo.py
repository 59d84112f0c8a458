"""``manage.py seed_demo``: fill the database with a realistic, reproducible demo dealership."""

from __future__ import annotations

import datetime as dt
import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from tqdm import tqdm

from demo import seeding


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(_("--as-of takes a date as YYYY-MM-DD, not “%s”.") % value) from exc


class Command(BaseCommand):
    help = _(
        "Generate a demo dealership: staff logins for every role, customers with purchases, "
        "service history, surveys, complaints, contacts and preferences. Deterministic for a "
        "given --customers, --seed and --as-of."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=2_000, help=_("number of customers"))
        parser.add_argument("--seed", type=int, default=1, help=_("random seed"))
        parser.add_argument(
            "--as-of", type=_date, default=None, help=_("the demo's today (YYYY-MM-DD)")
        )
        parser.add_argument(
            "--chunk-size", type=int, default=20_000, help=_("customers generated per chunk")
        )
        parser.add_argument(
            "--reset", action="store_true", help=_("delete existing customers and their data first")
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help=_("do nothing (and succeed) when customers already exist"),
        )
        parser.add_argument(
            "--bulk",
            action="store_true",
            help=_(
                "PostgreSQL only: large loads via COPY, with timings (e.g. 1,000,000 customers)"
            ),
        )

    def handle(self, *args, **options) -> None:
        customers: int = options["customers"]
        if customers < 1:
            raise CommandError(_("--customers must be at least 1."))
        if options["chunk_size"] < 1:
            raise CommandError(_("--chunk-size must be at least 1."))
        if options["bulk"] and connection.vendor != "postgresql":
            raise CommandError(
                _("--bulk needs PostgreSQL (set DATABASE_URL); this database is %s.")
                % connection.vendor
            )
        if seeding.demo_data_exists():
            if options["if_empty"]:
                self.stdout.write(_("Customers already exist; leaving the demo data as it is."))
                self._print_logins(seeding.demo_staff_create(customers=customers)[1])
                return
            if not options["reset"]:
                raise CommandError(
                    _("The database already has customers. Use --reset to replace them.")
                )
            seeding.demo_data_delete()

        as_of = options["as_of"] or timezone.localdate()
        show_progress = sys.stderr.isatty()
        with tqdm(total=customers, unit=_("customers"), disable=not show_progress) as bar:
            report = seeding.demo_dealership_seed(
                customers=customers,
                seed=options["seed"],
                as_of=as_of,
                chunk_size=options["chunk_size"],
                bulk=options["bulk"],
                progress=bar.update,
            )
        self._print_report(report, customers)
        self._print_logins(report.logins)

    def _print_report(self, report: seeding.SeedReport, customers: int) -> None:
        total = report.seconds["total"]
        rows = sum(report.rows.values())
        self.stdout.write(
            _("Seeded %(customers)s customers: %(rows)s rows in %(seconds).1f s (%(rate)s rows/s).")
            % {
                "customers": f"{customers:,}",
                "rows": f"{rows:,}",
                "seconds": total,
                "rate": f"{rows / max(total, 1e-9):,.0f}",
            }
        )
        for step, seconds in report.seconds.items():
            if step != "total":
                self.stdout.write(f"  {step:<34} {seconds:>10.1f} s")
        for table, count in report.rows.items():
            self.stdout.write(f"  {table:<34} {count:>12,}")

    def _print_logins(self, logins: list[tuple[str, str]]) -> None:
        self.stdout.write(
            _("Demo logins (password “%(password)s”, for the demo only):")
            % {"password": seeding.DEMO_PASSWORD}
        )
        for username, role in logins:
            self.stdout.write(f"  {username:<12} {role}")
