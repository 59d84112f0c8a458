"""The start page: where each person lands after signing in."""

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from accounts.access import home_url


def home(request: HttpRequest) -> HttpResponse:
    """The start page: each role lands on its own page; anonymous visitors sign in."""
    if not request.user.is_authenticated:
        return redirect_to_login("/")
    return HttpResponseRedirect(home_url(request.user))
