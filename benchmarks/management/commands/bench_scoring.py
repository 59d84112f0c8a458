"""``manage.py bench_scoring``: the monthly scoring's speed and memory against a floor.

In one run, on PostgreSQL: (a) the floor — copying the scoring's inputs out to /dev/null with
the loader's own queries (raw columns of each input table) in the loader's own COPY format, one
table at a time, and again over as many connections as the loader uses; (b) a full
``score_month`` in a child process; (c) that process's peak RSS (VmHWM). Prints the figures and the
ratios to the floors, so noisy machines still give comparable numbers. Loads the demo dealership
with the bulk generator first when the database does not hold exactly ``--customers`` customers.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from core.months import MonthFormatError, parse_month, previous_month
from customers.bulk import copy_out_statement
from demo import seeding
from segmentation.loaders import LOAD_CONNECTIONS, input_queries
from segmentation.models import RunKind, ScoringRun

ROOT = Path(settings.BASE_DIR)


def _steps(timings: dict) -> str:
    steps = ("load", "previous", "score", "write", "cleanup")
    return ", ".join(f"{step} {timings[step]:.1f} s" for step in steps if step in timings)


def _peak_rss_kb(child: subprocess.Popen) -> int:
    """The child's peak resident set (VmHWM), read while it runs until it exits.

    Not ``getrusage(RUSAGE_CHILDREN)``: Linux charges a child with the memory of the parent it
    was forked from, and this parent may hold a freshly generated dealership.
    """
    peak = 0
    status = Path(f"/proc/{child.pid}/status")
    while child.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    return peak


class Command(BaseCommand):
    help = _("Benchmark the monthly scoring on PostgreSQL against the floor of copying its inputs.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=10_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--month", default=None, help=_("month to score (YYYY-MM); default: this month")
        )

    def handle(self, *args, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError(_("bench_scoring needs PostgreSQL (set DATABASE_URL)."))
        customers = options["customers"]
        if seeding.demo_dealership_ensure(customers=customers, seed=options["seed"]):
            self.stdout.write(_("Loaded %s customers with the bulk generator.") % f"{customers:,}")
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM vehicles_serviceorder")
            orders = cursor.fetchone()[0]

        month = options["month"] or f"{timezone.localdate():%Y-%m}"
        try:
            day = parse_month(month)
        except MonthFormatError as error:
            raise CommandError(_("--month takes YYYY-MM, not “%s”.") % month) from error
        previous = previous_month(day)
        if not ScoringRun.objects.current().filter(kind=RunKind.MONTHLY, month=previous).exists():
            self.stdout.write(_("Scoring %s first: the growth baseline…") % f"{previous:%Y-%m}")
            self._score_month(f"{previous:%Y-%m}")
        # The timed run is the month's first, as on the 1st of a month; a rerun follows.
        ScoringRun.objects.filter(kind=RunKind.MONTHLY, month=day).delete()

        floor = self._floor(1)
        floor_parallel = self._floor(LOAD_CONNECTIONS)
        elapsed, peak_mb, timings = self._score_month(month)
        rerun, _peak, rerun_timings = self._score_month(month)
        self.stdout.write(
            f"customers={customers:,} service_orders={orders:,}\n"
            f"floor (COPY inputs out)   {floor:8.1f} s   one table at a time\n"
            f"floor, {LOAD_CONNECTIONS} connections     {floor_parallel:8.1f} s   "
            f"as many tables at once as the loader reads\n"
            f"score_month (process)     {elapsed:8.1f} s   ratio to floor {elapsed / floor:5.2f} "
            f"({elapsed / floor_parallel:.2f} to the {LOAD_CONNECTIONS}-connection floor)\n"
            f"  {_steps(timings)}; the rest is process start-up\n"
            f"peak RSS                  {peak_mb:8.0f} MB\n"
            f"rerun of the month        {rerun:8.1f} s   ratio to floor {rerun / floor:5.2f}\n"
            f"  {_steps(rerun_timings)} (deleting the replaced results)"
        )

    def _score_month(self, month: str) -> tuple[float, float, dict]:
        """``score_month`` in a child process: seconds, peak RSS in MB, the run's timings.

        A checkpoint first, so the writes of what came before (the load, the baseline run) are
        not flushed during the timed run.
        """
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "manage.py", "score_month", "--month", month],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        peak_kb = _peak_rss_kb(child)
        errors = child.stderr.read()
        elapsed = time.perf_counter() - started
        if child.returncode != 0:
            raise CommandError(errors[-2000:])
        run = ScoringRun.objects.current().filter(kind=RunKind.MONTHLY).latest("started_at")
        return elapsed, peak_kb / 1024, run.timings

    def _floor(self, connections: int) -> float:
        """The loader's queries, each streamed in the format the loader streams it, to
        /dev/null over ``connections`` connections: reading the inputs with no parsing and
        no scoring."""

        def copy_out(sql: str) -> None:
            try:
                with connection.cursor() as cursor, open(os.devnull, "wb") as sink:
                    statement, _columns = copy_out_statement(cursor, sql)
                    cursor.cursor.copy_expert(statement, sink)
            finally:
                if connections > 1:
                    connection.close()

        started = time.perf_counter()
        if connections == 1:
            for sql in input_queries().values():
                copy_out(sql)
        else:
            with ThreadPoolExecutor(connections) as pool:
                list(pool.map(copy_out, input_queries().values()))
        return time.perf_counter() - started
