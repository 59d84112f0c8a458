"""Token authentication for DMS clients: ``Authorization: Token <key>`` (or ``Bearer``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from api.models import ApiToken, hash_key
from api.tokens import api_token_touch


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """Looks the key's digest up among active tokens; revoked tokens and inactive users fail."""

    keywords = ("token", "bearer")

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower().decode(errors="replace") not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Invalid Authorization header: give “Token <key>”.")
            )
        try:
            key = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        token = (
            ApiToken.objects.active().select_related("user").filter(key_hash=hash_key(key)).first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        api_token_touch(token=token)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) to a request without credentials.
        return 'Token realm="api"'
