"""Large exports alert a manager (R7.2): a departing advisor must not walk out with the
customer list unnoticed.

:func:`customers.services.data_access_record` calls :func:`export_alert_check` after every
export it logs (``settings.DATA_ACCESS_EXPORT_FOLLOW_UPS``; customers imports no app above it).
When that export takes the user's rows exported today (Beijing) above
``settings.EXPORT_ALERT_ROWS``, their manager (reporting line, else the fallback manager) gets
an e-mail, the event is logged as a warning, and the access log page lists the user at the top
of today's exports, flagged. The alert goes once a day per user: only the export that crosses
the threshold sends it.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import mail_managers, send_mail
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.local_time import local_moment
from customers.models import DataAccessAction, DataAccessLog
from winback.staff import managers_of

logger = logging.getLogger(__name__)


def exported_rows_today(*, user_id: int, now: dt.datetime | None = None) -> int:
    """Rows ``user_id`` exported today (Beijing), from the access log's (user, at) index."""
    today = timezone.localdate(now)
    start = local_moment(today)
    total = DataAccessLog.objects.filter(
        user_id=user_id,
        action=DataAccessAction.EXPORT,
        at__gte=start,
        at__lt=start + dt.timedelta(days=1),
    ).aggregate(rows=Sum("rows"))["rows"]
    return total or 0


def export_alert_check(entry: DataAccessLog) -> bool:
    """Alert the user's manager if ``entry`` (an export just logged) took the user's rows today
    above the threshold; True when an alert went out."""
    limit = settings.EXPORT_ALERT_ROWS
    total = exported_rows_today(user_id=entry.user_id, now=entry.at)
    if not total - entry.rows <= limit < total:
        return False
    user = entry.user
    manager_id = managers_of([user.pk]).get(user.pk)
    manager = get_user_model().objects.filter(pk=manager_id).first() if manager_id else None
    logger.warning(
        "Large export: user %s (id %s) exported %s rows today (alert above %s); manager id %s",
        user.get_username(),
        user.pk,
        total,
        limit,
        manager_id,
    )
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Large export: %(user)s exported %(rows)s customer rows today") % {
            "user": user.get_full_name() or user.get_username(),
            "rows": f"{total:,}",
        }
        body = _(
            "%(user)s has exported %(rows)s customer rows today, more than the %(limit)s a day "
            "that calls for a look. Latest export: %(what)s (%(count)s rows). Every export is in "
            "the personal data access log: %(url)s"
        ) % {
            "user": user.get_full_name() or user.get_username(),
            "rows": f"{total:,}",
            "limit": f"{limit:,}",
            "what": entry.what,
            "count": f"{entry.rows:,}",
            "url": reverse("access_log") + f"?user={user.pk}",
        }
    if manager is not None and manager.email:
        send_mail(subject, body, None, [manager.email], fail_silently=True)
    else:
        mail_managers(subject, body, fail_silently=True)
    return True
