"""``manage.py advisor_leave``: deactivate a leaver and hand their customers and work over."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from winback.handover import advisor_leave


class Command(BaseCommand):
    help = _(
        "Deactivate a user who leaves and spread their customers, open tasks and open leads "
        "over one or several successors (R7.2)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("leaver", help=_("username of the leaver"))
        parser.add_argument(
            "--to", required=True, help=_("usernames of the successors, comma-separated")
        )

    def handle(self, *args, **options) -> None:
        users = get_user_model().objects
        try:
            leaver = users.get(username=options["leaver"])
        except users.model.DoesNotExist:
            raise CommandError(_("No user “%s”.") % options["leaver"]) from None
        names = [n.strip() for n in options["to"].split(",") if n.strip()]
        successors = list(users.filter(username__in=names))
        missing = sorted(set(names) - {u.username for u in successors})
        if missing:
            raise CommandError(_("No user(s): %s.") % ", ".join(missing))
        try:
            record = advisor_leave(leaver=leaver, successors=successors, by=None)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        counts = record.counts
        self.stdout.write(
            _(
                "%(leaver)s deactivated: %(advised)s customers as advisor and %(owned)s as owner, "
                "%(tasks)s open tasks and %(leads)s open leads handed to %(to)s."
            )
            % {
                "leaver": leaver.username,
                "advised": counts["customers_as_sales_advisor"],
                "owned": counts["customers_as_service_owner"],
                "tasks": counts["open_tasks"],
                "leads": counts["open_leads"],
                "to": ", ".join(u.username for u in successors),
            }
        )
