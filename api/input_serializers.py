"""Input serializers: the request bodies DRF validates, a task's outcome with the purchase
intent learned on the contact (the sync records are checked by :mod:`api.records` instead,
for speed)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from contacts.models import ContactChannel, ContactOutcome
from vehicles.models import Brand, VehicleModel
from winback.models import ChurnReason, DesireStrength, Offer, PurchaseNecessity, PurchaseWindow


class IntentInputSerializer(serializers.Serializer):
    """A purchase intent learned on the contact (R5.7)."""

    desire_strength = serializers.ChoiceField(choices=DesireStrength.choices)
    necessity = serializers.ChoiceField(choices=PurchaseNecessity.choices)
    purchase_window = serializers.ChoiceField(choices=PurchaseWindow.choices)
    intended_price = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    wanted_brand = serializers.PrimaryKeyRelatedField(
        queryset=Brand.objects.all(), required=False, allow_null=True
    )
    wanted_model = serializers.PrimaryKeyRelatedField(
        queryset=VehicleModel.objects.all(), required=False, allow_null=True
    )
    objections = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    talking_points = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class TaskOutcomeSerializer(serializers.Serializer):
    """How a contact on a task went; closes the task through the same service as the staff
    pages (``winback.services.task_close``)."""

    outcome = serializers.ChoiceField(choices=ContactOutcome.choices)
    channel = serializers.ChoiceField(
        choices=ContactChannel.choices, required=False, help_text=_("Default: the suggested one.")
    )
    contacted_at = serializers.DateTimeField(
        required=False, help_text=_("When the contact was made; default: now. Not in the future.")
    )
    feedback = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    churn_reason = serializers.ChoiceField(
        choices=ChurnReason.choices, required=False, allow_blank=True
    )
    offer = serializers.PrimaryKeyRelatedField(
        queryset=Offer.objects.filter(is_active=True), required=False, allow_null=True
    )
    next_step = serializers.CharField(required=False, allow_blank=True, max_length=255)
    next_step_due = serializers.DateField(required=False, allow_null=True)
    opt_out = serializers.BooleanField(
        required=False, help_text=_("The customer asked not to be contacted on this channel.")
    )
    intent = IntentInputSerializer(required=False, allow_null=True)
