"""Writes on customers: recording a profile observation, from the service and the admin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from customers.models import IncomeBand, ObservationSource, ProfileAttribute, ProfileObservation
from customers.services import profile_observation_create
from tests.admin_forms import admin_form_values
from tests.factories import CustomerFactory, ProfileObservationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def test_an_observation_is_added_with_who_observed_it(manager):
    customer = CustomerFactory()
    earlier = ProfileObservationFactory(
        customer=customer, attribute=ProfileAttribute.INCOME_BAND, value=IncomeBand.LOW
    )
    observation = profile_observation_create(
        customer=customer,
        by=manager,
        attribute=ProfileAttribute.INCOME_BAND,
        value=IncomeBand.MIDDLE,
        observed_on=dt.date(2024, 5, 1),
        observation_source=ObservationSource.CALL,
        note="升职了",
    )
    observation.refresh_from_db()
    assert (observation.observed_by, observation.value, observation.note) == (
        manager,
        IncomeBand.MIDDLE,
        "升职了",
    )
    earlier.refresh_from_db()
    assert earlier.value == IncomeBand.LOW  # history is added to, never overwritten


def test_an_observation_with_a_value_foreign_to_its_attribute_is_refused_and_not_written(
    manager,
):
    with pytest.raises(ValidationError) as exc:
        profile_observation_create(
            customer=CustomerFactory(),
            by=manager,
            attribute=ProfileAttribute.INCOME_BAND,
            value="billionaire",
            observed_on=dt.date(2024, 5, 1),
            observation_source=ObservationSource.CALL,
        )
    assert set(exc.value.message_dict) == {"value"}
    assert not ProfileObservation.objects.exists()


def test_an_observation_added_in_the_admin_names_the_user_who_added_it(manager_client, manager):
    customer = CustomerFactory()
    response = manager_client.post(
        reverse("admin:customers_profileobservation_add"),
        {
            "customer": customer.pk,
            "attribute": ProfileAttribute.CHILDREN,
            "value": "2",
            "observed_on": "2024-06-01",
            "observation_source": ObservationSource.VISIT,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    observation = ProfileObservation.objects.get()
    assert (observation.customer, observation.observed_by, observation.value) == (
        customer,
        manager,
        "2",
    )


def test_an_observation_added_on_the_customer_page_names_the_user_who_added_it(
    manager_client, manager
):
    customer = CustomerFactory()
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    data = admin_form_values(manager_client, url)
    data.update(
        {
            "profile_observations-TOTAL_FORMS": "1",
            "profile_observations-0-attribute": ProfileAttribute.JOB_STATUS,
            "profile_observations-0-value": "retired",
            "profile_observations-0-observed_on": "2024-06-01",
            "profile_observations-0-observation_source": ObservationSource.CALL,
        }
    )
    response = manager_client.post(url, data)
    assert response.status_code == 302, response.context and [
        f.formset.errors for f in response.context["inline_admin_formsets"]
    ]
    observation = ProfileObservation.objects.get()
    assert (observation.customer, observation.observed_by, observation.value) == (
        customer,
        manager,
        "retired",
    )
