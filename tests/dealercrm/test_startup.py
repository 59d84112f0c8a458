"""A production server refuses to start without collected static files (not a 500 on every
page that names one)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import storages

from dealercrm.startup import static_manifest_check

MANIFEST_STORAGE = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


@pytest.fixture
def manifest_storage(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = MANIFEST_STORAGE
    storages._storages = {}
    yield tmp_path
    storages._storages = {}


def test_without_a_manifest_start_up_says_to_collect_static(manifest_storage):
    with pytest.raises(ImproperlyConfigured, match="collectstatic --noinput"):
        static_manifest_check()


def test_with_a_manifest_start_up_goes_on(manifest_storage):
    (manifest_storage / "staticfiles.json").write_text('{"paths": {}, "version": "1.1"}')
    static_manifest_check()


def test_development_storage_needs_no_manifest():
    storages._storages = {}
    static_manifest_check()


def test_gunicorns_entry_point_refuses_to_load_without_collected_files(tmp_path):
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": "test-only-" + "x" * 40,
        "ALLOWED_HOSTS": "crm.example.com",
        "STATIC_ROOT": str(tmp_path),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "-c", "import dealercrm.wsgi"],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Static files are not collected" in result.stderr
