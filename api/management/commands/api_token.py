"""``manage.py api_token``: create, list and revoke API tokens of DMS clients."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from api.models import ApiToken
from api.tokens import api_token_create, api_token_revoke


class Command(BaseCommand):
    help = _("Create, list or revoke API tokens (a token per DMS client).")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help=_("create a token and print its key once"))
        create.add_argument("username", help=_("the user the token acts as, e.g. dms"))
        create.add_argument("--name", default="DMS", help=_("what the token is for"))
        create.add_argument(
            "--quiet", action="store_true", help=_("print only the key (for scripts)")
        )
        sub.add_parser("list", help=_("list tokens"))
        revoke = sub.add_parser("revoke", help=_("revoke a token by its id"))
        revoke.add_argument("id", type=int)

    def handle(self, *args, **options) -> None:
        action = options["action"]
        if action == "create":
            user = get_user_model().objects.filter(username=options["username"]).first()
            if user is None:
                raise CommandError(_("No user “%s”.") % options["username"])
            token, key = api_token_create(user=user, name=options["name"])
            if options["quiet"]:
                self.stdout.write(key)
                return
            self.stdout.write(
                _("Token %(id)s for %(user)s created. Its key (shown only now):")
                % {"id": token.pk, "user": user.username}
            )
            self.stdout.write(key)
        elif action == "list":
            for token in ApiToken.objects.select_related("user"):
                state = _("revoked") if token.is_revoked else _("active")
                used = token.last_used_at.isoformat() if token.last_used_at else "-"
                self.stdout.write(
                    f"{token.pk:>5}  {token.user.username:<16} {token.name:<24} "
                    f"{token.key_start}…  {state:<8} {used}"
                )
        else:
            token = ApiToken.objects.filter(pk=options["id"]).first()
            if token is None:
                raise CommandError(_("No token %s.") % options["id"])
            api_token_revoke(token=token)
            self.stdout.write(_("Token %s revoked.") % token.pk)
