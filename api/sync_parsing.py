"""Parsing a sync batch (R8.1): each record's JSON checked against the contract of its
resource, then each value coerced, into :class:`Item` s for :mod:`api.sync`.

A break of the contract (wrong JSON types, unknown or missing keys) fails the whole request
with :class:`SyncContractError`; a bad value (too long, not a date…) is a field error of its
record only, which the engine reports without writing that record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from api.records import (
    DEFAULT_SOURCE,
    NON_FIELD,
    ContractError,
    Lookup,
    RecordSpec,
    RefSpec,
)
from vehicles.validators import normalize_vin


class SyncContractError(Exception):
    """The request does not match the schema: wrong JSON types, unknown or missing keys."""

    def __init__(self, problems: list[dict[str, Any]]):
        super().__init__(f"{len(problems)} record(s) do not match the schema")
        self.problems = problems


@dataclass
class Item:
    """One record of a batch on its way through the checks."""

    index: int
    source: str = DEFAULT_SOURCE
    external_id: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    ref_keys: dict[str, Any] = field(default_factory=dict)
    children: list[dict[str, Any]] | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    existing: dict[str, Any] | None = None
    existing_children: list[tuple] | None = None
    row: dict[str, Any] = field(default_factory=dict)
    status: str = ""
    id: int | None = None

    @property
    def key(self) -> tuple[str, str | None]:
        return (self.source, self.external_id)

    def add_error(self, name: str, message: str | list[str]) -> None:
        self.errors.setdefault(name, []).extend([message] if isinstance(message, str) else message)


# --- parsing: the contract, then each value ---------------------------------------------------


def _key_string(raw: Any, max_length: int) -> str:
    if not isinstance(raw, str):
        raise ContractError(_("Expected a string."))
    value = raw.strip()
    if not value:
        raise ValidationError(_("This field cannot be blank."))
    if len(value) > max_length:
        raise ValidationError(
            _("Ensure this value has at most %(max)s characters.") % {"max": max_length}
        )
    if "\x00" in value or not value.isprintable():
        raise ValidationError(_("Ids may only contain printable characters."))
    return value


def _parse_ref(ref: RefSpec, raw: dict[str, Any], item: Item, problems: dict) -> None:
    names = [ref.name] + ([ref.alternative.name] if ref.alternative else [])
    present = [n for n in names if n in raw]
    if not present:
        if ref.required:
            if ref.alternative:
                item.add_error(
                    ref.name,
                    _("Name the record with “%(a)s” or “%(b)s”.") % {"a": names[0], "b": names[1]},
                )
            else:
                problems[ref.name] = [_("This field is required.")]
        return
    if len(present) > 1:
        item.add_error(
            ref.name, _("Give only one of “%(a)s” and “%(b)s”.") % {"a": names[0], "b": names[1]}
        )
        return
    name = present[0]
    spec = ref if name == ref.name else ref.alternative
    value = raw[name]
    if ref.lookup == Lookup.CATALOGUE:
        _parse_catalogue_ref(ref, raw, item, problems)
        return
    if value is None:
        if ref.required:
            problems[name] = [_("This field may not be null.")]
        else:
            item.ref_keys[ref.name] = None
        return
    try:
        key = _key_string(value, 64)
    except ContractError as error:
        problems[name] = [str(error)]
        return
    except ValidationError as error:
        item.add_error(name, error.messages)
        return
    if spec.lookup == Lookup.VIN:
        item.ref_keys[ref.name] = (Lookup.VIN, normalize_vin(key))
    else:
        item.ref_keys[ref.name] = (Lookup.EXTERNAL_ID, (item.source, key))


def _parse_catalogue_ref(ref: RefSpec, raw: dict[str, Any], item: Item, problems: dict) -> None:
    key = []
    for name in (ref.extra, ref.name):
        if name not in raw:
            problems[name] = [_("This field is required.")]
            continue
        try:
            key.append(_key_string(raw[name], 64))
        except ContractError as error:
            problems[name] = [str(error)]
        except ValidationError as error:
            item.add_error(name, error.messages)
    if len(key) == 2:
        item.ref_keys[ref.name] = (Lookup.CATALOGUE, tuple(key))


def _parse_children(spec: RecordSpec, raw: Any, item: Item, problems: dict) -> None:
    child = spec.children
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        problems[child.name] = [_("Expected a list of objects.")]
        return
    if len(raw) > child.max_items:
        item.add_error(child.name, _("At most %(n)s items.") % {"n": child.max_items})
        return
    allowed = {f.name for f in child.fields}
    rows, seen = [], set()
    for n, raw_row in enumerate(raw):
        row: dict[str, Any] = {}
        for key in raw_row.keys() - allowed:
            problems[f"{child.name}[{n}].{key}"] = [_("Unknown field.")]
        for f in child.fields:
            path = f"{child.name}[{n}].{f.name}"
            if f.name not in raw_row:
                if f.required:
                    problems[path] = [_("This field is required.")]
                    continue
                row[f.attname] = f.model_field.get_default()
                continue
            try:
                row[f.attname] = f.coerce(raw_row[f.name])
            except ContractError as error:
                problems[path] = [str(error)]
            except ValidationError as error:
                item.add_error(path, error.messages)
        key = row.get(child.key)
        if key is not None:
            if key in seen:
                item.add_error(
                    f"{child.name}[{n}].{child.key}", _("This value appears twice in the record.")
                )
            seen.add(key)
        if child.derive:
            child.derive(row)
        rows.append(row)
    item.children = rows


def parse_records(spec: RecordSpec, records: Sequence[Any]) -> list[Item]:
    """Items with coerced values and value errors; raises :class:`SyncContractError`."""
    contract: list[dict[str, Any]] = []
    items: list[Item] = []
    for index, raw in enumerate(records):
        item = Item(index)
        if not isinstance(raw, dict):
            contract.append({"index": index, "fields": {NON_FIELD: [_("Expected an object.")]}})
            continue
        problems: dict[str, list[str]] = {}
        for key in raw.keys() - spec.keys:
            problems[str(key)] = [_("Unknown field.")]
        if "source" in raw:
            try:
                item.source = _key_string(raw["source"], 32)
            except ContractError as error:
                problems["source"] = [str(error)]
            except ValidationError as error:
                item.add_error("source", error.messages)
        if "external_id" not in raw:
            problems["external_id"] = [_("This field is required.")]
        else:
            try:
                item.external_id = _key_string(raw["external_id"], 64)
            except ContractError as error:
                problems["external_id"] = [str(error)]
            except ValidationError as error:
                item.add_error("external_id", error.messages)
        if spec.normalise:
            raw = dict(raw)
            spec.normalise(raw)
        for f in spec.fields:
            if f.name not in raw:
                if f.required:
                    problems[f.name] = [_("This field is required.")]
                continue
            try:
                item.values[f.attname] = f.coerce(raw[f.name])
            except ContractError as error:
                problems[f.name] = [str(error)]
            except ValidationError as error:
                item.add_error(f.name, error.messages)
        for ref in spec.refs:
            _parse_ref(ref, raw, item, problems)
        if spec.children and spec.children.name in raw:
            _parse_children(spec, raw[spec.children.name], item, problems)
        if problems:
            entry: dict[str, Any] = {"index": index, "fields": problems}
            if item.external_id:
                entry["external_id"] = item.external_id
            contract.append(entry)
        items.append(item)
    if contract:
        raise SyncContractError(contract)
    return items


__all__ = ["Item", "SyncContractError", "parse_records"]
