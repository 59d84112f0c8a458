"""Who lands where, and the staff-page access helper (R7.1)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory

from accounts.access import home_url, staff_page
from accounts.roles import Role


@staff_page(Role.MANAGER)
def _manager_only(request):
    return HttpResponse("ok")


def _get(user):
    request = RequestFactory().get("/somewhere/")
    request.user = user
    return request


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in():
    from django.contrib.auth.models import AnonymousUser

    response = _manager_only(_get(AnonymousUser()))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


@pytest.mark.django_db
def test_the_role_named_passes_and_others_are_refused(manager, advisor):
    assert _manager_only(_get(manager)).status_code == 200
    with pytest.raises(PermissionDenied):
        _manager_only(_get(advisor))


@pytest.mark.django_db
def test_superusers_pass_every_page(superuser):
    assert _manager_only(_get(superuser)).status_code == 200


@pytest.mark.django_db
def test_each_role_starts_on_its_own_page(advisor, marketing, manager, dms_client):
    assert home_url(advisor) == "/today/"
    assert home_url(marketing) == "/segments/"
    assert home_url(manager) == "/dashboard/"
    assert home_url(dms_client) == "/admin/"


@pytest.mark.django_db
def test_the_start_page_redirects_by_role(client, advisor):
    assert client.get("/").status_code == 302
    assert client.get("/")["Location"].startswith("/login/")
    client.force_login(advisor)
    assert client.get("/")["Location"] == "/today/"


@pytest.mark.django_db
def test_the_menu_shows_each_role_its_pages(client, advisor, manager):
    from accounts.navigation import NAVIGATION, navigation

    request = _get(advisor)
    labels = [item["url"] for item in navigation(request)["nav"]]
    assert "/today/" in labels and "/dashboard/" not in labels
    request = _get(manager)
    urls = [item["url"] for item in navigation(request)["nav"]]
    assert "/access-log/" in urls and "/today/" not in urls
    assert len(urls) <= len(NAVIGATION)
