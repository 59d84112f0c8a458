"""What the API does with a raw request before DRF reads it: its language and a chunked body.

The API's paths are not under ``i18n_patterns`` (no ``/en/`` prefix), and Django's
``LocaleMiddleware`` gives unprefixed paths the default language when ``i18n_patterns`` is
used with ``prefix_default_language=False``. A DMS asks for its language with
``Accept-Language``; :func:`activate_request_language` honours that header for API requests
only (the pages keep their URL-based language), falling back to ``LANGUAGE_CODE``.

A body sent with ``Transfer-Encoding: chunked`` has no ``Content-Length``; Django then reads
it as empty. A server that decodes chunked bodies and marks its input as terminated
(gunicorn, mod_wsgi: ``wsgi.input_terminated``) lets :func:`read_chunked_body` read it to its
end (up to ``API_MAX_BODY_BYTES``); on a server that does not (Django's ``runserver``) the body
cannot be read safely, and the API answers 411 Length Required rather than act on nothing.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header

from api.exceptions import LengthRequired, PayloadTooLarge


def request_language(request: HttpRequest) -> str:
    """The supported language the ``Accept-Language`` header prefers, else ``LANGUAGE_CODE``."""
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    for code, _quality in parse_accept_lang_header(header[:255]):
        if code == "*":
            break
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


def activate_request_language(request: HttpRequest) -> str:
    """Activate the request's language for the rest of the request (see the module doc)."""
    language = request_language(request)
    translation.activate(language)
    request.LANGUAGE_CODE = language
    return language


def is_chunked_without_length(request: HttpRequest) -> bool:
    encoding = request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    return "chunked" in encoding and not request.META.get("CONTENT_LENGTH")


def read_chunked_body(request: HttpRequest) -> None:
    """Read a chunked body so Django and DRF see it as if it had a ``Content-Length``.

    Raises ``LengthRequired`` (411) when the server does not mark its input as terminated,
    ``PayloadTooLarge`` (413) beyond ``API_MAX_BODY_BYTES``.
    """
    if not is_chunked_without_length(request) or getattr(request, "_read_started", False):
        return
    environ = getattr(request, "environ", {})
    stream = environ.get("wsgi.input")
    if stream is None or not environ.get("wsgi.input_terminated"):
        raise LengthRequired(
            _("This server cannot read a chunked body; send it with a Content-Length.")
        )
    limit = settings.API_MAX_BODY_BYTES
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise PayloadTooLarge(
            _("The request body is larger than %(limit)s bytes.") % {"limit": limit}
        )
    request._stream = LimitedStream(io.BytesIO(body), len(body))
    request.META["CONTENT_LENGTH"] = str(len(body))
