"""Reads of the personal data access log (R7.2) for the managers' page: who revealed or
exported what, when and how much, newest first, and who exported many rows today.

The log grows with every reveal and export, so the list is read in keyset pages over
``(at, id)`` (the ``at`` index; ``(user, at)`` when filtered by user) and never counted; the
day's totals are one grouped query over today's rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import django_filters
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import Role, user_roles
from core.local_time import local_moment
from customers.filters import IdFilter, filter_apply
from customers.masking import mask_value
from customers.models import Character, DataAccessAction, DataAccessLog
from segmentation.models import RfmSegment, Status
from segmentation.summaries import nine_cell_label
from winback.models import CampaignStatus, TaskKind

#: Rows a page of the log shows.
PAGE_SIZE = 50
#: Rows one user may export in a day before the page flags them (and their manager is alerted,
#: :mod:`reports.export_alerts`): the one setting ``EXPORT_ALERT_ROWS``.
EXPORT_ROWS_ALERT = settings.EXPORT_ALERT_ROWS

#: Query parameters that page or sort a list rather than filter it: not worth a word.
_NOT_FILTERS = frozenset({"after", "before", "page", "cursor", "sort", "order", "format"})

#: Filter keys the exports record, and how a person reads them.
_KEY_LABELS: dict[str, Any] = {
    "month": gettext_lazy("Month"),
    "status": gettext_lazy("Churn status"),
    "rfm_segment": gettext_lazy("RFM segment"),
    "nine_cell": gettext_lazy("Nine cell"),
    "value_tier": gettext_lazy("Value tier"),
    "customer": gettext_lazy("Customer no."),
    "customer_external_id": gettext_lazy("DMS customer no."),
    "name": gettext_lazy("Name contains"),
    "q": gettext_lazy("Search"),
    "mobile": gettext_lazy("Mobile"),
    "region": gettext_lazy("Region"),
    "character": gettext_lazy("Character"),
    "kind": gettext_lazy("Kind of work"),
    "campaign_status": gettext_lazy("Campaign status"),
    "sales_advisor": gettext_lazy("Sales advisor"),
    "advisor": gettext_lazy("Sales advisor"),
    "user": gettext_lazy("User"),
    "action": gettext_lazy("Action"),
}
_VALUE_CHOICES: dict[str, Any] = {
    "status": Status,
    "rfm_segment": RfmSegment,
    "character": Character,
    "kind": TaskKind,
    "campaign_status": CampaignStatus,
    "action": DataAccessAction,
}
_USER_KEYS = frozenset({"sales_advisor", "advisor", "user"})


class AccessLogFilter(django_filters.FilterSet):
    user = IdFilter(field_name="user_id")
    action = django_filters.ChoiceFilter(choices=DataAccessAction.choices)
    before = IdFilter(method="filter_before")

    class Meta:
        model = DataAccessLog
        fields: list[str] = []

    def filter_before(self, queryset: QuerySet, name: str, value: int) -> QuerySet:
        """Entries older than entry ``value`` in the list's order (``-at``, ``-id``): the keyset
        cursor of the next page."""
        at = Subquery(DataAccessLog.objects.filter(pk=value).values("at")[:1])
        return queryset.filter(Q(at__lt=at) | Q(at=at, id__lt=value))


@dataclass(frozen=True)
class AccessLogPage:
    entries: list[DataAccessLog]
    next_cursor: int | None


@dataclass(frozen=True)
class ExportTotal:
    user: Any
    rows: int

    @property
    def flagged(self) -> bool:
        return self.rows > settings.EXPORT_ALERT_ROWS


def _is_manager(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False) or Role.MANAGER in user_roles(user))


def access_log_list(*, user: Any, filters: Mapping[str, Any]) -> QuerySet[DataAccessLog]:
    """The log newest first for managers (nothing for anyone else), filtered by
    :class:`AccessLogFilter` (``user`` id, ``action``, ``before`` an entry id). Raises ``ValidationError`` for a bad
    filter value."""
    queryset = DataAccessLog.objects.all() if _is_manager(user) else DataAccessLog.objects.none()
    queryset = filter_apply(AccessLogFilter, filters, queryset)
    return queryset.select_related("user", "customer").order_by("-at", "-id")


def access_log_page(
    *, user: Any, filters: Mapping[str, Any], size: int = PAGE_SIZE
) -> AccessLogPage:
    """One keyset page of :func:`access_log_list` (``before``: the last entry of the previous
    page) and the cursor of the next page (None on the last)."""
    entries = list(access_log_list(user=user, filters=filters)[: size + 1])
    next_cursor = entries[size - 1].pk if len(entries) > size else None
    return AccessLogPage(entries=entries[:size], next_cursor=next_cursor)


def export_totals_today(*, user: Any, today: dt.date | None = None) -> list[ExportTotal]:
    """Rows each user exported today (Beijing), most first; managers only (empty otherwise).
    :attr:`ExportTotal.flagged` marks those above :data:`EXPORT_ROWS_ALERT`."""
    if not _is_manager(user):
        return []
    today = today or timezone.localdate()
    start = local_moment(today)
    end = start + dt.timedelta(days=1)
    rows = (
        DataAccessLog.objects.filter(action=DataAccessAction.EXPORT, at__gte=start, at__lt=end)
        .values("user_id")
        .annotate(rows=Sum("rows"))
        .order_by("-rows", "user_id")
    )
    totals = {row["user_id"]: row["rows"] or 0 for row in rows}
    users = get_user_model().objects.in_bulk(list(totals))
    return [ExportTotal(user=users[pk], rows=n) for pk, n in totals.items() if pk in users]


def access_log_users(*, user: Any) -> QuerySet:
    """The users the page's user filter offers (managers only): every account, a small table;
    reading who appears in the log would scan the whole log."""
    if not _is_manager(user):
        return get_user_model().objects.none()
    return get_user_model().objects.order_by("username")


def filter_words(
    filters: Mapping[str, Any], user_names: Mapping[int, str] | None = None
) -> list[tuple[str, str]]:
    """A recorded filter for people: ``(label, value)`` pairs with choice labels, nine cells in
    words, user names (from ``user_names``) and a searched mobile masked; paging keys left out,
    unknown keys shown with their words (``region_code`` -> "Region code")."""
    words = []
    for key, raw in filters.items():
        if key in _NOT_FILTERS or raw in (None, "", [], {}):
            continue
        value = ", ".join(str(v) for v in raw) if isinstance(raw, list | tuple) else str(raw)
        if key in _VALUE_CHOICES:
            value = str(dict(_VALUE_CHOICES[key].choices).get(value, value))
        elif key == "nine_cell":
            value = nine_cell_label(value)
        elif key == "value_tier":
            value = _("tier %(tier)s (1 = most valuable)") % {"tier": value}
        elif key == "mobile":
            value = mask_value("mobile", value)
        elif key in _USER_KEYS and value.isdigit() and user_names:
            value = user_names.get(int(value), value)
        label = _KEY_LABELS.get(key) or key.replace("_", " ").capitalize()
        words.append((str(label), value))
    return words


def filter_user_ids(entries: list[DataAccessLog]) -> set[int]:
    """Ids of users named in the entries' recorded filters (to show their names)."""
    ids = set()
    for entry in entries:
        for key in _USER_KEYS & set(entry.filters or {}):
            value = str(entry.filters[key])
            if value.isdigit():
                ids.add(int(value))
    return ids


def user_names(ids: set[int]) -> dict[int, str]:
    """Display names of the users ``ids`` (one query; none when empty)."""
    if not ids:
        return {}
    return {
        user.pk: user.get_full_name() or user.get_username()
        for user in get_user_model().objects.filter(pk__in=ids)
    }
