"""The Celery application.

With ``REDIS_URL`` set, tasks go through Redis to ``celery worker``; without it the settings
make Celery run tasks in-process (eager), so a laptop needs no broker.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealercrm.settings")

app = Celery("dealercrm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
