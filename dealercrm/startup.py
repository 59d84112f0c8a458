"""Checks a production process makes once, at start-up, so a deployment mistake stops the
server with a clear message instead of failing page by page."""

from __future__ import annotations

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import storages


def static_manifest_check() -> None:
    """With a manifest storage (production: ``DJANGO_DEBUG=0``), the manifest that
    ``collectstatic`` writes must exist; without it every page that names a static file
    answers 500. Raises ``ImproperlyConfigured`` saying what to run."""
    storage = storages["staticfiles"]
    if isinstance(storage, ManifestFilesMixin) and storage.read_manifest() is None:
        raise ImproperlyConfigured(
            "Static files are not collected: the manifest is missing from STATIC_ROOT "
            f"({settings.STATIC_ROOT}). Run `python manage.py collectstatic --noinput` with the "
            "same settings before starting the server."
        )
