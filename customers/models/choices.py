"""The fixed vocabularies of the customer records: the choices of their fields (gender,
character, channels, profile attributes and their values, contact times, value layers, data
access), the allowed values and order of each profile attribute, and
:func:`validate_choice_list`, the check of a JSON field holding a list of choices.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")
    UNKNOWN = "unknown", _("Unknown")


class Character(models.TextChoices):
    """Buying character (R1.3)."""

    THRIFTY = "thrifty", _("Thrifty: buys only necessary repairs")
    CAR_LOVER = "car_lover", _("Car lover: detailing and accessories")
    EASY_GOING = "easy_going", _("Easy-going: buys when recommended")
    UNKNOWN = "unknown", _("Not yet known")


class DrivingExperience(models.TextChoices):
    FIRST_CAR = "first_car", _("First-time buyer")
    SOME = "some", _("Has owned one or two cars")
    EXPERIENCED = "experienced", _("Has owned many cars and brands")
    UNKNOWN = "unknown", _("Not yet known")


class Channel(models.TextChoices):
    """Ways to reach a customer (R1.4, R3.1)."""

    PHONE = "phone", _("Phone call")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    POST = "post", _("Post")
    WECHAT = "wechat", _("WeChat / IM")
    VISIT_OFFICE = "visit_office", _("Visit at office")
    VISIT_HOME = "visit_home", _("Visit at home")


class ProfileAttribute(models.TextChoices):
    """What a profile observation records (R1.2)."""

    FAMILY_STATUS = "family_status", _("Family status")
    CHILDREN = "children", _("Number of children")
    JOB_STATUS = "job_status", _("Job status")
    UPKEEP_PAYER = "upkeep_payer", _("Who pays for upkeep")
    INCOME_BAND = "income_band", _("Income band")


class FamilyStatus(models.TextChoices):
    SINGLE = "single", _("Single")
    MARRIED = "married", _("Married, no children")
    FAMILY = "family", _("Family with children")
    DIVORCED = "divorced", _("Divorced")
    WIDOWED = "widowed", _("Widowed")


class JobStatus(models.TextChoices):
    STUDENT = "student", _("Student")
    EMPLOYEE = "employee", _("Employee")
    CIVIL_SERVANT = "civil_servant", _("Civil servant")
    BUSINESS_OWNER = "business_owner", _("Business owner")
    SELF_EMPLOYED = "self_employed", _("Self-employed")
    RETIRED = "retired", _("Retired")
    UNEMPLOYED = "unemployed", _("Not working")


class UpkeepPayer(models.TextChoices):
    SELF = "self", _("Pays for upkeep personally")
    EMPLOYER = "employer", _("Employer pays")
    FAMILY = "family", _("Family pays")


class IncomeBand(models.TextChoices):
    """Monthly household income, ordered from lowest to highest."""

    LOW = "low", _("Below ¥5,000 a month")
    LOWER_MIDDLE = "lower_middle", _("¥5,000–10,000 a month")
    MIDDLE = "middle", _("¥10,000–20,000 a month")
    UPPER_MIDDLE = "upper_middle", _("¥20,000–50,000 a month")
    HIGH = "high", _("Above ¥50,000 a month")


#: Allowed values per attribute; ``children`` takes a count 0–10 instead.
PROFILE_VALUE_CHOICES: dict[str, type[models.TextChoices]] = {
    ProfileAttribute.FAMILY_STATUS: FamilyStatus,
    ProfileAttribute.JOB_STATUS: JobStatus,
    ProfileAttribute.UPKEEP_PAYER: UpkeepPayer,
    ProfileAttribute.INCOME_BAND: IncomeBand,
}
#: Attributes with an order, so a change has a direction and a size (R1.2 trend).
ORDINAL_ATTRIBUTES = {
    ProfileAttribute.INCOME_BAND: {value: rank for rank, value in enumerate(IncomeBand.values)},
    ProfileAttribute.CHILDREN: {str(n): n for n in range(11)},
}


class ObservationSource(models.TextChoices):
    SURVEY = "survey", _("Survey")
    CALL = "call", _("Phone call")
    VISIT = "visit", _("Visit / service reception")
    EVENT = "event", _("Event")
    PURCHASE = "purchase", _("Purchase paperwork")
    DMS = "dms", _("DMS")
    STAFF = "staff", _("Staff entry")


class DayPreference(models.TextChoices):
    ANY = "any", _("Any day")
    WEEKDAY = "weekday", _("Weekdays")
    WEEKEND = "weekend", _("Weekends")


class TimeWindow(models.TextChoices):
    MORNING = "morning", _("Morning (9–12)")
    NOON = "noon", _("Noon (12–14)")
    WORKING_HOURS = "working_hours", _("Working hours (9–18)")
    AFTERNOON = "afternoon", _("Afternoon (14–18)")
    EVENING = "evening", _("Evening (18–21)")


def validate_choice_list(value: Any, allowed: Sequence[str], field: str) -> list:
    """A JSON list field's value: a list of allowed values (numbers are compared as text, e.g.
    value tiers), none twice; raises ``ValidationError`` naming ``field`` otherwise."""
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise ValidationError({field: _("Give a list.")})
    unknown = [str(v) for v in value if str(v) not in allowed]
    if unknown:
        raise ValidationError(
            {
                field: _("Unknown value(s): %(unknown)s; allowed: %(allowed)s.")
                % {"unknown": ", ".join(unknown), "allowed": ", ".join(allowed)}
            }
        )
    if len({str(v) for v in value}) != len(value):
        raise ValidationError({field: _("A value is listed twice.")})
    return value


class ValueLayer(models.TextChoices):
    """The non-spending layers of customer value (R3.5); own spending is in service orders."""

    REFERRAL = "referral", _("Referred a friend who bought")
    REVIEW = "review", _("Review / word of mouth / support")
    COMMUNITY_ANSWER = "community_answer", _("Answered other customers in the community")
    EVENT_ATTENDANCE = "event_attendance", _("Joined a campaign or event")
    SURVEY_RESPONSE = "survey_response", _("Answered a survey")
    SUGGESTION = "suggestion", _("Gave a suggestion")


class DataAccessAction(models.TextChoices):
    REVEAL = "reveal", _("Revealed contact data")
    EXPORT = "export", _("Exported")
    BULK_READ = "bulk_read", _("Read in bulk")
