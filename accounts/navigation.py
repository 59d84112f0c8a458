"""The staff app's navigation: which pages each role sees in the menu (a context processor)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from accounts.access import has_role
from accounts.roles import Role

_A, _S, _M = Role.SALES_ADVISOR, Role.SERVICE_MARKETING, Role.MANAGER

#: (URL name, label, roles) in menu order.
NAVIGATION = (
    ("today", _("Today"), (_A, _S)),
    ("customer_list", _("Customers"), (_A, _S, _M)),
    ("segments", _("Segments"), (_S, _M)),
    ("campaigns", _("Campaigns"), (_S, _M)),
    ("report_monthly_latest", _("Monthly report"), (_S, _M)),
    ("dashboard", _("Dashboard"), (_S, _M)),
    ("access_log", _("Data access log"), (_M,)),
)


def navigation(request: HttpRequest) -> dict[str, Any]:
    """``nav``: the menu items of the signed-in user, each marked ``active`` on its page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    items = []
    for url_name, label, roles in NAVIGATION:
        if not has_role(user, roles):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        items.append({"url": url, "label": label, "active": request.path.startswith(url)})
    return {"nav": items}
