"""The reads of marketing campaigns (R5, R6) before any write: who plans campaigns, the
campaign list, and the saved segment filter (checked, in words, counted).

- :func:`plans_campaigns`: service marketing, managers and superusers.
- :func:`campaign_list`: campaigns newest first, filtered by :class:`CampaignFilter`.
- :func:`campaign_filters_clean`, :func:`campaign_filter_words`, :func:`campaign_match_count`:
  the segment filter a campaign keeps.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import formats
from django.utils.translation import gettext as _

from accounts.roles import Role, user_roles
from core.months import MonthFormatError, parse_month
from customers.filters import filter_apply, month_clean
from segmentation.filters import ScoreFilter
from segmentation.models import CustomerScore, RfmSegment, Status
from segmentation.selectors import score_list, scoring_run_current
from segmentation.summaries import nine_cell_label
from winback.models import NINE_CELLS, Campaign, CampaignStatus

#: The segment explorer's filters a campaign keeps (the query parameters of ``score_list``).
FILTER_KEYS = ("month", "nine_cell", "rfm_segment", "status", "value_tier")
#: The match preview counts up to this many customers ("1,000+").
PREVIEW_CAP = 1000


def plans_campaigns(user: Any) -> bool:
    """Service marketing, managers and superusers plan campaigns."""
    return bool(
        getattr(user, "is_superuser", False)
        or user_roles(user) & {Role.SERVICE_MARKETING, Role.MANAGER}
    )


def campaign_filters_clean(filters: Mapping[str, Any]) -> dict[str, str]:
    """The segment filter a campaign keeps: the known keys with a value, checked by the
    segment explorer's own :class:`ScoreFilter` (plus the nine cells that exist), with the
    month made explicit (default: the latest month scored) so the campaign's segment does not
    move when a new month is scored.

    Raises ``ValidationError`` naming the field for an unknown key, a bad value, or a month
    without scores.
    """
    unknown = sorted(set(filters) - set(FILTER_KEYS))
    if unknown:
        raise ValidationError(
            _("Unknown segment filter: %(keys)s.") % {"keys": ", ".join(unknown)}, code="unknown"
        )
    cleaned = {key: str(filters[key]).strip() for key in FILTER_KEYS if filters.get(key)}
    cleaned = {key: value for key, value in cleaned.items() if value}
    month = month_clean(cleaned.get("month"))
    filter_apply(ScoreFilter, cleaned, CustomerScore.objects.none())
    if cleaned.get("nine_cell") and cleaned["nine_cell"] not in NINE_CELLS:
        raise ValidationError({"nine_cell": [_("Choose one of the nine cells.")]})
    run = scoring_run_current(month)
    if run is None:
        raise ValidationError({"month": [_("This month has not been scored.")]})
    cleaned["month"] = run.month.strftime("%Y-%m")
    return cleaned


def campaign_filter_words(filters: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The segment filter in words for people: ``(what, value)`` pairs, no codes."""
    words: list[tuple[str, str]] = []
    if filters.get("month"):
        try:
            month = formats.date_format(parse_month(str(filters["month"])), "YEAR_MONTH_FORMAT")
        except MonthFormatError:
            month = str(filters["month"])
        words.append((_("Scores of"), month))
    cell = filters.get("nine_cell")
    if cell:
        words.append((_("Nine cell"), nine_cell_label(str(cell))))
    if filters.get("status"):
        words.append((_("Churn status"), str(dict(Status.choices).get(filters["status"], ""))))
    if filters.get("rfm_segment"):
        label = dict(RfmSegment.choices).get(filters["rfm_segment"], "")
        words.append((_("RFM segment"), str(label)))
    if filters.get("value_tier"):
        words.append(
            (
                _("Value tier"),
                _("tier %(tier)s (1 = most valuable)") % {"tier": filters["value_tier"]},
            )
        )
    return words


def campaign_match_count(*, user: Any, filters: Mapping[str, Any]) -> tuple[int, bool]:
    """How many customers the filter matches for ``user``, counted up to
    :data:`PREVIEW_CAP`: ``(count, capped)``; ``capped`` means "more than the count"."""
    ids = score_list(user=user, filters=filters).values("id")[: PREVIEW_CAP + 1]
    count = CustomerScore.objects.filter(id__in=ids).count()
    return min(count, PREVIEW_CAP), count > PREVIEW_CAP


class CampaignFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=CampaignStatus.choices)
    before = django_filters.NumberFilter(field_name="id", lookup_expr="lt", min_value=1)

    class Meta:
        model = Campaign
        fields: list[str] = []


def campaign_list(*, user: Any, filters: Mapping[str, Any]) -> QuerySet[Campaign]:
    """Campaigns newest first, for service marketing and managers (none for anyone else),
    filtered by :class:`CampaignFilter` (``status``; ``before`` an id, for keyset pages).
    Raises ``ValidationError`` for a bad filter value."""
    queryset = Campaign.objects.all() if plans_campaigns(user) else Campaign.objects.none()
    queryset = filter_apply(CampaignFilter, filters, queryset)
    return queryset.select_related("owner", "plan", "offer").order_by("-id")
