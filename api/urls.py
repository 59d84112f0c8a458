"""URLs of the API, mounted at /api/v1/ by dealercrm/urls.py."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny
from rest_framework.routers import SimpleRouter

from api import views

app_name = "api"

router = SimpleRouter()
for name, viewset in views.RECORD_VIEWSETS.items():
    router.register(name, viewset, basename=name)
router.register("scores", views.ScoreViewSet, basename="scores")
router.register("scoring-runs", views.ScoringRunViewSet, basename="scoring-runs")

_public = {"permission_classes": [AllowAny], "authentication_classes": [], "throttle_classes": []}

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(**_public), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema", **_public), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema", **_public), name="redoc"),
    *[
        path(f"sync/{name}/", view.as_view(), name=f"sync-{name}")
        for name, view in views.SYNC_VIEWS.items()
    ],
    *router.urls,
    # Not ".": it does not match a newline, and /api/v1/customers%0A/ fell to the HTML 404.
    re_path(r"^[\s\S]*$", views.api_not_found),
]
