"""What a sync record of each resource looks like, and how one is checked without the database.

A :class:`RecordSpec` lists a resource's writable fields, its references to other records (by
the DMS's own ids, or a VIN) and its child rows (service-order lines). Field rules come from
the model fields themselves (type, ``max_length``, choices, ``blank``/``null`` and the
validators, e.g. ``validate_vin`` or ``validate_not_future_date``), so the API checks exactly
what the admin's ``full_clean()`` checks; cross-field rules are the models' own ``clean()``.

Two kinds of problem are told apart:

- a **contract** problem (a JSON type that the OpenAPI schema does not allow, an unknown or a
  missing required key) means the client's code is wrong; the whole request is answered 400.
- a **value** problem (an invalid VIN, a date in the future, an unknown customer) is an error of
  that record only; the other records of the batch are still written.

Coercion is hand-written per JSON type rather than a DRF serializer per record: a 5,000-record
batch must be checked in well under a second.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from customers.validators import validate_not_future_date

#: Source system assumed when a record does not name one.
DEFAULT_SOURCE = "dms"
#: Largest batch one request may carry.
MAX_BATCH_RECORDS = 5_000
#: Key under which errors that belong to no single field are reported.
NON_FIELD = "non_field_errors"

_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

#: Plausible dates for anything a dealership records (a birth date, a sale, a contact): a
#: date outside is a typo or a DMS placeholder (0001-01-01), refused at the boundary.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)


def plausible_date_problem(value: dt.date | dt.datetime | None) -> str | None:
    """A message when ``value`` (a date, or a date-time read in the local time zone) lies
    outside EARLIEST_DATE..LATEST_DATE, else None."""
    if value is None:
        return None
    day = value
    if isinstance(value, dt.datetime):
        day = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if EARLIEST_DATE <= day <= LATEST_DATE:
        return None
    return _("Dates must lie between %(earliest)s and %(latest)s.") % {
        "earliest": EARLIEST_DATE.isoformat(),
        "latest": LATEST_DATE.isoformat(),
    }


class Kind(StrEnum):
    """The JSON shape of a field."""

    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    DATETIME = "datetime"
    BOOLEAN = "boolean"
    STRING_LIST = "string_list"


class ContractError(Exception):
    """A value whose JSON type the schema does not allow."""


def _kind_of(model_field: models.Field) -> Kind:
    if isinstance(model_field, models.BooleanField):
        return Kind.BOOLEAN
    if isinstance(model_field, models.DecimalField):
        return Kind.DECIMAL
    if isinstance(model_field, models.IntegerField):
        return Kind.INTEGER
    if isinstance(model_field, models.DateTimeField):
        return Kind.DATETIME
    if isinstance(model_field, models.DateField):
        return Kind.DATE
    if isinstance(model_field, models.JSONField):
        return Kind.STRING_LIST
    if isinstance(model_field, models.CharField | models.TextField):
        return Kind.STRING
    raise TypeError(f"no sync kind for {model_field!r}")


def _text_problem(value: str) -> str | None:
    # PostgreSQL cannot store NUL, and a lone surrogate (legal in JSON) cannot be encoded.
    if "\x00" in value:
        return _("Text may not contain the NUL character.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _("Text must be valid Unicode (no lone surrogates).")
    return None


@dataclass
class FieldSpec:
    """One writable model field as the API exposes it."""

    model_field: models.Field
    name: str = ""
    required: bool = False

    def __post_init__(self) -> None:
        self.name = self.name or self.model_field.name
        self.kind = _kind_of(self.model_field)
        self.attname = self.model_field.attname
        self.nullable = self.model_field.null or (
            self.kind == Kind.STRING and self.model_field.blank
        )
        self.choices = (
            frozenset(str(v) for v, _label in self.model_field.flatchoices)
            if self.model_field.choices
            else None
        )

    @cached_property
    def validators(self) -> tuple[Callable[[Any], None], ...]:
        # Read lazily: integer range validators depend on the database connection.
        return tuple(
            _not_future_date if v is validate_not_future_date else v
            for v in self.model_field.validators
        )

    def coerce(self, raw: Any) -> Any:
        """The Python value of ``raw``; :class:`ContractError` for a wrong JSON type,
        :class:`ValidationError` for a value the model would reject."""
        if raw is None:
            if not self.nullable:
                raise ContractError(_("This field may not be null."))
            return None if self.model_field.null else ""
        value = _COERCERS[self.kind](self, raw)
        if value in (None, "", []):
            if not self.model_field.blank:
                raise ValidationError(_("This field cannot be blank."))
            return value
        if self.choices is not None and value not in self.choices:
            raise ValidationError(
                _("“%(value)s” is not one of the allowed values: %(allowed)s.")
                % {"value": value, "allowed": ", ".join(sorted(self.choices))}
            )
        messages: list[str] = []
        for validator in self.validators:
            try:
                validator(value)
            except ValidationError as error:
                messages.extend(error.messages)
        if messages:
            raise ValidationError(messages)
        return value


_today_cache: tuple[float, dt.date] = (0.0, dt.date.min)


def _today() -> dt.date:
    """``timezone.localdate()``, recomputed at most once a second: it costs ~20 µs, and a
    batch checks thousands of dates."""
    global _today_cache
    now = time.monotonic()
    if now - _today_cache[0] > 1.0:
        _today_cache = (now, timezone.localdate())
    return _today_cache[1]


def _not_future_date(value: dt.date) -> None:
    # The model's validator decides (and words the message) whenever a date might be future.
    if value and value > _today():
        validate_not_future_date(value)


def _coerce_string(spec: FieldSpec, raw: Any) -> str:
    if not isinstance(raw, str):
        raise ContractError(_("Expected a string."))
    problem = _text_problem(raw)
    if problem:
        raise ValidationError(problem)
    return raw


def _coerce_integer(spec: FieldSpec, raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ContractError(_("Expected an integer."))
    return raw


def _coerce_decimal(spec: FieldSpec, raw: Any) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ContractError(_("Expected a number or a string holding one."))
    try:
        value = Decimal(str(raw).strip()) if not isinstance(raw, int) else Decimal(raw)
    except InvalidOperation:
        raise ValidationError(_("“%(value)s” is not a number.") % {"value": raw}) from None
    if not value.is_finite():
        raise ValidationError(_("The number must be finite."))
    return value


def _coerce_date(spec: FieldSpec, raw: Any) -> dt.date:
    if not isinstance(raw, str):
        raise ContractError(_("Expected a date string (YYYY-MM-DD)."))
    try:
        if not _DATE_RE.fullmatch(raw):
            raise ValueError
        value = dt.date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(
            _("“%(value)s” is not a valid date (YYYY-MM-DD).") % {"value": raw}
        ) from None
    problem = plausible_date_problem(value)
    if problem:
        raise ValidationError(problem)
    return value


def _coerce_datetime(spec: FieldSpec, raw: Any) -> dt.datetime:
    if not isinstance(raw, str):
        raise ContractError(_("Expected a date-time string (ISO 8601)."))
    try:
        value = parse_datetime(raw)
    except ValueError:
        value = None
    if value is None:
        raise ValidationError(_("“%(value)s” is not a valid ISO 8601 date-time.") % {"value": raw})
    try:
        if timezone.is_naive(value):
            # A DMS in the dealership's time zone often sends local times without an offset.
            value = timezone.make_aware(value)
        problem = plausible_date_problem(value)
        # Stored in UTC: PostgreSQL refuses offsets beyond ±15:59 that Python accepts.
        value = value.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise ValidationError(_("“%(value)s” is out of range.") % {"value": raw}) from None
    if problem:
        raise ValidationError(problem)
    return value


def _coerce_boolean(spec: FieldSpec, raw: Any) -> bool:
    if not isinstance(raw, bool):
        raise ContractError(_("Expected true or false."))
    return raw


def _coerce_string_list(spec: FieldSpec, raw: Any) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise ContractError(_("Expected a list of strings."))
    for value in raw:
        problem = _text_problem(value)
        if problem:
            raise ValidationError(problem)
    return raw


_COERCERS: dict[Kind, Callable[[FieldSpec, Any], Any]] = {
    Kind.STRING: _coerce_string,
    Kind.INTEGER: _coerce_integer,
    Kind.DECIMAL: _coerce_decimal,
    Kind.DATE: _coerce_date,
    Kind.DATETIME: _coerce_datetime,
    Kind.BOOLEAN: _coerce_boolean,
    Kind.STRING_LIST: _coerce_string_list,
}


class Lookup(StrEnum):
    """How a reference names the record it points to."""

    EXTERNAL_ID = "external_id"  # the DMS's id, within the record's own source
    VIN = "vin"
    CATALOGUE = "catalogue"  # a vehicle model by brand name and model name


@dataclass
class RefSpec:
    """A foreign key written as the DMS's id of the other record (or as a VIN)."""

    name: str
    model_field: models.ForeignKey
    required: bool = False
    lookup: Lookup = Lookup.EXTERNAL_ID
    #: Another key that may name the same record instead (e.g. ``vehicle_vin``).
    alternative: RefSpec | None = None
    #: A second key that is part of the name (the brand of a catalogue model).
    extra: str | None = None

    @property
    def attname(self) -> str:
        return self.model_field.attname

    @property
    def target(self) -> type[models.Model]:
        return self.model_field.related_model


