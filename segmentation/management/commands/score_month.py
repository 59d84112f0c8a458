"""``manage.py score_month``: score every customer for a month, now."""

from __future__ import annotations

import datetime as dt
import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from segmentation.models import RunKind, ScoringRun
from segmentation.services import ScoringAlreadyRunning, scoring_run_execute


def _month(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(f"{value}-01")
    except ValueError as error:
        raise CommandError(_("--month takes YYYY-MM, not “%s”.") % value) from error


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
            "--history",
            type=int,
            default=1,
            help=_("score this many months up to --month, skipping months already scored"),
        )

    def handle(self, *args, **options) -> None:
        month = options["month"] or timezone.localdate().replace(day=1)
        show = sys.stderr.isatty()

        def progress(step: str) -> None:
            if show:
                sys.stderr.write(f"… {step}\n")

        if options["history"] < 1:
            raise CommandError(_("--history must be at least 1."))
        kind = RunKind.WARNING if options["warning"] else RunKind.MONTHLY
        months = [_months_before(month, n) for n in range(options["history"] - 1, -1, -1)]
        for each in months:
            if (
                len(months) > 1
                and ScoringRun.objects.current().filter(month=each, kind=kind).exists()
            ):
                continue
            try:
                run = scoring_run_execute(
                    month=each,
                    as_of=options["as_of"] if len(months) == 1 else None,
                    kind=kind,
                    progress=progress,
                )
            except ScoringAlreadyRunning as error:
                raise CommandError(str(error)) from error
            self._report(run)

    def _report(self, run: ScoringRun) -> None:
        statuses = ", ".join(f"{k} {v:,}" for k, v in run.counts["status"].items())
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


def _months_before(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 - count
    return dt.date(index // 12, index % 12 + 1, 1)
