"""``manage.py seed_demo_work``: a year of scored months and worked follow-up rounds."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from customers.models import Customer
from demo.work import MonthWorked, demo_work_seed
from winback.models import Round


class Command(BaseCommand):
    help = _(
        "Score the demo dealership's last months and work each month's follow-up round "
        "through the services (calls, reasons, offers, leads, outcomes). Run after seed_demo."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--months", type=int, default=12, help=_("months of history"))
        parser.add_argument("--seed", type=int, default=1, help=_("random seed"))
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help=_("do nothing (and succeed) when rounds already exist"),
        )

    def handle(self, *args, **options) -> None:
        if options["months"] < 1:
            raise CommandError(_("--months must be at least 1."))
        if not Customer.objects.exists():
            raise CommandError(_("No customers yet; run seed_demo first."))
        if Round.objects.exists() and options["if_empty"]:
            self.stdout.write(_("Follow-up rounds already exist; leaving them as they are."))
            return
        started = time.perf_counter()
        report = demo_work_seed(
            months=options["months"],
            seed=options["seed"],
            progress=self._print_month if options["verbosity"] > 0 else None,
        )
        self.stdout.write(
            _(
                "%(rounds)s rounds, %(closed)s tasks worked, %(back)s customers came back, "
                "%(leads)s leads closed, in %(seconds).1f s."
            )
            % {
                "rounds": report.rounds,
                "closed": f"{report.tasks_closed:,}",
                "back": f"{report.came_back:,}",
                "leads": report.leads_closed,
                "seconds": time.perf_counter() - started,
            }
        )

    def _print_month(self, month: MonthWorked) -> None:
        """One line as each month is done, so the minutes the seeding takes are visible."""
        self.stdout.write(
            _(
                "%(month)s: %(due)s tasks due, %(worked)s worked, %(back)s came back "
                "(%(seconds).0f s)"
            )
            % {
                "month": f"{month.month:%Y-%m}",
                "due": f"{month.tasks_due:,}",
                "worked": f"{month.tasks_worked:,}",
                "back": f"{month.came_back:,}",
                "seconds": month.seconds,
            }
        )
        # Written as it happens even when stdout is a pipe (make's output piped to a log).
        self.stdout.flush()
