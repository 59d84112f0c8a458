"""``manage.py winback_generate``: turn a scoring run into the round's follow-up tasks."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from core.months import MonthFormatError, parse_month
from segmentation.models import RunKind, ScoringRun
from winback.models import Round
from winback.planning import SKIP_CAUSES
from winback.presentation import SKIP_CAUSE_LABELS
from winback.services import RoundNotPossible, round_generate


class Command(BaseCommand):
    help = _(
        "Generate the follow-up tasks of a scored month (default: the latest) and print the "
        "report: created, control group and skipped by reason. Running it twice creates nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", help=_("YYYY-MM; default: the latest month scored"))
        parser.add_argument(
            "--warning", action="store_true", help=_("today's early-warning run instead")
        )

    def handle(self, *args, **options) -> None:
        runs = ScoringRun.objects.current()
        if options["warning"]:
            run = runs.filter(kind=RunKind.WARNING, as_of=timezone.localdate()).first()
        elif options["month"]:
            try:
                month = parse_month(options["month"])
            except MonthFormatError:
                raise CommandError(
                    _("--month takes YYYY-MM, not “%s”.") % options["month"]
                ) from None
            run = runs.filter(kind=RunKind.MONTHLY, month=month).first()
        else:
            run = runs.latest_monthly()
        if run is None:
            raise CommandError(_("No current scoring run for that month; run score_month first."))
        existed = Round.objects.filter(run=run).exists()
        try:
            round_ = round_generate(run=run)
        except RoundNotPossible as error:
            raise CommandError(str(error)) from error
        if existed:
            self.stdout.write(_("Already generated; nothing new was created."))
        self._report(round_)

    def _report(self, round_: Round) -> None:
        report = round_.report
        self.stdout.write(
            _(
                "Round of %(run)s, work from %(day)s: %(candidates)s candidates, %(created)s tasks "
                "created, %(control)s held back as control."
            )
            % {
                "run": round_.run,
                "day": round_.starts_on.isoformat(),
                "candidates": f"{report.get('candidates', 0):,}",
                "created": f"{report.get('created', 0):,}",
                "control": f"{report.get('control', 0):,}",
            }
        )
        for cause in SKIP_CAUSES:
            count = report.get("skipped", {}).get(cause, 0)
            if count:
                self.stdout.write(f"  {SKIP_CAUSE_LABELS[cause]}: {count:,}")
