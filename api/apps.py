from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "api"
    verbose_name = _("DMS sync API")

    def ready(self) -> None:
        from django.db import models
        from rest_framework import serializers

        from api import schema  # noqa: F401 - registers the OpenAPI authentication extension
        from api.fields import Rfc3339DateTimeField
        from api.throttling import warn_if_per_process

        # Every model date-time the API serialises is written as valid RFC 3339 (api.fields);
        # DRF is used by this app only.
        serializers.ModelSerializer.serializer_field_mapping[models.DateTimeField] = (
            Rfc3339DateTimeField
        )
        # Production only: in development one process and an in-memory cache are the norm.
        if not settings.DEBUG:
            warn_if_per_process()
