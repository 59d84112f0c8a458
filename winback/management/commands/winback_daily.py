"""``manage.py winback_daily``: the morning's housekeeping of the follow-up work, now."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from winback.services import daily_work_run


class Command(BaseCommand):
    help = _(
        "Expire stale tasks, escalate late complaint responses, report dropped leads and "
        "measure win-back outcomes (Celery beat runs this every morning)."
    )

    def handle(self, *args, **options) -> None:
        done = daily_work_run()
        self.stdout.write(
            _(
                "%(expired)s tasks expired, %(complaints)s complaints overdue, %(leads)s dropped "
                "leads reported, %(outcomes)s outcomes measured."
            )
            % {
                "expired": done["expired"],
                "complaints": done["complaints_overdue"],
                "leads": done["leads_dropped"],
                "outcomes": done["outcomes_measured"],
            }
        )
