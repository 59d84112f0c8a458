"""Keyset ("cursor") pagination over (updated_at, id), safe while writes happen.

A page is ``WHERE (updated_at, id) > cursor ORDER BY updated_at, id LIMIT n``: a row that was
not changed is seen exactly once, and a row changed while the client pages moves behind the
cursor and is seen again in its new version, which is what a sync client wants. Unlike DRF's
CursorPagination (position + offset on the first ordering field) no row is skipped or repeated
when rows are inserted or updated between two pages.

One more trap is handled: a writer takes its ``updated_at`` before it commits, so a row can
become visible *after* a reader has paged past its timestamp. Pages therefore stop at a
watermark: a settle time (``API_FEED_SETTLE_SECONDS``) before now and, on PostgreSQL, before
the start of the oldest *writing* transaction still open on the database. Rows above the
watermark are served by the next request, never skipped.

Only transactions that have a transaction id hold the feed back (``pg_stat_activity.backend_xid``,
plus prepared two-phase transactions). PostgreSQL assigns an id at a transaction's first
write, so a transaction without one — an idle ``BEGIN; SELECT …`` in psql, a long report —
has written nothing and has nothing to commit: holding the feed for it would freeze every
client for no reason. That is safe because a row's ``updated_at`` is taken when it is
written: the API's writes take their timestamp *after* their transaction has an id (see
``api.sync``), and Django's ``auto_now`` takes it immediately before the ``INSERT`` or
``UPDATE`` that assigns the id, milliseconds that the settle time covers. A writer that stamped
rows with a time taken long before its first write (e.g. at the start of a long read) would
break this; none does.

How far the feed is held back is in the response: ``X-Feed-Watermark`` (rows changed before
it are served) on every page, and ``X-Feed-Held-Back-Until`` — the same time — only when an
open writing transaction holds the watermark below the settle time, so a client can tell
"nothing new" (no header) from "held back by a transaction still writing".

The body is ``{"next": url|null, "cursor": str|null, "results": [...]}``; ``cursor`` is the
position after the last row of the page (or the one the client sent when the page is empty),
so a client can keep it and resume later with ``?cursor=`` to get only what changed since.

People (every user but the DMS client) page at most ``settings.API_PEOPLE_MAX_LIMIT`` rows, and
each page of customers they read is logged in the personal data access log (R7.2).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
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
from customers.masking import sees_full_contact_data
from customers.models import Customer, DataAccessAction
from customers.services import data_access_record

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_MAX_ID = 2**63 - 1
#: Models whose list pages, read by people, are logged as bulk reads of personal data.
PERSONAL_DATA_MODELS = (Customer,)


@dataclass(frozen=True)
class Watermark:
    """Rows with ``updated_at`` below ``mark`` are committed for good; ``held`` says whether an
    open writing transaction put it below the settle time."""

    mark: dt.datetime
    held: bool


#: The start of the oldest open transaction that has written (has an xid), or a prepared one.
#: (pg_stat_activity is a snapshot taken once per transaction: cleared first, so a caller
#: inside a longer transaction sees the sessions as they are now.)
_OLDEST_WRITER_SQL = """
SELECT pg_stat_clear_snapshot();
SELECT least(
    (SELECT min(xact_start) FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid()
        AND backend_xid IS NOT NULL AND xact_start IS NOT NULL
        AND backend_type = 'client backend'),
    (SELECT min(prepared) FROM pg_prepared_xacts WHERE database = current_database())
)
"""


def feed_watermark() -> Watermark:
    """The feed's watermark now (see the module docstring)."""
    settle = dt.timedelta(seconds=settings.API_FEED_SETTLE_SECONDS)
    now = timezone.now()
    oldest = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_OLDEST_WRITER_SQL)
            oldest = cursor.fetchone()[0]
    if oldest is not None and oldest < now:
        return Watermark(mark=oldest - settle, held=True)
    return Watermark(mark=now - settle, held=False)


def _http_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


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

    def max_page_size(self, request: Request) -> int:
        """The DMS client syncs in large pages; people get at most API_PEOPLE_MAX_LIMIT."""
        if sees_full_contact_data(request.user):
            return MAX_PAGE_SIZE
        return min(MAX_PAGE_SIZE, settings.API_PEOPLE_MAX_LIMIT)

    def page_size(self, request: Request) -> int:
        raw = request.query_params.get("limit")
        largest = self.max_page_size(request)
        if raw is None:
            return min(DEFAULT_PAGE_SIZE, largest)
        if not raw.isdigit() or not 1 <= int(raw) <= largest:
            message = _("limit must be a whole number from 1 to %(max)s.") % {"max": largest}
            raise InvalidRequest(message, fields={"limit": [str(message)]})
        return int(raw)

    def log_bulk_read(self, queryset: QuerySet, request: Request) -> None:
        """A page of personal data read by a person (not the DMS client) is logged."""
        if not self.page or queryset.model not in PERSONAL_DATA_MODELS:
            return
        if sees_full_contact_data(request.user):
            return
        data_access_record(
            user=request.user,
            action=DataAccessAction.BULK_READ,
            what=_("API: %(model)s list") % {"model": queryset.model._meta.verbose_name_plural},
            rows=len(self.page),
            filters=request.query_params.dict(),
        )

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
        self.mark = None
        if self.watermark and "updated_at" in self.ordering:
            self.mark = feed_watermark()
            queryset = queryset.filter(updated_at__lt=self.mark.mark)
        rows = list(queryset.order_by(*self.ordering)[: size + 1])
        self.has_next = len(rows) > size
        self.page = rows[:size]
        self.log_bulk_read(queryset, request)
        return self.page

    def get_paginated_response(self, data: list) -> Response:
        cursor = self.encode(self.page[-1]) if self.page else self.incoming_cursor
        next_url = None
        if self.has_next:
            next_url = replace_query_param(self.request.build_absolute_uri(), "cursor", cursor)
        response = Response({"next": next_url, "cursor": cursor, "results": data})
        if self.mark is not None:
            response["X-Feed-Watermark"] = _http_time(self.mark.mark)
            if self.mark.held:
                response["X-Feed-Held-Back-Until"] = _http_time(self.mark.mark)
        return response

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
