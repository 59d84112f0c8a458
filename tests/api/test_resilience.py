"""The API when its neighbours fail (issue 10, items 4 and 7): a dead cache does not take it
down, every error (a bug's 500, a 404 for any path) has the JSON error shape, a chunked body
is read, and a per-process cache is announced once."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.test import RequestFactory, override_settings
from django.test.client import ClientHandler

from api import views
from api.throttling import local_counts, warn_if_per_process
from customers.models import Customer

pytestmark = pytest.mark.django_db

#: A Redis nobody listens on: every cache call fails at once with "connection refused".
DEAD_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
    }
}


def _outage_logs(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "api.throttling" and "unavailable" in r.msg]


@pytest.mark.faults
@override_settings(CACHES=DEAD_REDIS)
def test_with_the_cache_down_the_api_answers_200_json_and_logs_it_once(dms_api, caplog):
    caplog.set_level(logging.WARNING, logger="api.throttling")
    for _ in range(3):
        response = dms_api.get("/api/v1/customers/")
        assert response.status_code == 200, response.content
        assert response["Content-Type"] == "application/json"
        assert response.json()["results"] == []
    pushed = dms_api.post(
        "/api/v1/sync/customers/",
        {"records": [{"external_id": "C-OUT", "name": "王芳", "mobile": "13912345678"}]},
        format="json",
    )
    assert pushed.status_code == 200, pushed.content
    assert Customer.objects.filter(external_id="C-OUT").exists()
    assert len(_outage_logs(caplog)) == 1  # once per interval, not once per request


@pytest.mark.faults
@override_settings(CACHES=DEAD_REDIS)
def test_with_the_cache_down_limits_still_hold_per_process(dms_api, settings):
    settings.API_READ_RATE = "2/min"
    assert [dms_api.get("/api/v1/customers/").status_code for _ in range(3)] == [200, 200, 429]
    assert dms_api.get("/api/v1/customers/").json()["code"] == "throttled"


def test_the_throttle_goes_back_to_the_cache_when_it_recovers(dms_api, settings, monkeypatch):
    settings.API_READ_RATE = "2/min"
    with override_settings(CACHES=DEAD_REDIS):
        assert dms_api.get("/api/v1/customers/").status_code == 200
    assert not local_counts.cache_usable()
    monkeypatch.setattr(local_counts, "down_until", 0.0)  # the retry pause is over
    # The working cache counts from zero: two more requests pass, the third is refused.
    assert [dms_api.get("/api/v1/customers/").status_code for _ in range(3)] == [200, 200, 429]


def test_an_unexpected_error_is_a_json_500_and_is_logged(dms_api, settings, monkeypatch, caplog):
    settings.DEBUG = False

    def broken() -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(views, "scoring_run_list", broken)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = dms_api.get("/api/v1/scoring-runs/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == "server_error"
    assert "database went away" not in body["detail"]  # no internals leak
    logged = [r for r in caplog.records if r.name == "django.request"]
    assert logged and logged[0].exc_info[0] is RuntimeError


@pytest.mark.parametrize(
    "path", ["/api/v1/customers%0A/", "/api/v1/customers/%0A", "/api/v1/no-such-thing/"]
)
def test_a_404_for_any_api_path_is_json(dms_api, path):
    response = dms_api.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


def test_the_project_error_handlers_answer_json_under_api_and_html_elsewhere():
    factory = RequestFactory()
    api_500 = views.server_error(factory.get("/api/v1/customers/"))
    assert api_500.status_code == 500
    assert json.loads(api_500.content)["code"] == "server_error"
    page_500 = views.server_error(factory.get("/today/"))
    assert page_500.status_code == 500 and page_500["Content-Type"].startswith("text/html")
    api_404 = views.page_not_found(factory.get("/api/v2/"), Exception())
    assert json.loads(api_404.content)["code"] == "not_found"


def _wsgi_post(path: str, body: bytes, key: str, *, terminated: bool) -> tuple[int, bytes]:
    """A POST as gunicorn hands it over for ``Transfer-Encoding: chunked``: the body already
    de-chunked in ``wsgi.input`` and no ``CONTENT_LENGTH``. (Through the test client's handler,
    which builds the same WSGIRequest as Django's but keeps the test's database connection.)"""
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": "application/json",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "HTTP_AUTHORIZATION": f"Token {key}",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if terminated:
        environ["wsgi.input_terminated"] = True
    response = ClientHandler()(environ)
    return response.status_code, response.content


def test_a_chunked_body_is_read_not_taken_as_empty(dms_key):
    records = {"records": [{"external_id": "C-CHUNK", "name": "李娜", "mobile": "13912345670"}]}
    status, content = _wsgi_post(
        "/api/v1/sync/customers/", json.dumps(records).encode(), dms_key, terminated=True
    )
    assert status == 200, content
    assert json.loads(content)["counts"]["created"] == 1
    assert Customer.objects.filter(external_id="C-CHUNK").exists()


def test_a_chunked_body_the_server_cannot_delimit_is_a_411(dms_key):
    status, content = _wsgi_post("/api/v1/sync/customers/", b"{}", dms_key, terminated=False)
    assert status == 411
    assert json.loads(content)["code"] == "length_required"


def test_a_chunked_body_over_the_limit_is_a_413(dms_key, settings):
    settings.API_MAX_BODY_BYTES = 10
    status, content = _wsgi_post(
        "/api/v1/sync/customers/", b'{"records": []}', dms_key, terminated=True
    )
    assert status == 413
    assert json.loads(content)["code"] == "payload_too_large"


def test_a_per_process_cache_is_announced(caplog):
    caplog.set_level(logging.WARNING, logger="api.throttling")
    locmem = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with override_settings(CACHES=locmem):
        assert warn_if_per_process()
    assert "counted per process" in caplog.records[-1].getMessage()
    with override_settings(CACHES=DEAD_REDIS):
        assert not warn_if_per_process()
