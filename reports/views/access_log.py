"""The personal data access log (R7.2) for managers: who revealed or exported customers' data,
when (Beijing time), what, how many rows and with which filter, newest first in keyset pages,
and who exported many rows today."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.access import staff_page
from accounts.roles import Role
from customers.models import DataAccessAction
from reports.access_logs import (
    EXPORT_ROWS_ALERT,
    access_log_page,
    access_log_users,
    export_totals_today,
    filter_user_ids,
    filter_words,
    user_names,
)

_FILTER_KEYS = ("user", "action", "before")


@staff_page(Role.MANAGER)
def access_log(request: HttpRequest) -> HttpResponse:
    """The log, filtered by ``?user=`` and ``?action=``, paged by ``?before=<entry id>``."""
    filters = {key: request.GET[key] for key in _FILTER_KEYS if request.GET.get(key)}
    error = False
    try:
        page = access_log_page(user=request.user, filters=filters)
    except ValidationError:
        error, filters = True, {}
        page = access_log_page(user=request.user, filters={})
    names = user_names(filter_user_ids(page.entries))
    rows = [(entry, filter_words(entry.filters or {}, names)) for entry in page.entries]
    context = {
        "rows": rows,
        "page": page,
        "is_first_page": "before" not in filters,
        "filters": filters,
        "error": error,
        "users": access_log_users(user=request.user),
        "actions": DataAccessAction,
        "totals": export_totals_today(user=request.user),
        "alert_rows": EXPORT_ROWS_ALERT,
    }
    return render(request, "reports/access_log.html", context)
