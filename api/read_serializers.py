"""Read serializers: the representations of the synced resources, of the follow-up tasks
and of the scores and scoring runs, and :data:`READ_SERIALIZERS`, the resource name's
serializer for the list and detail endpoints."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contacts.models import Complaint, ContactLog, SatisfactionSurvey
from customers.masking import contact_display, sees_full_contact_data
from customers.models import ContactPreference, Customer, ProfileObservation, ValueEvent
from segmentation.models import CustomerScore, ScoringRun
from vehicles.models import OdometerReading, Purchase, ServiceOrder, ServiceOrderLine, Vehicle
from winback.models import Task

_SYNCED = ("id", "source", "external_id", "created_at", "updated_at")


def _external_id(source: str) -> serializers.CharField:
    return serializers.CharField(source=source, read_only=True, allow_null=True)


class ContactPreferenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContactPreference
        fields = (
            *_SYNCED,
            "preferred_channels",
            "disliked_channels",
            "preferred_days",
            "time_windows",
            "do_not_contact",
            "note",
        )


class ProfileObservationSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProfileObservation
        fields = (*_SYNCED, "attribute", "value", "observed_on", "observation_source", "note")


class CustomerSerializer(serializers.ModelSerializer):
    contact_preference = ContactPreferenceSerializer(read_only=True, allow_null=True)
    profile_observations = ProfileObservationSerializer(many=True, read_only=True)
    sales_advisor_username = serializers.CharField(
        source="sales_advisor.username", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Customer
        fields = (
            *_SYNCED,
            "name",
            "mobile",
            "phone_alt",
            "wechat_id",
            "email",
            "address",
            "region",
            "gender",
            "birth_year",
            "sales_advisor",
            "sales_advisor_username",
            "service_owner",
            "character",
            "buying_habits",
            "liked_brands",
            "driving_experience",
            "cars_owned_before",
            "notes",
            "contact_preference",
            "profile_observations",
        )

    def to_representation(self, instance: Customer) -> dict:
        """Contact fields masked by the one policy (customers.masking) for every user but the
        DMS client, which keeps full data."""
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not sees_full_contact_data(request.user):
            data.update(contact_display(instance, getattr(request, "user", None)))
        return data


class VehicleSerializer(serializers.ModelSerializer):
    brand = serializers.CharField(source="model.brand.name", read_only=True)
    model = serializers.CharField(source="model.name", read_only=True)
    owner_external_id = _external_id("owner.external_id")

    class Meta:
        model = Vehicle
        fields = (
            *_SYNCED,
            "vin",
            "plate",
            "brand",
            "model",
            "trim",
            "model_year",
            "color",
            "owner",
            "owner_external_id",
        )


class PurchaseSerializer(serializers.ModelSerializer):
    customer_external_id = _external_id("customer.external_id")
    vehicle_vin = serializers.CharField(source="vehicle.vin", read_only=True)

    class Meta:
        model = Purchase
        fields = (
            *_SYNCED,
            "customer",
            "customer_external_id",
            "vehicle",
            "vehicle_vin",
            "purchased_on",
            "price_paid",
            "condition",
            "trade_in_vehicle",
            "trade_in_value",
            "payment_method",
            "finance_term_months",
            "down_payment",
            "monthly_payment",
            "finance_end_date",
            "funding_source",
            "sales_advisor_name",
        )


class OdometerReadingSerializer(serializers.ModelSerializer):
    vehicle_vin = serializers.CharField(source="vehicle.vin", read_only=True)

    class Meta:
        model = OdometerReading
        fields = (
            *_SYNCED,
            "vehicle",
            "vehicle_vin",
            "read_on",
            "km",
            "reading_source",
            "service_order",
            "is_meter_replacement",
        )


class ServiceOrderLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = ServiceOrderLine
        fields = ("line_no", "category", "description", "amount", "necessity")


class ServiceOrderSerializer(serializers.ModelSerializer):
    customer_external_id = _external_id("customer.external_id")
    vehicle_vin = serializers.CharField(source="vehicle.vin", read_only=True)
    lines = ServiceOrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = ServiceOrder
        fields = (
            *_SYNCED,
            "customer",
            "customer_external_id",
            "vehicle",
            "vehicle_vin",
            "opened_on",
            "closed_on",
            "odometer_km",
            "advisor_name",
            "note",
            "lines",
        )


class SurveySerializer(serializers.ModelSerializer):
    customer_external_id = _external_id("customer.external_id")

    class Meta:
        model = SatisfactionSurvey
        fields = (
            *_SYNCED,
            "customer",
            "customer_external_id",
            "service_order",
            "surveyed_on",
            "channel",
            "overall",
            "repair_quality",
            "price",
            "speed",
            "reception_attitude",
            "information_clarity",
            "comment",
        )


class ComplaintSerializer(serializers.ModelSerializer):
    customer_external_id = _external_id("customer.external_id")
    response_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Complaint
        fields = (
            *_SYNCED,
            "customer",
            "customer_external_id",
            "service_order",
            "opened_at",
            "category",
            "description",
            "promised_response_by",
            "first_response_at",
            "status",
            "escalation_level",
            "resolution",
            "resolved_at",
            "customer_accepted",
            "response_overdue",
        )


class ContactLogSerializer(serializers.ModelSerializer):
    customer_external_id = _external_id("customer.external_id")

    class Meta:
        model = ContactLog
        fields = (
            *_SYNCED,
            "customer",
            "customer_external_id",
            "contacted_at",
            "channel",
            "contact_type",
            "outcome",
            "feedback",
            "next_step",
            "next_step_due",
        )


class ValueEventSerializer(serializers.ModelSerializer):
    customer_external_id = _external_id("customer.external_id")

    class Meta:
        model = ValueEvent
        fields = (
            *_SYNCED,
            "customer",
            "customer_external_id",
            "layer",
            "occurred_on",
            "description",
            "referred_customer",
        )


class CustomerScoreSerializer(serializers.ModelSerializer):
    month = serializers.DateField(source="run.month", read_only=True)
    customer_external_id = _external_id("customer.external_id")

    class Meta:
        model = CustomerScore
        exclude = ("run",)
        # Every other field of the score, so a component added later is served too.


class ScoringRunSerializer(serializers.ModelSerializer):
    """A scoring run with its forecast backtest (null for runs made before it existed) and
    whether the forecast missed the backtest's bound."""

    backtest = serializers.SerializerMethodField()

    class Meta:
        model = ScoringRun
        fields = (
            "id",
            "month",
            "as_of",
            "kind",
            "status",
            "finished_at",
            "counts",
            "forecast_flagged",
            "backtest",
        )

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_backtest(self, run: ScoringRun) -> dict | None:
        return run.model.get("backtest") or None


