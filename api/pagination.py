"""Keyset ("cursor") pagination over (updated_at, id), safe while writes happen.

A page is ``WHERE (updated_at, id) > cursor ORDER BY updated_at, id LIMIT n``: a row that was
not changed is seen exactly once, and a row changed while the client pages moves behind the
cursor and is seen again in its new version, which is what a sync client wants. Unlike DRF's
CursorPagination (position + offset on the first ordering field) no row is skipped or repeated
when rows are inserted or updated between two pages.

One more trap is handled: a writer takes its ``updated_at`` before it commits, so a row can
become visible *after* a reader has paged past its timestamp. Pages therefore stop at a
watermark: a settle time before now and, on PostgreSQL, before the start of the oldest
transaction still open on the database (its rows, once committed, carry a later timestamp).
Rows above the watermark are served by the next request, never skipped.

The body is ``{"next": url|null, "cursor": str|null, "results": [...]}``; ``cursor`` is the
position after the last row of the page (or the one the client sent when the page is empty),
so a client can keep it and resume later with ``?cursor=`` to get only what changed since.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from api.exceptions import InvalidRequest

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_MAX_ID = 2**63 - 1


def feed_watermark() -> dt.datetime:
    """Rows with ``updated_at`` below this are committed for good (see the module docstring)."""
    settle = dt.timedelta(seconds=settings.API_FEED_SETTLE_SECONDS)
    mark = timezone.now()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT min(xact_start) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND xact_start IS NOT NULL AND backend_type = 'client backend'"
            )
            oldest = cursor.fetchone()[0]
        if oldest is not None:
            mark = min(mark, oldest)
    return mark - settle


class KeysetPagination(BasePagination):
    """Pages over ``ordering`` (``("updated_at", "id")`` or ``("id",)``), ascending."""

    ordering: tuple[str, ...] = ("updated_at", "id")
    watermark = True

    # -- cursor encoding -------------------------------------------------------------------
    def encode(self, row: Any) -> str:
        position = {"i": row.pk}
        if "updated_at" in self.ordering:
            position["t"] = row.updated_at.astimezone(dt.UTC).isoformat()
        return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")

    def decode(self, cursor: str) -> dict[str, Any]:
        invalid = InvalidRequest(
            _("The cursor is not valid; start again without it."), code="invalid_cursor"
        )
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            position = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
            pk = position["i"]
            if isinstance(pk, bool) or not isinstance(pk, int) or not 0 <= pk <= _MAX_ID:
                raise ValueError
            result: dict[str, Any] = {"i": pk}
            if "updated_at" in self.ordering:
                stamp = dt.datetime.fromisoformat(position["t"])
                if stamp.tzinfo is None:
                    raise ValueError
                result["t"] = stamp.astimezone(dt.UTC)
            return result
        except (ValueError, TypeError, KeyError, UnicodeError, AttributeError, OverflowError):
            raise invalid from None

    def page_size(self, request: Request) -> int:
        raw = request.query_params.get("limit")
        if raw is None:
            return DEFAULT_PAGE_SIZE
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
            message = _("limit must be a whole number from 1 to %(max)s.") % {"max": MAX_PAGE_SIZE}
            raise InvalidRequest(message, fields={"limit": [str(message)]})
        return int(raw)

    # -- DRF pagination API ----------------------------------------------------------------
    def paginate_queryset(self, queryset: QuerySet, request: Request, view: Any = None) -> list:
        self.request = request
        size = self.page_size(request)
        raw_cursor = request.query_params.get("cursor")
        self.position = self.decode(raw_cursor) if raw_cursor else None
        self.incoming_cursor = raw_cursor
        if self.position is not None:
            if "t" in self.position:
                t, i = self.position["t"], self.position["i"]
                queryset = queryset.filter(Q(updated_at__gt=t) | Q(updated_at=t, id__gt=i))
            else:
                queryset = queryset.filter(id__gt=self.position["i"])
        if self.watermark and "updated_at" in self.ordering:
            queryset = queryset.filter(updated_at__lt=feed_watermark())
        rows = list(queryset.order_by(*self.ordering)[: size + 1])
        self.has_next = len(rows) > size
        self.page = rows[:size]
        return self.page

    def get_paginated_response(self, data: list) -> Response:
        cursor = self.encode(self.page[-1]) if self.page else self.incoming_cursor
        next_url = None
        if self.has_next:
            next_url = replace_query_param(self.request.build_absolute_uri(), "cursor", cursor)
        return Response({"next": next_url, "cursor": cursor, "results": data})

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["next", "cursor", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": _(
                        "URL of the next page; null when this is the last page for now."
                    ),
                },
                "cursor": {
                    "type": "string",
                    "nullable": True,
                    "description": _(
                        "Position after this page; send it back as ?cursor= to resume."
                    ),
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict]:
        return [
            {
                "name": "cursor",
                "in": "query",
                "required": False,
                "description": _("Opaque position from a previous page's `cursor`."),
                "schema": {"type": "string"},
            },
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "description": _("Rows per page, 1–%(max)s (default %(default)s).")
                % {"max": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE},
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            },
        ]


class IdPagination(KeysetPagination):
    """Keyset pages over the id alone, for rows written once (scores, runs)."""

    ordering = ("id",)
    watermark = False
