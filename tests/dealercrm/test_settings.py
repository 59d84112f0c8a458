"""Settings come from the environment; production mode refuses to start insecurely."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(code_or_args: list[str], **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    clean.pop("SECRET_KEY", None)
    clean.pop("DJANGO_DEBUG", None)
    return subprocess.run(
        [sys.executable, *code_or_args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "dealercrm.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _settings_value(expression: str, **env: str) -> str:
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    result = _run(["-c", code], **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_defaults_are_sqlite_under_var_and_eager_celery(tmp_path):
    var = tmp_path / "var"
    assert _settings_value(
        "settings.DATABASES['default']['ENGINE']", DEALERCRM_VAR_DIR=str(var)
    ) == ("django.db.backends.sqlite3")
    assert _settings_value("settings.DATABASES['default']['NAME']", DEALERCRM_VAR_DIR=str(var)) == (
        str(var / "dealercrm.sqlite3")
    )
    assert _settings_value("settings.CELERY_TASK_ALWAYS_EAGER") == "True"


def test_database_url_and_redis_url_switch_to_postgres_and_redis():
    env = {
        "DATABASE_URL": "postgres://u:p@db.example:5432/crm",
        "REDIS_URL": "redis://cache.example:6379/2",
    }
    assert _settings_value("settings.DATABASES['default']['ENGINE']", **env) == (
        "django.db.backends.postgresql"
    )
    assert _settings_value("settings.CELERY_BROKER_URL", **env) == env["REDIS_URL"]
    assert _settings_value("settings.CELERY_TASK_ALWAYS_EAGER", **env) == "False"
    assert _settings_value("settings.CACHES['default']['LOCATION']", **env) == env["REDIS_URL"]


def test_production_mode_requires_a_secret_key():
    result = _run(["-c", "import django; django.setup()"], DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.slow
def test_production_mode_passes_the_deploy_check():
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DJANGO_DEBUG="0",
        SECRET_KEY="x" * 20 + "a-long-random-production-secret-key-0123456789",
        ALLOWED_HOSTS="crm.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
