"""Helpers of the admin page tests: a page's URL by model label, and the queries a GET costs."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse


def admin_url(label: str, view: str, *args) -> str:
    """The admin URL of ``view`` (changelist, add, change…) for ``app_label.model``."""
    app_label, model = label.split(".")
    return reverse(f"admin:{app_label}_{model}_{view}", args=args)


def queries_of_get(client, url: str) -> int:
    """GET ``url`` (it must answer 200) and return how many queries it cost."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)
