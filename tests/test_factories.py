"""Every factory builds a row that passes the model's own validation."""

import pytest

from tests import factories

ALL_FACTORIES = [
    factories.CustomerFactory,
    factories.ProfileObservationFactory,
    factories.ContactPreferenceFactory,
    factories.ChannelOptOutFactory,
    factories.ValueEventFactory,
    factories.BrandFactory,
    factories.VehicleModelFactory,
    factories.VehicleFactory,
    factories.PurchaseFactory,
    factories.ServiceOrderFactory,
    factories.ServiceOrderLineFactory,
    factories.OdometerReadingFactory,
    factories.ContactLogFactory,
    factories.SatisfactionSurveyFactory,
    factories.ComplaintFactory,
    factories.ComplaintStatusChangeFactory,
]


@pytest.mark.django_db
@pytest.mark.parametrize("factory", ALL_FACTORIES, ids=lambda f: f.__name__)
def test_factory_builds_a_valid_row(factory):
    obj = factory()
    obj.full_clean()
    assert obj.pk is not None
