"""Serializers: read representations of each resource, and schema-only descriptions of the
sync request and response (the sync records are checked by :mod:`api.records`, not by DRF,
for speed; the classes here are generated from the same specs so the schema cannot drift)."""

from __future__ import annotations

from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.records import MAX_BATCH_RECORDS, ChildSpec, FieldSpec, Kind, Lookup, RecordSpec
from contacts.models import (
    Complaint,
    ContactChannel,
    ContactLog,
    ContactOutcome,
    SatisfactionSurvey,
)
from customers.masking import contact_display, sees_full_contact_data
from customers.models import ContactPreference, Customer, ProfileObservation, ValueEvent
from segmentation.models import CustomerScore, ScoringRun
from vehicles.models import (
    Brand,
    OdometerReading,
    Purchase,
    ServiceOrder,
    ServiceOrderLine,
    Vehicle,
    VehicleModel,
)
from winback.models import (
    ChurnReason,
    DesireStrength,
    Offer,
    PurchaseNecessity,
    PurchaseWindow,
    Task,
)

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


# --- schema-only: the sync request and response ----------------------------------------------


@extend_schema_field(
    {
        "oneOf": [{"type": "number"}, {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}],
        "description": "A decimal amount, as a JSON number or a string.",
    }
)
class _DecimalInput(serializers.Field):
    pass


def _schema_field(spec: FieldSpec) -> serializers.Field:
    model_field = spec.model_field
    common: dict[str, Any] = {
        "required": spec.required,
        "help_text": model_field.help_text or model_field.verbose_name,
    }
    if spec.nullable:
        common["allow_null"] = True
    if spec.kind == Kind.STRING:
        if spec.choices is not None:
            return serializers.ChoiceField(
                choices=model_field.choices, allow_blank=model_field.blank, **common
            )
        return serializers.CharField(
            max_length=model_field.max_length,
            allow_blank=model_field.blank,
            trim_whitespace=False,
            **common,
        )
    if spec.kind == Kind.INTEGER:
        return serializers.IntegerField(**common)
    if spec.kind == Kind.DECIMAL:
        return _DecimalInput(**common)
    if spec.kind == Kind.DATE:
        return serializers.DateField(**common)
    if spec.kind == Kind.DATETIME:
        return serializers.DateTimeField(**common)
    if spec.kind == Kind.BOOLEAN:
        return serializers.BooleanField(**common)
    return serializers.ListField(child=serializers.CharField(), **common)


def _class_name(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))


def _child_serializer(spec: RecordSpec, child: ChildSpec) -> type[serializers.Serializer]:
    attrs = {f.name: _schema_field(f) for f in child.fields}
    return type(
        f"{_class_name(spec.name)}{_class_name(child.name)}Input", (serializers.Serializer,), attrs
    )


def sync_record_serializer(spec: RecordSpec) -> type[serializers.Serializer]:
    """A DRF serializer describing one record of ``spec`` (for the OpenAPI schema only)."""
    attrs: dict[str, Any] = {
        "source": serializers.CharField(
            required=False, max_length=32, help_text=_("Source system; default “dms”.")
        ),
        "external_id": serializers.CharField(
            max_length=64, help_text=_("The record's id in the source system: the upsert key.")
        ),
    }
    for f in spec.fields:
        attrs[f.name] = _schema_field(f)
    for ref in spec.refs:
        target = ref.target._meta.verbose_name
        if ref.lookup == Lookup.CATALOGUE:
            attrs[ref.extra] = serializers.CharField(
                max_length=64, help_text=_("Brand name, e.g. 大众.")
            )
            attrs[ref.name] = serializers.CharField(
                max_length=64, help_text=_("Model name in the catalogue, e.g. 帕萨特.")
            )
            continue
        required = ref.required and ref.alternative is None
        attrs[ref.name] = serializers.CharField(
            max_length=64,
            required=required,
            allow_null=not ref.required,
            help_text=format_lazy(_("External id of the {target} (same source)."), target=target),
        )
        if ref.alternative:
            attrs[ref.alternative.name] = serializers.CharField(
                max_length=17,
                required=False,
                allow_null=not ref.required,
                help_text=format_lazy(
                    _("VIN of the {target}, instead of “{name}”."), target=target, name=ref.name
                ),
            )
    if spec.children:
        attrs[spec.children.name] = _child_serializer(spec, spec.children)(
            many=True,
            required=False,
            help_text=_("The complete set of lines; when given, it replaces the stored lines."),
        )
    record = type(f"{_class_name(spec.name)}SyncRecord", (serializers.Serializer,), attrs)
    return type(
        f"{_class_name(spec.name)}SyncBatch",
        (serializers.Serializer,),
        {
            "records": record(
                many=True,
                max_length=MAX_BATCH_RECORDS,
                help_text=format_lazy(_("1–{n} records."), n=f"{MAX_BATCH_RECORDS:,}"),
            )
        },
    )


class SyncRecordResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text=_("Position of the record in the request."))
    source = serializers.CharField()
    external_id = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=["created", "updated", "unchanged", "error"])
    id = serializers.IntegerField(required=False, help_text=_("DealerCRM id (not on errors)."))
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=_("Messages per field (lines as lines[2].amount); only on errors."),
    )


class SyncCountsSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    error = serializers.IntegerField()


class SyncResponseSerializer(serializers.Serializer):
    resource = serializers.CharField()
    counts = SyncCountsSerializer()
    results = SyncRecordResultSerializer(many=True)


class RecordProblemSerializer(serializers.Serializer):
    index = serializers.IntegerField(allow_null=True)
    external_id = serializers.CharField(required=False)
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class ErrorSerializer(serializers.Serializer):
    """The body of every 4xx answer."""

    code = serializers.CharField(
        help_text=_(
            "Machine-readable: parse_error, invalid, invalid_cursor, invalid_records, "
            "batch_too_large, not_authenticated, authentication_failed, permission_denied, "
            "not_found, method_not_allowed, not_acceptable, unsupported_media_type, "
            "payload_too_large, throttled, conflict."
        )
    )
    detail = serializers.CharField(help_text=_("Human-readable, in the request's language."))
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=_("Problems per query parameter or body key."),
    )
    records = RecordProblemSerializer(
        many=True, required=False, help_text=_("Records that break the schema (sync only).")
    )
    retry_after = serializers.IntegerField(
        required=False, help_text=_("Seconds to wait (429 only; also in Retry-After).")
    )
