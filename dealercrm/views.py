"""Project-level views that belong to no app."""

from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse

from dealercrm.access import home_url


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database check for load balancers and compose health checks."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def home(request: HttpRequest) -> HttpResponse:
    """The start page: each role lands on its own page; anonymous visitors sign in."""
    if not request.user.is_authenticated:
        return redirect_to_login("/")
    return HttpResponseRedirect(home_url(request.user))
