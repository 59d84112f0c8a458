"""What the department learns about a customer over time.

- :class:`ProfileObservation`: dated observations of family, job, upkeep payer and income so
  any past value and its trend can be read back (R1.2).
- :class:`ContactPreference` and :class:`ChannelOptOut`: how and when to reach the customer and
  where they said no (R1.4).
- :class:`ValueEvent`: the non-spending layers of customer value (R3.5).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.models.choices import (
    ORDINAL_ATTRIBUTES,
    PROFILE_VALUE_CHOICES,
    Channel,
    DayPreference,
    ObservationSource,
    ProfileAttribute,
    TimeWindow,
    ValueLayer,
    validate_choice_list,
)
from customers.models.customer import Customer
from customers.models.synced import SyncedModel
from customers.validators import validate_not_future_date


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
