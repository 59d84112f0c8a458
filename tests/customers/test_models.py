"""Customer data model: profile observations, contact preferences, opt-outs, value events,
DMS ids and the customer's own normalisation (R1, R3.5, R8.1)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from customers.models import (
    Channel,
    ChannelOptOut,
    Customer,
    IncomeBand,
    ProfileAttribute,
    ValueLayer,
)
from tests.factories import (
    ChannelOptOutFactory,
    ContactPreferenceFactory,
    CustomerFactory,
    ProfileObservationFactory,
    ValueEventFactory,
)

pytestmark = pytest.mark.django_db


# --- ProfileObservation (R1.2) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        (ProfileAttribute.FAMILY_STATUS, "married"),
        (ProfileAttribute.FAMILY_STATUS, "family"),
        (ProfileAttribute.JOB_STATUS, "business_owner"),
        (ProfileAttribute.JOB_STATUS, "retired"),
        (ProfileAttribute.UPKEEP_PAYER, "employer"),
        (ProfileAttribute.INCOME_BAND, "upper_middle"),
        (ProfileAttribute.CHILDREN, "0"),
        (ProfileAttribute.CHILDREN, "2"),
        (ProfileAttribute.CHILDREN, "10"),
    ],
)
def test_an_observation_with_a_value_of_its_attribute_is_valid(attribute, value):
    ProfileObservationFactory.build(
        customer=CustomerFactory(), attribute=attribute, value=value
    ).full_clean()


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        (ProfileAttribute.FAMILY_STATUS, "retired"),  # a job status, not a family status
        (ProfileAttribute.JOB_STATUS, "married"),
        (ProfileAttribute.UPKEEP_PAYER, "parents"),
        (ProfileAttribute.INCOME_BAND, "rich"),
        (ProfileAttribute.INCOME_BAND, "HIGH"),
        (ProfileAttribute.CHILDREN, "11"),
        (ProfileAttribute.CHILDREN, "-1"),
        (ProfileAttribute.CHILDREN, "two"),
        (ProfileAttribute.CHILDREN, "02"),
    ],
)
def test_an_observation_with_a_value_foreign_to_its_attribute_is_rejected(attribute, value):
    observation = ProfileObservationFactory.build(
        customer=CustomerFactory(), attribute=attribute, value=value
    )
    with pytest.raises(ValidationError) as exc:
        observation.full_clean()
    assert set(exc.value.message_dict) == {"value"}


def test_the_rejection_of_a_bad_value_lists_the_allowed_ones():
    observation = ProfileObservationFactory.build(
        customer=CustomerFactory(), attribute=ProfileAttribute.UPKEEP_PAYER, value="parents"
    )
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        observation.full_clean()
    message = exc.value.message_dict["value"][0]
    assert "parents" in message
    assert "self, employer, family" in message


def test_an_observation_shows_its_value_label_and_income_rank():
    observation = ProfileObservationFactory(value=IncomeBand.HIGH)
    with translation.override("en"):
        assert observation.value_label == "Above ¥50,000 a month"
    assert observation.rank == 4
    children = ProfileObservationFactory(attribute=ProfileAttribute.CHILDREN, value="3")
    assert children.value_label == "3"
    assert children.rank == 3
    job = ProfileObservationFactory(attribute=ProfileAttribute.JOB_STATUS, value="employee")
    assert job.rank is None


# --- ContactPreference and ChannelOptOut (R1.4) ------------------------------------------


def test_a_contact_preference_with_known_distinct_channels_is_valid():
    preference = ContactPreferenceFactory.build(
        customer=CustomerFactory(),
        preferred_channels=["wechat", "sms", "email"],
        disliked_channels=["phone", "visit_home"],
        time_windows=["noon", "evening"],
    )
    preference.full_clean()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"preferred_channels": ["wechat", "telegram"]}, "preferred_channels"),
        ({"disliked_channels": ["fax"]}, "disliked_channels"),
        ({"time_windows": ["midnight"]}, "time_windows"),
        ({"preferred_channels": ["sms", "wechat", "sms"]}, "preferred_channels"),
        ({"disliked_channels": ["phone", "phone"]}, "disliked_channels"),
        ({"preferred_channels": "wechat"}, "preferred_channels"),  # not a list
        ({"preferred_channels": ["wechat", 3]}, "preferred_channels"),
    ],
    ids=[
        "unknown preferred channel",
        "unknown disliked channel",
        "unknown time window",
        "duplicate preferred channel",
        "duplicate disliked channel",
        "a string instead of a list",
        "a number in the list",
    ],
)
def test_a_contact_preference_with_a_bad_list_is_rejected(changes, field):
    preference = ContactPreferenceFactory.build(customer=CustomerFactory(), **changes)
    with pytest.raises(ValidationError) as exc:
        preference.full_clean()
    assert field in exc.value.message_dict


def test_the_unknown_channel_is_named_in_the_message():
    preference = ContactPreferenceFactory.build(
        customer=CustomerFactory(), preferred_channels=["wechat", "telegram"]
    )
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        preference.full_clean()
    assert "telegram" in exc.value.message_dict["preferred_channels"][0]


def test_a_channel_both_preferred_and_disliked_is_rejected():
    preference = ContactPreferenceFactory.build(
        customer=CustomerFactory(),
        preferred_channels=["phone", "wechat"],
        disliked_channels=["phone", "post"],
    )
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        preference.full_clean()
    assert exc.value.message_dict["disliked_channels"] == [
        "A channel cannot be both preferred and disliked: phone."
    ]


def test_a_customer_has_one_contact_preference():
    preference = ContactPreferenceFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactPreferenceFactory(customer=preference.customer)


def test_one_opt_out_per_customer_and_channel_is_enforced_by_the_database():
    opt_out = ChannelOptOutFactory(channel=Channel.PHONE)
    with pytest.raises(IntegrityError), transaction.atomic():
        ChannelOptOutFactory(customer=opt_out.customer, channel=Channel.PHONE)
    assert ChannelOptOut.objects.filter(customer=opt_out.customer).count() == 1


def test_a_second_opt_out_for_the_same_channel_fails_validation():
    opt_out = ChannelOptOutFactory(channel=Channel.SMS)
    duplicate = ChannelOptOutFactory.build(customer=opt_out.customer, channel=Channel.SMS)
    with pytest.raises(ValidationError):
        duplicate.full_clean()


def test_opt_outs_of_other_channels_or_other_customers_are_allowed():
    opt_out = ChannelOptOutFactory(channel=Channel.PHONE)
    ChannelOptOutFactory(customer=opt_out.customer, channel=Channel.SMS)
    ChannelOptOutFactory(channel=Channel.PHONE)
    assert ChannelOptOut.objects.filter(channel=Channel.PHONE).count() == 2
    assert opt_out.customer.opt_outs.count() == 2


# --- ValueEvent (R3.5) -------------------------------------------------------------------


def test_a_referral_may_name_the_friend_who_bought():
    friend = CustomerFactory()
    event = ValueEventFactory.build(
        customer=CustomerFactory(), layer=ValueLayer.REFERRAL, referred_customer=friend
    )
    event.full_clean()
    event.save()
    assert list(friend.referred_by_events.all()) == [event]


def test_only_a_referral_names_a_referred_customer():
    event = ValueEventFactory.build(
        customer=CustomerFactory(),
        layer=ValueLayer.REVIEW,
        referred_customer=CustomerFactory(),
    )
    with pytest.raises(ValidationError) as exc:
        event.full_clean()
    assert set(exc.value.message_dict) == {"referred_customer"}


def test_a_customer_cannot_refer_themselves():
    customer = CustomerFactory()
    event = ValueEventFactory.build(
        customer=customer, layer=ValueLayer.REFERRAL, referred_customer=customer
    )
    with pytest.raises(ValidationError) as exc:
        event.full_clean()
    assert set(exc.value.message_dict) == {"referred_customer"}


# --- SyncedModel: the DMS's own ids (R8.1) -----------------------------------------------


def test_the_same_external_id_from_the_same_source_is_rejected_by_the_database():
    CustomerFactory(source="dms", external_id="C-42")
    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerFactory(source="dms", external_id="C-42")
    assert Customer.objects.filter(external_id="C-42").count() == 1


def test_the_same_external_id_from_another_source_is_allowed():
    CustomerFactory(source="dms", external_id="C-42")
    CustomerFactory(source="wechat_mall", external_id="C-42")
    assert Customer.objects.filter(external_id="C-42").count() == 2


def test_many_records_made_here_have_no_external_id():
    CustomerFactory.create_batch(3, source="", external_id=None)
    CustomerFactory.create_batch(2, source="dms", external_id=None)
    assert Customer.objects.filter(external_id__isnull=True).count() == 5


def test_a_duplicate_external_id_fails_full_clean_before_reaching_the_database():
    CustomerFactory(source="dms", external_id="C-42")
    duplicate = CustomerFactory.build(source="dms", external_id="C-42")
    with pytest.raises(ValidationError):
        duplicate.full_clean()


def test_every_synced_model_gets_its_own_external_id_constraint():
    # The same DMS id may name a customer and an opt-out: the constraint is per table.
    customer = CustomerFactory(source="dms", external_id="X1")
    ChannelOptOutFactory(customer=customer, source="dms", external_id="X1")
    with pytest.raises(IntegrityError), transaction.atomic():
        ChannelOptOutFactory(customer=customer, channel=Channel.SMS, source="dms", external_id="X1")


# --- Customer ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written", ["+86 139 1234 5678", "86 13912345678", "139-1234-5678", "0086 139 1234 5678"]
)
def test_customer_clean_stores_the_mobile_as_11_digits(written):
    customer = CustomerFactory.build(mobile=written)
    customer.full_clean()
    assert customer.mobile == "13912345678"


def test_a_customer_with_an_invalid_mobile_is_rejected_on_the_mobile_field():
    customer = CustomerFactory.build(mobile="12012345678")
    with pytest.raises(ValidationError) as exc:
        customer.full_clean()
    assert set(exc.value.message_dict) == {"mobile"}


def test_a_customer_may_have_no_mobile():
    customer = CustomerFactory.build(mobile="")
    customer.full_clean()
    assert customer.mobile == ""


def test_customer_clean_trims_and_deduplicates_liked_brands_keeping_their_order():
    customer = CustomerFactory.build(liked_brands=[" 丰田 ", "宝马", "丰田", "宝马 "])
    customer.full_clean()
    assert customer.liked_brands == ["丰田", "宝马"]


@pytest.mark.parametrize("brands", ["丰田", ["丰田", ""], ["丰田", 7], {"brand": "丰田"}])
def test_liked_brands_must_be_a_list_of_names(brands):
    customer = CustomerFactory.build(liked_brands=brands)
    with pytest.raises(ValidationError) as exc:
        customer.full_clean()
    assert "liked_brands" in exc.value.message_dict


def test_a_customer_born_too_recently_is_rejected():
    customer = CustomerFactory.build(birth_year=2020)
    with pytest.raises(ValidationError) as exc:
        customer.full_clean()
    assert set(exc.value.message_dict) == {"birth_year"}
