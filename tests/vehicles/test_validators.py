"""VIN and Chinese licence-plate validation, and their normalisation on the vehicle."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from tests.factories import VehicleFactory
from vehicles.validators import normalize_plate, normalize_vin, validate_cn_plate, validate_vin

GOOD_VIN = "LSVAB2180E2123456"


def test_a_17_character_vin_without_i_o_q_is_valid():
    validate_vin(GOOD_VIN)
    validate_vin("WVWZZZ1KZAW000001")


def test_a_lower_case_vin_passes_the_validator():
    validate_vin(GOOD_VIN.lower())


@pytest.mark.parametrize("vin", [GOOD_VIN[:16], GOOD_VIN + "7", "", "LSV"])
def test_a_vin_that_is_not_17_characters_is_rejected_with_its_length(vin):
    with pytest.raises(ValidationError) as exc:
        validate_vin(vin)
    assert exc.value.code == "vin_length"
    assert exc.value.params["length"] == len(vin)


@pytest.mark.parametrize(
    ("vin", "bad"),
    [
        ("LSVAB2180E212345I", "I"),
        ("LSVAB2180E212345O", "O"),
        ("LSVAB2180E212345Q", "Q"),
        ("LSVAB2180O2I2345Q", "I, O, Q"),
        ("LSVAB2180E21234-6", "-"),
        ("LSVAB2180E21234Ä6", "Ä"),
        ("LSVAB2180E21234５6", "５"),  # full-width digit
        ("LSVAB2180E212345i", "I"),  # lower-case i is still I
    ],
)
def test_a_vin_with_forbidden_characters_names_them(vin, bad):
    with pytest.raises(ValidationError) as exc:
        validate_vin(vin)
    assert exc.value.code == "vin_characters"
    assert exc.value.params["bad"] == bad
    with translation.override("en"):
        assert f"contains {bad}" in exc.value.messages[0]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [(" lsvab2180e2123456 ", GOOD_VIN), (GOOD_VIN, GOOD_VIN), (None, ""), ("", "")],
)
def test_a_vin_is_stored_trimmed_and_in_capitals(typed, stored):
    assert normalize_vin(typed) == stored


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("粤b · d12345", "粤BD12345"), ("京A 12345", "京A12345"), (None, ""), ("", "")],
)
def test_a_plate_is_stored_without_blanks_or_the_dot_and_in_capitals(typed, stored):
    assert normalize_plate(typed) == stored


@pytest.mark.django_db
def test_vehicle_clean_upper_cases_the_vin_and_compacts_the_plate():
    vehicle = VehicleFactory()
    # As typed or pasted: lower case, padded, plate with the separator dot and spaces.
    vehicle.vin = " " + GOOD_VIN.lower() + " "
    vehicle.plate = "粤b · d12345"
    vehicle.full_clean()
    assert vehicle.vin == GOOD_VIN
    assert vehicle.plate == "粤BD12345"


@pytest.mark.django_db
def test_vehicle_with_a_bad_vin_fails_full_clean_on_the_vin_field():
    vehicle = VehicleFactory()
    vehicle.vin = "LSVAB2180E212345O"
    with pytest.raises(ValidationError) as exc:
        vehicle.full_clean()
    assert set(exc.value.message_dict) == {"vin"}


@pytest.mark.django_db
def test_a_lower_case_vin_is_unique_against_its_upper_case_twin():
    VehicleFactory(vin=GOOD_VIN)
    twin = VehicleFactory.build(vin=GOOD_VIN.lower(), model=VehicleFactory().model, owner=None)
    with pytest.raises(ValidationError) as exc:
        twin.full_clean()
    assert "vin" in exc.value.message_dict


@pytest.mark.parametrize(
    "plate",
    [
        "粤B12345",  # regular
        "京A8K2M9",  # regular with letters
        "沪C1234学",  # driving-school plate
        "粤BD12345",  # new energy, small car: 6 characters after the office letter
        "粤BF1A234",
        "粤B12345D",  # new energy, large vehicle
        "粤B·12345",  # written with the separator dot
        "粤b 12345",  # lower case and a space
        "",  # no plate yet
    ],
)
def test_regular_and_new_energy_plates_are_valid(plate):
    validate_cn_plate(plate)


@pytest.mark.parametrize(
    "plate",
    [
        "B12345",  # no province
        "XX12345",
        "粤12345",  # no office letter
        "粤B1234",  # too short
        "粤BD123456",  # too long even for new energy
        "粤BI2345",  # I is not used on plates
        "粤BO2345",  # neither is O
        "粤B12#45",
        "粤B12345\n",  # a trailing newline is not part of a plate
        "hello",
        "粤B１２３４５",  # full-width digits
    ],
)
def test_junk_plates_are_rejected(plate):
    with pytest.raises(ValidationError) as exc:
        validate_cn_plate(plate)
    assert exc.value.code == "plate"
