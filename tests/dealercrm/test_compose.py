"""docker-compose.yml and the Dockerfile run real modules and commands of this project.

There is no Docker engine on the CI machines, so this checks what can go wrong without one:
the file parses, the services mirror production, and every command names something real.
"""

from __future__ import annotations

import importlib
import json
import re
import shlex
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands
from django.urls import resolve

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("migrate", "web", "worker", "beat")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _command(service: dict) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def _assert_runs_project_code(argv: list[str]) -> None:
    """Fail unless ``argv`` starts one of the project's entry points."""
    program = argv[0]
    if program == "python":
        assert argv[1] == "manage.py", argv
        assert argv[2] in get_commands(), f"unknown management command {argv[2]!r}"
    elif program == "gunicorn":
        module_name, attr = argv[1].split(":")
        assert callable(getattr(importlib.import_module(module_name), attr))
    elif program == "celery":
        package = argv[argv.index("-A") + 1]
        app = importlib.import_module(package).celery_app
        assert app.main == "dealercrm"
        subcommand = argv[argv.index("-A") + 2]
        assert subcommand in {"worker", "beat"}, subcommand
    else:
        pytest.fail(f"unexpected program {program!r} in {argv}")


def test_compose_has_the_production_services(compose):
    services = compose["services"]
    assert {"postgres", "redis", *APP_SERVICES} <= set(services)
    images = {services[name]["image"] for name in APP_SERVICES}
    assert images == {"dealercrm:latest"}, "web, worker and beat must share one image"
    for name in APP_SERVICES:
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["REDIS_URL"].startswith("redis://redis:")
        assert env["DJANGO_DEBUG"] == "0"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_compose_commands_name_real_project_entry_points(compose, service):
    _assert_runs_project_code(_command(compose["services"][service]))


def test_compose_environment_is_read_by_settings(compose):
    settings_source = (ROOT / "dealercrm" / "settings.py").read_text()
    for name in compose["services"]["web"]["environment"]:
        assert f'"{name}"' in settings_source, f"settings never read {name}"


def test_compose_web_healthcheck_hits_a_real_url(compose):
    probe = " ".join(compose["services"]["web"]["healthcheck"]["test"])
    path = re.search(r"http://127\.0\.0\.1:8000(/[\w/-]*)", probe).group(1)
    assert resolve(path).url_name == "healthz"


def test_dockerfile_default_command_is_a_real_entry_point():
    dockerfile = (ROOT / "Dockerfile").read_text()
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE).group(1)
    _assert_runs_project_code(json.loads(cmd))


def test_the_image_installs_every_package_of_the_project():
    """The image copies the whole tree before installing, so a new app cannot be left out."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    steps = re.findall(r"^(COPY|RUN) (.*)$", dockerfile, re.MULTILINE)
    install = next(i for i, (op, arg) in enumerate(steps) if op == "RUN" and "pip install" in arg)
    assert ("COPY", ". .") in steps[:install]
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".venv" in ignored and "var" in ignored
