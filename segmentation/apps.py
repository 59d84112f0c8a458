"""App config for segmentation."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentationConfig(AppConfig):
    name = "segmentation"
    verbose_name = _("Segmentation")

    def ready(self) -> None:
        # Registers this app's Celery tasks in every process, so the services' work enqueued by
        # name (core.queue) runs in web requests and commands too, eagerly without a broker.
        from segmentation import tasks  # noqa: F401
