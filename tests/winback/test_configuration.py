"""The limits managers edit are checked before they are saved, with a message people read."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from segmentation.models import ScoringConfiguration
from winback.models import WinbackConfiguration
from winback.work_settings import WorkSettings

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"contact_cap": 99}, ["contact_cap", "out of range", "99"]),
        ({"control_share": 1.5}, ["control_share", "out of range"]),
        ({"contact_limit": 3}, ["Unknown settings", "contact_limit"]),
        ({"contact_cap": "three"}, ["wrong type"]),
        ([], ["JSON object"]),
    ],
)
def test_a_bad_win_back_setting_is_refused_naming_it(values, words):
    config = WinbackConfiguration(name="试行", is_active=False, settings=values)
    with pytest.raises(ValidationError) as error:
        config.full_clean()
    message = " ".join(error.value.message_dict["settings"])
    for word in words:
        assert word in message


def test_the_message_is_in_chinese_for_the_chinese_interface():
    config = ScoringConfiguration(name="试行", is_active=False, settings={"value_tiers": 9})
    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        config.full_clean()
    assert "value_tiers" in error.value.message_dict["settings"][0]
    assert "out of range" not in error.value.message_dict["settings"][0]


def test_missing_settings_take_their_defaults_and_the_active_row_is_used():
    WinbackConfiguration.objects.update(is_active=False)
    WinbackConfiguration.objects.create(name="严格", settings={"contact_cap": 1})
    active = WinbackConfiguration.active_settings()
    assert active.contact_cap == 1
    assert active.control_share == WorkSettings().control_share
    assert WorkSettings.from_dict(active.to_dict()) == active


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("statuses", ["lost", "lost"], "listed twice"),
        ("value_tiers", [1, 9], "Unknown value"),
        ("nine_cells", ["9+/low"], "Unknown value"),
        ("rfm_segments", "lost", "Give a list"),
    ],
)
def test_a_rule_names_only_known_values_once(field, value, message):
    from tests.factories import GenerationRuleFactory

    rule = GenerationRuleFactory.build(plan=GenerationRuleFactory().plan, **{field: value})
    with pytest.raises(ValidationError) as error:
        rule.full_clean()
    assert message in " ".join(error.value.message_dict[field])
