"""Top-level URL configuration.

The API is unprefixed; people's pages sit under ``i18n_patterns`` so ``/en/…`` serves English
and the unprefixed paths the default language (Simplified Chinese).
"""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from accounts.views import home
from core.views import healthz

admin.site.site_header = _("DealerCRM · service marketing")
admin.site.site_title = _("DealerCRM")
admin.site.index_title = _("Customers, vehicles and contacts")

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("api.urls")),
]
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", home, name="home"),
    path("", include("winback.urls")),
    path("", include("segmentation.urls")),
    path("", include("reports.urls")),
    prefix_default_language=False,
)

# JSON errors under /api/ (the documented shape), Django's pages elsewhere.
handler404 = "api.views.page_not_found"
handler500 = "api.views.server_error"
