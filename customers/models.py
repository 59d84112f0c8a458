"""Customer records and what the department knows about each customer.

- :class:`Customer`: identity, contact data, assigned advisor and owner (R1.1), character and
  buying habits (R1.3).
- :class:`ProfileObservation`: dated observations of family, job, upkeep payer and income so
  any past value and its trend can be read back (R1.2).
- :class:`ContactPreference` and :class:`ChannelOptOut`: how and when to reach the customer and
  where they said no (R1.4).
- :class:`ValueEvent`: the non-spending layers of customer value (R3.5).

:class:`SyncedModel` is the base of every record the DMS also holds: it carries the DMS's own id
(``source`` + ``external_id``) so later syncs upsert instead of duplicating.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import is_sales_advisor, sees_all_customers
from customers.validators import (
    normalize_mobile,
    validate_birth_year,
    validate_cn_mobile,
    validate_not_future_date,
)


class SyncedModel(models.Model):
    """Abstract base: timestamps plus the id of the record in its source system."""

    source = models.CharField(
        _("source system"),
        max_length=32,
        blank=True,
        default="",
        help_text=_("System the record came from, e.g. “dms”; empty for records made here."),
    )
    external_id = models.CharField(
        _("external id"),
        max_length=64,
        null=True,
        blank=True,
        help_text=_("The record's id in its source system."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=Q(external_id__isnull=False),
                name="%(app_label)s_%(class)s_external_id_uniq",
            )
        ]
        # Incremental read-back pages over (updated_at, id).
        indexes = [models.Index(fields=["updated_at", "id"], name="%(class)s_upd")]


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


class CustomerQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> CustomerQuerySet:
        """Customers ``user`` may see: all for staff roles and managers, own ones for advisors,
        none for anyone else.

        This is the one place record scoping lives (R7.1); views, API and exports all call it.
        """
        if sees_all_customers(user):
            return self
        if is_sales_advisor(user):
            return self.filter(sales_advisor=user)
        # Anonymous, or no role (e.g. a leaver whose role was removed but who is still named
        # on customers until reassignment, R7.2): nothing.
        return self.none()


def visible_customers_q(user: Any, path: str = "customer") -> Q:
    """A filter on a model that points to a customer through ``path``: its visible rows.

    Delegates to :meth:`CustomerQuerySet.visible_to`, adding no condition for users who see all.
    """
    if sees_all_customers(user):
        return Q()
    return Q(**{f"{path}__in": Customer.objects.visible_to(user)})


class Customer(SyncedModel):
    """A customer of the dealership: identity, contact data, character (R1.1, R1.3)."""

    name = models.CharField(_("name"), max_length=64)
    mobile = models.CharField(
        _("mobile"), max_length=11, blank=True, validators=[validate_cn_mobile], db_index=True
    )
    phone_alt = models.CharField(_("other phone"), max_length=32, blank=True)
    wechat_id = models.CharField(_("WeChat / IM id"), max_length=64, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    region = models.CharField(_("region"), max_length=64, blank=True, db_index=True)
    gender = models.CharField(
        _("gender"), max_length=8, choices=Gender.choices, default=Gender.UNKNOWN
    )
    birth_year = models.PositiveSmallIntegerField(
        _("birth year"), null=True, blank=True, validators=[validate_birth_year]
    )
    sales_advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sales advisor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="advised_customers",
    )
    service_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("service-marketing owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_customers",
    )
    character = models.CharField(
        _("character"), max_length=16, choices=Character.choices, default=Character.UNKNOWN
    )
    buying_habits = models.TextField(_("buying habits"), blank=True)
    liked_brands = models.JSONField(
        _("other brands liked"),
        default=list,
        blank=True,
        help_text=_("Brand names the customer likes besides ours."),
    )
    driving_experience = models.CharField(
        _("driving experience"),
        max_length=16,
        choices=DrivingExperience.choices,
        default=DrivingExperience.UNKNOWN,
    )
    cars_owned_before = models.PositiveSmallIntegerField(
        _("cars owned before"), null=True, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)

    objects = CustomerQuerySet.as_manager()

    class Meta(SyncedModel.Meta):
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    def clean_fields(self, exclude=None) -> None:
        # Normalise first, so "+86 139 1234 5678" is checked (max_length included) as stored.
        if self.mobile:
            self.mobile = normalize_mobile(self.mobile)
        super().clean_fields(exclude)

    def clean(self) -> None:
        super().clean()
        if self.mobile:
            self.mobile = normalize_mobile(self.mobile)
        if not isinstance(self.liked_brands, list) or not all(
            isinstance(b, str) and b.strip() for b in self.liked_brands
        ):
            raise ValidationError({"liked_brands": _("Give a list of brand names.")})
        self.liked_brands = list(dict.fromkeys(b.strip() for b in self.liked_brands))


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


class ProfileObservationQuerySet(models.QuerySet):
    def as_of(self, date: dt.date) -> ProfileObservationQuerySet:
        """For each (customer, attribute), the latest observation made on or before ``date``."""
        latest = (
            ProfileObservation.objects.filter(
                customer_id=models.OuterRef("customer_id"),
                attribute=models.OuterRef("attribute"),
                observed_on__lte=date,
            )
            .order_by("-observed_on", "-id")
            .values("id")[:1]
        )
        return self.filter(observed_on__lte=date, id=models.Subquery(latest))


class ProfileObservation(SyncedModel):
    """One dated observation of a customer's situation (R1.2); history is never overwritten."""

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="profile_observations",
    )
    attribute = models.CharField(_("attribute"), max_length=16, choices=ProfileAttribute.choices)
    value = models.CharField(_("value"), max_length=32)
    observed_on = models.DateField(_("observed on"), validators=[validate_not_future_date])
    observed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("observed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    observation_source = models.CharField(
        _("how it was learned"), max_length=16, choices=ObservationSource.choices
    )
    note = models.CharField(_("note"), max_length=255, blank=True)

    objects = ProfileObservationQuerySet.as_manager()

    class Meta(SyncedModel.Meta):
        verbose_name = _("profile observation")
        verbose_name_plural = _("profile observations")
        ordering = ["customer_id", "attribute", "observed_on", "id"]
        indexes = [
            *SyncedModel.Meta.indexes,
            models.Index(
                fields=["customer", "attribute", "observed_on"], name="profileobs_hist_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_attribute_display()}: {self.value_label} ({self.observed_on})"

    @property
    def value_label(self) -> str:
        """The human label of the value (a choice label, or the count of children)."""
        choices = PROFILE_VALUE_CHOICES.get(self.attribute)
        if choices is not None and self.value in choices.values:
            return str(choices(self.value).label)
        return self.value

    @property
    def rank(self) -> int | None:
        """The value's position on the attribute's scale, for ordinal attributes only."""
        return ORDINAL_ATTRIBUTES.get(self.attribute, {}).get(self.value)

    def clean(self) -> None:
        super().clean()
        choices = PROFILE_VALUE_CHOICES.get(self.attribute)
        if choices is not None and self.value not in choices.values:
            raise ValidationError(
                {
                    "value": _(
                        "“%(value)s” is not a valid %(attribute)s; choose one of %(allowed)s."
                    )
                    % {
                        "value": self.value,
                        "attribute": self.get_attribute_display(),
                        "allowed": ", ".join(choices.values),
                    }
                }
            )
        if (
            self.attribute == ProfileAttribute.CHILDREN
            and self.value not in ORDINAL_ATTRIBUTES[ProfileAttribute.CHILDREN]
        ):
            raise ValidationError({"value": _("Number of children must be a whole number 0–10.")})


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


class ContactPreference(SyncedModel):
    """How, when and where a customer likes to be contacted (R1.4)."""

    customer = models.OneToOneField(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="contact_preference",
    )
    preferred_channels = models.JSONField(
        _("preferred channels"),
        default=list,
        blank=True,
        help_text=_("Channels in order of preference, most preferred first."),
    )
    disliked_channels = models.JSONField(
        _("disliked channels"),
        default=list,
        blank=True,
        help_text=_("Channels the customer dislikes, e.g. hates phone calls."),
    )
    preferred_days = models.CharField(
        _("preferred days"), max_length=8, choices=DayPreference.choices, default=DayPreference.ANY
    )
    time_windows = models.JSONField(_("preferred time windows"), default=list, blank=True)
    do_not_contact = models.BooleanField(
        _("do not contact at all"),
        default=False,
        help_text=_("The customer asked not to be contacted on any channel."),
    )
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta(SyncedModel.Meta):
        verbose_name = _("contact preference")
        verbose_name_plural = _("contact preferences")

    def __str__(self) -> str:
        return str(_("Contact preferences of %(customer)s") % {"customer": self.customer})

    def clean(self) -> None:
        super().clean()
        validate_choice_list(self.preferred_channels, Channel.values, "preferred_channels")
        validate_choice_list(self.disliked_channels, Channel.values, "disliked_channels")
        validate_choice_list(self.time_windows, TimeWindow.values, "time_windows")
        both = set(self.preferred_channels) & set(self.disliked_channels)
        if both:
            raise ValidationError(
                {
                    "disliked_channels": _(
                        "A channel cannot be both preferred and disliked: %(c)s."
                    )
                    % {"c": ", ".join(sorted(both))}
                }
            )


class ChannelOptOut(SyncedModel):
    """The customer said no to one channel (R1.4, R5.2); kept with the reason and the date."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="opt_outs"
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    reason = models.CharField(_("reason"), max_length=255)
    opted_out_on = models.DateField(_("opted out on"), validators=[validate_not_future_date])

    class Meta(SyncedModel.Meta):
        verbose_name = _("channel opt-out")
        verbose_name_plural = _("channel opt-outs")
        constraints = [
            *SyncedModel.Meta.constraints,
            models.UniqueConstraint(fields=["customer", "channel"], name="optout_one_per_channel"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} ✕ {self.get_channel_display()}"


class ValueLayer(models.TextChoices):
    """The non-spending layers of customer value (R3.5); own spending is in service orders."""

    REFERRAL = "referral", _("Referred a friend who bought")
    REVIEW = "review", _("Review / word of mouth / support")
    COMMUNITY_ANSWER = "community_answer", _("Answered other customers in the community")
    EVENT_ATTENDANCE = "event_attendance", _("Joined a campaign or event")
    SURVEY_RESPONSE = "survey_response", _("Answered a survey")
    SUGGESTION = "suggestion", _("Gave a suggestion")


class ValueEvent(SyncedModel):
    """One act of a customer in a non-spending value layer (R3.5)."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="value_events"
    )
    layer = models.CharField(_("value layer"), max_length=20, choices=ValueLayer.choices)
    occurred_on = models.DateField(_("date"), validators=[validate_not_future_date])
    description = models.CharField(_("description"), max_length=255, blank=True)
    referred_customer = models.ForeignKey(
        Customer,
        verbose_name=_("referred customer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referred_by_events",
        help_text=_("For referrals: the friend who bought."),
    )

    class Meta(SyncedModel.Meta):
        verbose_name = _("value-layer event")
        verbose_name_plural = _("value-layer events")
        ordering = ["-occurred_on", "-id"]
        indexes = [
            *SyncedModel.Meta.indexes,
            models.Index(fields=["customer", "occurred_on"], name="valueevent_cust_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_layer_display()} ({self.occurred_on})"

    def clean(self) -> None:
        super().clean()
        if self.referred_customer_id and self.layer != ValueLayer.REFERRAL:
            raise ValidationError(
                {"referred_customer": _("Only a referral names a referred customer.")}
            )
        if self.referred_customer_id and self.referred_customer_id == self.customer_id:
            raise ValidationError({"referred_customer": _("A customer cannot refer themselves.")})


class DataAccessAction(models.TextChoices):
    REVEAL = "reveal", _("Revealed contact data")
    EXPORT = "export", _("Exported")
    BULK_READ = "bulk_read", _("Read in bulk")


class DataAccessLog(models.Model):
    """Who saw or took personal data, when, what and how much (R7.2): every reveal of a masked
    field and every export. Managers read it; nobody edits it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="data_access_logs",
    )
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    action = models.CharField(_("action"), max_length=12, choices=DataAccessAction.choices)
    what = models.CharField(_("what"), max_length=128)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    filters = models.JSONField(_("filter"), default=dict, blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["user", "at"], name="dataaccess_user_at")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_action_display()} · {self.what}"
