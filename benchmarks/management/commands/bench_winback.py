"""``manage.py bench_winback``: round generation and the advisor's daily list, at scale.

In one run, on PostgreSQL:

1. the demo dealership with ``--customers`` customers (loaded with the bulk generator when the
   database holds another number) and a current monthly scoring run of this month;
2. round generation from that run, timed (everything: reading scores, customers,
   preferences, opt-outs, contacts and open tasks, planning, writing targets and tasks), after
   the previous round's rows are removed and a checkpoint;
3. the floor: the same target and task rows ``INSERT … SELECT``-ed into tables with the same
   columns, indexes and constraints, in the same run;
4. the advisor's daily list (``task_list_daily``) of the advisor with the most open tasks,
   repeated, with at least ``--open-tasks`` open tasks in the table (topped up with synthetic
   open tasks of other kinds when the round made fewer), as of three days into the round's
   work; p50 and p95, and the p95 of a primary-key lookup on the same table as its floor.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from core.months import month_start
from demo import seeding
from segmentation.models import RunKind
from segmentation.selectors import scoring_run_current
from segmentation.services import scoring_run_execute
from winback.models import Target, Task, TaskKind, TaskStatus
from winback.selectors import task_list_daily
from winback.services import round_generate

_FLOOR_TABLES = {"winback_target": "bench_floor_target", "winback_task": "bench_floor_task"}


def _steps(timings: dict) -> str:
    steps = ("load", "plan", "targets", "tasks")
    return ", ".join(f"{step} {timings[step]:.1f} s" for step in steps if step in timings)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


class Command(BaseCommand):
    help = _(
        "Benchmark the win-back round generation and an advisor's daily list on PostgreSQL, "
        "against an INSERT … SELECT of the same rows."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=10_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--open-tasks",
            type=int,
            default=100_000,
            help=_("open tasks in the table while the daily list is timed"),
        )
        parser.add_argument("--repeat", type=int, default=200, help=_("daily-list queries"))

    def handle(self, *args, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError(_("bench_winback needs PostgreSQL (set DATABASE_URL)."))
        customers = options["customers"]
        if seeding.demo_dealership_ensure(customers=customers, seed=options["seed"]):
            self.stdout.write(_("Loaded %s customers with the bulk generator.") % f"{customers:,}")
        month = month_start(timezone.localdate())
        run = scoring_run_current(month)
        if run is None:
            self.stdout.write(_("Scoring %s first…") % f"{month:%Y-%m}")
            run = scoring_run_execute(month=month, kind=RunKind.MONTHLY)
        self._clear()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
            cursor.execute("CHECKPOINT")
        started = time.perf_counter()
        round_ = round_generate(run=run)
        elapsed = time.perf_counter() - started
        targets = Target.objects.filter(round=round_).count()
        tasks = Task.objects.filter(target__round=round_).count()
        floor = self._floor()
        open_tasks = self._top_up(options["open_tasks"])
        # The list as the busiest assignee sees it a few days into the round's work.
        day = round_.starts_on + dt.timedelta(days=3)
        p50, p95, lookup_p95, advisor, listed = self._daily_list(options["repeat"], day)
        report = round_.report
        self.stdout.write(
            f"customers={customers:,} candidates={report['candidates']:,} "
            f"targets={targets:,} tasks={tasks:,} control={report['control']:,}\n"
            f"floor (INSERT … SELECT of the same rows) {floor:8.2f} s\n"
            f"round generation                          {elapsed:8.2f} s   "
            f"ratio to floor {elapsed / floor:6.2f}\n"
            f"  {_steps(round_.timings)}\n"
            f"daily list of {advisor} ({listed} rows shown, {open_tasks:,} open tasks in the "
            f"table): p50 {p50 * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms; "
            f"floor (a task by primary key) p95 {lookup_p95 * 1000:.2f} ms, "
            f"ratio {p95 / lookup_p95:.1f}"
        )

    def _clear(self) -> None:
        """Remove earlier rounds and tasks, so the timed round is a month's first."""
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE winback_task, winback_target, winback_round CASCADE")

    def _floor(self) -> float:
        """Seconds to ``INSERT … SELECT`` the round's targets and tasks into copies of their
        tables (same columns, indexes and constraints, no foreign keys to check)."""
        with connection.cursor() as cursor:
            for source, copy in _FLOOR_TABLES.items():
                cursor.execute(f"DROP TABLE IF EXISTS {copy}")
                cursor.execute(f"CREATE TABLE {copy} (LIKE {source} INCLUDING ALL)")
            cursor.execute("CHECKPOINT")
            started = time.perf_counter()
            for source, copy in _FLOOR_TABLES.items():
                cursor.execute(f"INSERT INTO {copy} SELECT * FROM {source}")
            seconds = time.perf_counter() - started
            for copy in _FLOOR_TABLES.values():
                cursor.execute(f"DROP TABLE {copy}")
        return seconds

    def _top_up(self, wanted: int) -> int:
        """At least ``wanted`` open tasks in the table: synthetic open tasks (kinds the round
        does not make, one per customer and kind) for the customers' advisors, set-based."""
        have = Task.objects.filter(status=TaskStatus.OPEN).count()
        filler = [TaskKind.LEAD_CADENCE, TaskKind.SERVICE_LANE, TaskKind.COMPLAINT_ESCALATION]
        for kind in filler:
            if have >= wanted:
                break
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO winback_task (customer_id, kind, assignee_id, due_on, due_at, "
                    '"window", expires_on, channel, priority, note, script, status, '
                    "skip_reason, churn_reason, created_at, updated_at) "
                    "SELECT c.id, %s, c.sales_advisor_id, CURRENT_DATE - (c.id %% 20)::int, "
                    "now(), '', CURRENT_DATE + 14, 'phone', (c.id %% 997)::float, '', '', "
                    "'open', '', '', now(), now() FROM customers_customer c "
                    "WHERE c.sales_advisor_id IS NOT NULL ORDER BY c.id LIMIT %s",
                    [kind, wanted - have],
                )
                have += cursor.rowcount
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE winback_task")
        return have

    def _daily_list(self, repeat: int, today: dt.date) -> tuple[float, float, float, str, int]:
        """p50 and p95 of the busiest advisor's daily list, and the p95 of a lookup by id."""
        busiest = (
            Task.objects.filter(status=TaskStatus.OPEN)
            .values("assignee")
            .annotate(n=Count("id"))
            .order_by("-n")
            .first()
        )
        if busiest is None:
            raise CommandError(_("No open tasks to list."))
        advisor = get_user_model().objects.get(pk=busiest["assignee"])
        any_id = Task.objects.values_list("id", flat=True).first()
        times, lookups = [], []
        listed = 0
        for _attempt in range(repeat):
            started = time.perf_counter()
            listed = len(task_list_daily(user=advisor, today=today))
            times.append(time.perf_counter() - started)
            started = time.perf_counter()
            Task.objects.filter(pk=any_id).first()
            lookups.append(time.perf_counter() - started)
        return (
            statistics.median(times),
            _percentile(times, 0.95),
            _percentile(lookups, 0.95),
            f"{advisor.username} ({busiest['n']:,} open)",
            listed,
        )
