"""Schema-only serializers: descriptions of the sync request and response and of the error
body for the OpenAPI schema; nothing is validated or rendered with them. The sync records are
checked by :mod:`api.records`, not by DRF, for speed; the request classes here are generated
from the same specs so the schema cannot drift."""

from __future__ import annotations

from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.records import MAX_BATCH_RECORDS, ChildSpec, FieldSpec, Kind, Lookup, RecordSpec


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