@dataclass
class ChildSpec:
    """Rows owned by the record and sent inside it, replaced as a whole when they change."""

    name: str
    model: type[models.Model]
    parent_attname: str
    key: str
    fields: list[FieldSpec]
    #: Fills derived fields the model's save() would (e.g. a line's usual necessity).
    derive: Callable[[dict[str, Any]], None] | None = None
    max_items: int = 200

    @property
    def columns(self) -> list[str]:
        return [f.attname for f in self.fields]


@dataclass
class RecordSpec:
    """A sync resource: model, writable fields, references, children and hooks."""

    name: str
    model: type[models.Model]
    fields: list[FieldSpec]
    refs: list[RefSpec] = field(default_factory=list)
    children: ChildSpec | None = None
    #: Values a new row takes when the record leaves the field out (beyond model defaults).
    defaults: dict[str, Any] = field(default_factory=dict)
    #: Normalises raw values before the field checks (e.g. "+86 139…" → "139…").
    normalise: Callable[[dict[str, Any]], None] | None = None
    #: Fills derived fields as the model's save() would, after clean().
    derive: Callable[[dict[str, Any], dt.datetime], None] | None = None
    #: Runs the model's clean() on an unsaved instance (False where clean() queries).
    run_model_clean: bool = True
    #: Set-based checks that need the database: (spec, items) → None, adding errors.
    batch_checks: list[Callable[..., None]] = field(default_factory=list)
    #: Called in the batch's transaction with the records it created (their ``id`` and
    #: ``row``): set-based work that new rows start, such as the workshop alerts of new
    #: service orders.
    after_create: Callable[[list[Any]], None] | None = None
    description: Any = ""

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields] + [r.name for r in self.refs]
        names += [r.alternative.name for r in self.refs if r.alternative]
        names += [r.extra for r in self.refs if r.extra]
        if self.children:
            names.append(self.children.name)
        self.keys = frozenset(["source", "external_id", *names])
        self.by_name = {f.name: f for f in self.fields}

    @property
    def columns(self) -> list[str]:
        """Columns the API writes besides the key and the timestamps, in a fixed order."""
        return [f.attname for f in self.fields] + [r.attname for r in self.refs]

    def unwritten_defaults(self) -> dict[str, Any]:
        """Model defaults of the concrete columns the API never writes, for new rows."""
        written = {"source", "external_id", "created_at", "updated_at", *self.columns}
        return {
            f.attname: f.get_default()
            for f in self.model._meta.concrete_fields
            if not f.primary_key and f.attname not in written
        }


def field_specs(
    model: type[models.Model], names: Iterable[str], required: Iterable[str] = ()
) -> list[FieldSpec]:
    required = set(required)
    return [FieldSpec(model._meta.get_field(n), required=n in required) for n in names]


def messages_of(error: ValidationError) -> dict[str, list[str]]:
    """A ValidationError as {field: [messages]}, with field-less ones under ``non_field_errors``."""
    if hasattr(error, "error_dict"):
        return {
            (NON_FIELD if key == "__all__" else key): [str(m) for m in messages]
            for key, messages in error.message_dict.items()
        }
    return {NON_FIELD: [str(m) for m in error.messages]}
