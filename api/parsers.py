"""A strict, size-limited JSON parser for the API.

Reads at most ``API_MAX_BODY_BYTES`` (413 beyond), refuses NaN/Infinity (not JSON, and not
storable) and turns every decoding failure, including absurd nesting, into a 400.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from api.exceptions import PayloadTooLarge


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class StrictJSONParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.API_MAX_BODY_BYTES
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and str(declared).isdigit() and int(declared) > limit:
            raise PayloadTooLarge(
                _("The request body has %(size)s bytes; the limit is %(limit)s.")
                % {"size": declared, "limit": limit}
            )
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise PayloadTooLarge(
                _("The request body is larger than %(limit)s bytes.") % {"limit": limit}
            )
        try:
            return json.loads(body, parse_constant=_no_constants)
        except RecursionError:
            raise ParseError(_("The JSON is nested too deeply.")) from None
        except (ValueError, UnicodeDecodeError) as error:
            raise ParseError(_("Malformed JSON: %(error)s") % {"error": error}) from None
