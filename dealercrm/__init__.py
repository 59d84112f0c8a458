"""DealerCRM's project package, configuration only: settings, root URLs, the Celery app,
wsgi/asgi and start-up checks. No app imports it."""

from dealercrm.celery import app as celery_app

__all__ = ["celery_app"]
