"""App config for winback."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WinbackConfig(AppConfig):
    name = "winback"
    verbose_name = _("Win-back")

    def ready(self) -> None:
        # Registers this app's Celery tasks in every process, so the services' work enqueued by
        # name (core.queue) runs in web requests and commands too, eagerly without a broker.
        from winback import tasks  # noqa: F401
