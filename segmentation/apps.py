"""App config for segmentation."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentationConfig(AppConfig):
    name = "segmentation"
    verbose_name = _("Segmentation")

    def ready(self) -> None:
        # A sharded run dispatches its shard tasks by name, also in-process (eager) where no
        # worker has imported the task modules.
        from segmentation import tasks  # noqa: F401
