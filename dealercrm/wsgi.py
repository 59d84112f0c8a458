"""WSGI entry point for gunicorn. Refuses to start in production without collected static
files (:func:`dealercrm.startup.static_manifest_check`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealercrm.settings")
application = get_wsgi_application()

from dealercrm.startup import static_manifest_check  # noqa: E402  (needs the settings loaded)

static_manifest_check()
