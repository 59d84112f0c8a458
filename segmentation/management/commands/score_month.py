"""``manage.py score_month``: score every customer for a month, now; ``--release`` frees a
month whose run is stuck ``running``."""

from __future__ import annotations

import datetime as dt
import getpass
import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from tqdm import tqdm

from core.months import MonthFormatError, add_months, month_start, parse_month
from segmentation.models import RunKind, ScoringRun, Status
from segmentation.services import (
    NoScoringWorkers,
    ScoringAlreadyRunning,
    ScoringRunAlive,
    scoring_run_execute,
    scoring_run_release,
)


def _month(value: str) -> dt.date:
    try:
        return parse_month(value)
    except MonthFormatError as error:
        raise CommandError(_("--month takes YYYY-MM, not “%s”.") % value) from error


def _who() -> str:
    """The operating-system user releasing a run, for the log."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown user"


class Command(BaseCommand):
    help = _(
        "Score every customer for a month (RFM, 9 cells, churn, future value) and keep the run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", type=_month, help=_("YYYY-MM; default: the current month"))
        parser.add_argument(
            "--as-of", type=dt.date.fromisoformat, help=_("score as of this date (YYYY-MM-DD)")
        )
        parser.add_argument(
            "--warning", action="store_true", help=_("a daily early-warning run instead")
        )
        parser.add_argument(
            "--shards",
            type=int,
            default=1,
            help=_(
                "split the customers into this many shards scored by Celery workers "
                "(in-process without a broker)"
            ),
        )
        parser.add_argument(
            "--history",
            type=int,
            default=1,
            help=_("score this many months up to --month, skipping months already scored"),
        )
        parser.add_argument(
            "--release",
            action="store_true",
            help=_(
                "score nothing: mark the month's run stuck as running failed, so the next run "
                "may start (logged)"
            ),
        )

    def handle(self, *args, **options) -> None:
        month = options["month"] or month_start(timezone.localdate())
        if options["history"] < 1:
            raise CommandError(_("--history must be at least 1."))
        if options["shards"] < 1:
            raise CommandError(_("--shards must be at least 1."))
        kind = RunKind.WARNING if options["warning"] else RunKind.MONTHLY
        if options["release"]:
            self._release(month, kind)
            return
        months = [add_months(month, -n) for n in range(options["history"] - 1, -1, -1)]
        for each in months:
            if (
                len(months) > 1
                and ScoringRun.objects.current().filter(month=each, kind=kind).exists()
            ):
                continue
            steps = 3 if options["shards"] == 1 else 4
            with tqdm(total=steps, disable=not sys.stderr.isatty(), leave=False) as bar:
                progress = _Progress(bar, each)
                try:
                    run = scoring_run_execute(
                        month=each,
                        as_of=options["as_of"] if len(months) == 1 else None,
                        kind=kind,
                        shards=options["shards"],
                        progress=progress,
                    )
                except (ScoringAlreadyRunning, NoScoringWorkers) as error:
                    raise CommandError(str(error)) from error
            self._report(run)

    def _release(self, month: dt.date, kind: str) -> None:
        try:
            released = scoring_run_release(
                month=month, kind=kind, by=f"{_who()} (manage.py score_month --release)"
            )
        except ScoringRunAlive as error:
            raise CommandError(str(error)) from error
        if released:
            self.stdout.write(
                _("Released run %(ids)s of %(month)s: the next run may start.")
                % {"ids": ", ".join(map(str, released)), "month": f"{month:%Y-%m}"}
            )
        else:
            self.stdout.write(_("No run of %(month)s is running.") % {"month": f"{month:%Y-%m}"})

    def _report(self, run: ScoringRun) -> None:
        statuses = ", ".join(
            f"{Status(k).label} {v:,}" for k, v in sorted(run.counts["status"].items())
        )
        self.stdout.write(
            _("Run %(id)s for %(month)s: %(n)s customers (%(statuses)s) in %(seconds).1f s.")
            % {
                "id": run.pk,
                "month": f"{run.month:%Y-%m}",
                "n": f"{run.counts['customers']:,}",
                "statuses": statuses,
                "seconds": run.timings["total"],
            }
        )


class _Progress:
    """Advances the bar as the run reports its steps."""

    def __init__(self, bar: tqdm, month: dt.date) -> None:
        self.bar, self.month, self.started = bar, month, False

    def __call__(self, step: str) -> None:
        if self.started:
            self.bar.update(1)
        self.started = True
        self.bar.set_description_str(f"{self.month:%Y-%m} {step}")
