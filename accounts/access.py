"""Who may open which staff page: the access helper every staff view opens with.

A page names the roles it serves; anonymous visitors go to the login page, signed-in users
without one of those roles get a 403. Superusers pass everywhere. Which *records* a user sees
is not decided here but by ``visible_to`` in the selectors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from accounts.roles import Role, user_roles

#: Every role that works in the staff pages (the DMS client only talks to the API).
STAFF_ROLES = (Role.SALES_ADVISOR, Role.SERVICE_MARKETING, Role.MANAGER)

#: Where each role lands after signing in, most specific first.
_ROLE_HOMES = (
    (Role.MANAGER, "dashboard"),
    (Role.SERVICE_MARKETING, "segments"),
    (Role.SALES_ADVISOR, "today"),
)


def has_role(user: Any, roles: Iterable[Role]) -> bool:
    """True when ``user`` is a superuser or holds one of ``roles``."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser or user_roles(user) & frozenset(roles))


def access_page(request: HttpRequest, roles: Iterable[Role] = STAFF_ROLES) -> None:
    """Raise ``PermissionDenied`` unless the signed-in user may open a page for ``roles``."""
    if not has_role(request.user, roles):
        raise PermissionDenied


def staff_page(*roles: Role) -> Callable:
    """Decorate a view serving ``roles`` (all staff roles when none are named): anonymous
    users are sent to sign in, others without the role get 403."""
    allowed = roles or STAFF_ROLES

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            access_page(request, allowed)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def home_url(user: Any) -> str:
    """The page ``user`` starts on: the dashboard for managers, the segment explorer for
    service marketing, today's list for advisors, the back office for anyone else."""
    roles = user_roles(user)
    for role, url_name in _ROLE_HOMES:
        if role in roles:
            return reverse(url_name)
    if getattr(user, "is_superuser", False):
        return reverse("dashboard")
    return reverse("admin:index")