class TaskSerializer(serializers.ModelSerializer):
    """A follow-up task (R5.1): why, for whom, who, when, how, how urgent, how it ended."""

    customer_external_id = _external_id("customer.external_id")
    run_month = serializers.DateField(source="run.month", read_only=True, allow_null=True)
    offer_name = serializers.CharField(source="offer.name", read_only=True, allow_null=True)

    class Meta:
        model = Task
        fields = (
            "id",
            "customer",
            "customer_external_id",
            "kind",
            "assignee",
            "channel",
            "due_on",
            "due_at",
            "window",
            "expires_on",
            "priority",
            "status",
            "step",
            "run_month",
            "skip_reason",
            "churn_reason",
            "offer",
            "offer_name",
            "contact_log",
            "lead",
            "complaint",
            "service_order",
            "script",
            "closed_at",
            "closed_by",
            "created_at",
            "updated_at",
        )


READ_SERIALIZERS: dict[str, type[serializers.Serializer]] = {
    "customers": CustomerSerializer,
    "vehicles": VehicleSerializer,
    "purchases": PurchaseSerializer,
    "odometer-readings": OdometerReadingSerializer,
    "service-orders": ServiceOrderSerializer,
    "surveys": SurveySerializer,
    "complaints": ComplaintSerializer,
    "contact-logs": ContactLogSerializer,
    "value-events": ValueEventSerializer,
    "tasks": TaskSerializer,
}
