"""One machine-readable error shape for every API error, and the exceptions the API raises.

Every 4xx body is ``{"code": …, "detail": …}`` plus, where they apply, ``fields`` (problems per
query parameter or body key), ``records`` (per-record schema problems of a sync batch) and
``retry_after`` (seconds, with 429). ``code`` is stable for programs; ``detail`` is translated.

The apps' selectors and services raise Django's own errors: a ``ValidationError`` (a bad filter
value, say) becomes the 400 ``invalid`` answer with its messages per field, and ``Http404``
the 404 ``not_found`` answer.

Anything else a view raises (a bug, a database or cache outage) is a 500 with the same shape,
``{"code": "server_error", …}``, logged with its traceback on ``django.request`` like Django's
own 500s, and the request's transaction rolled back.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.fields import get_error_detail
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

request_logger = logging.getLogger("django.request")


class ApiError(exceptions.APIException):
    """An API error with a code, a message and extra keys for the body."""

    def __init__(self, detail: Any = None, code: str | None = None, **extra: Any):
        super().__init__(detail, code)
        self.extra = extra


class PayloadTooLarge(ApiError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "payload_too_large"


class LengthRequired(ApiError):
    status_code = status.HTTP_411_LENGTH_REQUIRED
    default_detail = _("Send the request body with a Content-Length.")
    default_code = "length_required"


class InvalidRecords(ApiError):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = _("Some records do not match the schema; nothing was written.")
    default_code = "invalid_records"


class InvalidRequest(ApiError):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = _("The request is not valid.")
    default_code = "invalid"


class Conflict(ApiError):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("Other clients kept changing the same records; send the batch again.")
    default_code = "conflict"


def _first_code(codes: Any) -> str:
    while isinstance(codes, dict | list):
        if not codes:
            return "invalid"
        codes = next(iter(codes.values())) if isinstance(codes, dict) else codes[0]
    return str(codes)


def server_error_body() -> dict[str, str]:
    """The body of a 500: no internals, the same shape as every other error."""
    return {
        "code": "server_error",
        "detail": str(_("The server failed to answer this request; it has been logged.")),
    }


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's handler, with every error body reshaped to ``{"code", "detail", …}``."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(get_error_detail(exc))
    response = drf_exception_handler(exc, context)
    if response is None:
        request = context.get("request")
        path = getattr(request, "path", "?")
        request_logger.error(
            "Internal Server Error: %s",
            path,
            exc_info=(type(exc), exc, exc.__traceback__),
            extra={"status_code": 500, "request": getattr(request, "_request", request)},
        )
        set_rollback()
        return Response(server_error_body(), status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, ApiError):
        body = {"code": _first_code(exc.get_codes()), "detail": str(exc.detail), **exc.extra}
    elif isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        body = {
            "code": "invalid",
            "detail": str(_("The request is not valid.")),
            "fields": {
                k: [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in fields.items()
            },
        }
    elif isinstance(exc, exceptions.APIException):
        body = {"code": _first_code(exc.get_codes()), "detail": str(exc.detail)}
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            body["retry_after"] = int(exc.wait + 0.999)
    else:
        body = {"code": "error", "detail": str(response.data)}
    response.data = body
    return response
