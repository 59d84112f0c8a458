"""The OpenAPI schema is served, valid and complete; the docs need no CDN; and schemathesis,
driving every operation from the served schema, never gets a 5xx."""

from __future__ import annotations

import os

import pytest
import schemathesis
import yaml
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.cases import RESOURCES
from tests.factories import ServiceOrderLineFactory, VehicleFactory

pytestmark = pytest.mark.django_db

SYNC_PATHS = RESOURCES


def _schema() -> dict:
    response = APIClient().get("/api/v1/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_schema_is_openapi_3_and_lists_every_endpoint(db):
    schema = _schema()
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for name in SYNC_PATHS:
        assert "post" in paths[f"/api/v1/sync/{name}/"]
    for name in SYNC_PATHS:
        if name in ("contact-preferences", "profile-observations"):
            continue
        assert "get" in paths[f"/api/v1/{name}/"]
        assert "get" in paths[f"/api/v1/{name}/{{id}}/"]
    assert "get" in paths["/api/v1/scores/"]
    assert schema["components"]["securitySchemes"]["tokenAuth"]["name"] == "Authorization"


def test_every_operation_documents_its_error_shape(db):
    schema = _schema()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for code in ("400", "401", "403", "429"):
                content = operation["responses"][code]["content"]["application/json"]
                assert content["schema"]["$ref"].endswith("/Error"), (path, method, code)
    error = schema["components"]["schemas"]["Error"]
    assert {"code", "detail"} <= set(error["required"])


def test_sync_records_refuse_unknown_keys_in_the_schema_too(db):
    record = _schema()["components"]["schemas"]["ServiceOrdersSyncRecordRequest"]
    assert record["additionalProperties"] is False
    assert {"external_id", "customer", "opened_on"} <= set(record["required"])


@pytest.mark.parametrize("page", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_the_docs_pages_load_their_assets_from_this_server(db, page):
    html = APIClient().get(page).content.decode()
    assert "drf_spectacular_sidecar" in html
    assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html


# --- schemathesis --------------------------------------------------------------------------


def _operations() -> list[tuple[str, str]]:
    """(path, method) of every operation, from the generator (at collection, no database)."""
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    return [(path, method) for path, ops in sorted(paths.items()) for method in sorted(ops)]


@pytest.fixture
def served_schema(dms_key):
    # Some rows, so detail and filter operations also meet existing records.
    vehicle = VehicleFactory(external_id="V1")
    ServiceOrderLineFactory(order__customer=vehicle.owner, order__vehicle=vehicle)
    # Requests go through the WSGI handler in-process; like Django's test client, keep the
    # request signals from closing the test's database connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", WSGIHandler())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize(("path", "method"), _operations(), ids=lambda v: v)
def test_no_operation_answers_with_a_server_error(served_schema, dms_key, path, method, mode):
    """Cases generated from the served schema, valid ones and ones that break it: every answer
    is documented, matches its schema, and none is a 5xx."""
    operation = served_schema[path][method.upper()]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "20")),
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def exercise(case) -> None:
        response = case.call(headers={"Authorization": f"Token {dms_key}"})
        case.validate_response(response, checks=_CHECKS)

    exercise()
