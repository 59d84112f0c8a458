"""The API's error shape for the Django errors the apps' selectors raise."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404

# DRF's views first, as in a request: api.exceptions and DRF's settings import each other.
from api import views  # noqa: F401
from api.exceptions import api_exception_handler


def test_a_django_validation_error_per_field_is_a_400_with_its_fields():
    error = ValidationError({"month": ["Give the month as YYYY-MM."], "status": ["Bad."]})
    response = api_exception_handler(error, {})
    assert response.status_code == 400
    assert response.data == {
        "code": "invalid",
        "detail": "The request is not valid.",
        "fields": {"month": ["Give the month as YYYY-MM."], "status": ["Bad."]},
    }


def test_a_django_validation_error_without_fields_is_a_400_of_non_field_errors():
    response = api_exception_handler(
        ValidationError("Nothing matches %(what)s.", params={"what": "x"}), {}
    )
    assert response.status_code == 400
    assert response.data["fields"] == {"non_field_errors": ["Nothing matches x."]}


def test_http404_is_a_404_not_found():
    response = api_exception_handler(Http404(), {})
    assert response.status_code == 404
    assert response.data == {"code": "not_found", "detail": "Not found."}
