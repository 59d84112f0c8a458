"""DealerCRM project package: settings, URLs, the Celery app and role definitions."""

from dealercrm.celery import app as celery_app

__all__ = ["celery_app"]
