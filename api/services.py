"""Writes of the API: idempotent bulk upserts from the DMS (R8.1) and API tokens.

:func:`sync_batch_upsert` takes up to 5,000 records of one resource and answers, per record,
``created``, ``updated``, ``unchanged`` or ``error`` with field messages. It is set-based: a
handful of queries per batch whatever its size (fetch the existing rows by their keys, resolve
each kind of reference with one query, fetch child rows, one INSERT, one UPDATE, one DELETE and
one INSERT of children), never a query per record.

Each record is checked as ``full_clean()`` would check it: the field rules come from the model
fields (see :mod:`api.records`) and the cross-field rules are the model's own ``clean()`` run on
an unsaved instance; the checks that need the database (unique VIN, odometer readings that only
go up, one contact preference per customer) are done for the whole batch at once. The derived
values that the models' ``save()`` fills (a line's necessity, a complaint's promised response
time, a loan's end date) are filled the same way, since bulk writes bypass ``save()``.

Concurrency: two clients pushing the same new external id at the same time both reach the
``INSERT … ON CONFLICT DO NOTHING``; the second waits for the first to commit, inserts nothing,
sees that one of its rows was not inserted and runs its batch again, now as an update (usually
``unchanged``). A unique violation on another column (two new vehicles with one VIN) or a
deadlock is retried the same way, and the fresh pass reports it as a record error.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import sees_all_customers
from api import sql
from api.models import ApiToken, generate_key, hash_key
from api.records import (
    DEFAULT_SOURCE,
    MAX_BATCH_RECORDS,
    NON_FIELD,
    ContractError,
    Lookup,
    RecordSpec,
    RefSpec,
    messages_of,
)
from customers.models import Customer
from vehicles.validators import normalize_vin

logger = logging.getLogger(__name__)

#: How often a batch is run again after losing a race with another client.
MAX_ATTEMPTS = 4
#: ``last_used_at`` is written at most this often per token, not on every request.
TOKEN_TOUCH_INTERVAL = dt.timedelta(minutes=1)


class Outcome:
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    ERROR = "error"


class SyncContractError(Exception):
    """The request does not match the schema: wrong JSON types, unknown or missing keys."""

    def __init__(self, problems: list[dict[str, Any]]):
        super().__init__(f"{len(problems)} record(s) do not match the schema")
        self.problems = problems


class SyncConflictError(Exception):
    """The batch kept losing races with concurrent writers; the client should retry."""


class _LostRace(Exception):
    """Internal: a concurrent writer got there first; roll back and run the batch again."""


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


@dataclass
class SyncResult:
    resource: str
    results: list[dict[str, Any]]

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(
            (Outcome.CREATED, Outcome.UPDATED, Outcome.UNCHANGED, Outcome.ERROR), 0
        )
        for result in self.results:
            counts[result["status"]] += 1
        return counts


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


def _parse(spec: RecordSpec, records: Sequence[Any]) -> list[Item]:
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


# --- reading what exists -------------------------------------------------------------------


def _key_filter(keys: set[tuple[str, str]]) -> Q:
    by_source: dict[str, list[str]] = defaultdict(list)
    for source, external_id in keys:
        by_source[source].append(external_id)
    condition = Q(pk__in=[])
    for source, ids in by_source.items():
        condition |= Q(source=source, external_id__in=ids)
    return condition


def _fetch_existing(spec: RecordSpec, items: list[Item]) -> None:
    keyed = [i for i in items if i.external_id]
    if not keyed:
        return
    columns = ["id", "source", "external_id", *spec.columns]
    keys = {i.key for i in keyed}
    rows = sql.fetch_by_keys(spec.model, keys, columns)
    if rows is None:
        rows = spec.model._base_manager.filter(_key_filter(keys)).values_list(*columns)
    existing = {(r[1], r[2]): dict(zip(columns, r, strict=True)) for r in rows}
    for item in keyed:
        item.existing = existing.get(item.key)
    child = spec.children
    if child is None:
        return
    parents = [i for i in keyed if i.existing]
    if not parents:
        return
    by_parent: dict[int, list[tuple]] = defaultdict(list)
    parent_ids = [i.existing["id"] for i in parents]
    rows = sql.fetch_where_in(
        child.model, child.parent_attname, parent_ids, [child.parent_attname, *child.columns]
    )
    if rows is None:
        rows = child.model._base_manager.filter(
            **{f"{child.parent_attname}__in": parent_ids}
        ).values_list(child.parent_attname, *child.columns)
    for parent_id, *values in rows:
        by_parent[parent_id].append(tuple(values))
    key_at = child.columns.index(child.key)
    for item in parents:
        item.existing_children = sorted(
            by_parent.get(item.existing["id"], []), key=lambda r: r[key_at]
        )


def _resolve_refs(spec: RecordSpec, items: list[Item], user: Any) -> dict[str, dict]:
    """{ref name: {key: id}} with one query per kind of reference."""
    resolved: dict[str, dict] = {}
    for ref in spec.refs:
        wanted: dict[Lookup, set] = defaultdict(set)
        for item in items:
            key = item.ref_keys.get(ref.name)
            if key is not None:
                wanted[key[0]].add(key[1])
        found: dict = {}
        target = ref.target
        base = (
            Customer.objects.visible_to(user) if target is Customer else target._base_manager.all()
        )
        if wanted.get(Lookup.EXTERNAL_ID):
            rows = None
            if target is not Customer or sees_all_customers(user):
                rows = sql.fetch_by_keys(
                    target, wanted[Lookup.EXTERNAL_ID], ["source", "external_id", "id"]
                )
            if rows is None:
                rows = base.filter(_key_filter(wanted[Lookup.EXTERNAL_ID])).values_list(
                    "source", "external_id", "id"
                )
            found.update({(Lookup.EXTERNAL_ID, (s, e)): pk for s, e, pk in rows})
        if wanted.get(Lookup.CATALOGUE):
            brands = {b for b, _m in wanted[Lookup.CATALOGUE]}
            names = {m for _b, m in wanted[Lookup.CATALOGUE]}
            rows = base.filter(brand__name__in=brands, name__in=names).values_list(
                "brand__name", "name", "id"
            )
            found.update({(Lookup.CATALOGUE, (b, m)): pk for b, m, pk in rows})
        if wanted.get(Lookup.VIN):
            rows = sql.fetch_where_in(target, "vin", sorted(wanted[Lookup.VIN]), ["vin", "id"])
            if rows is None:
                rows = base.filter(vin__in=wanted[Lookup.VIN]).values_list("vin", "id")
            found.update({(Lookup.VIN, vin): pk for vin, pk in rows})
        resolved[ref.name] = found
    return resolved


# --- checking one record as full_clean() would ---------------------------------------------


def _new_row(spec: RecordSpec) -> dict[str, Any]:
    row = {f.attname: f.model_field.get_default() for f in spec.fields}
    row.update({r.attname: None for r in spec.refs})
    row.update(spec.defaults)
    return row


def _build_row(spec: RecordSpec, item: Item, resolved: dict[str, dict], now: dt.datetime) -> None:
    row = {c: item.existing[c] for c in spec.columns} if item.existing else _new_row(spec)
    row.update(item.values)
    for ref in spec.refs:
        if ref.name not in item.ref_keys:
            continue
        key = item.ref_keys[ref.name]
        if key is None:
            row[ref.attname] = None
            continue
        pk = resolved[ref.name].get(key)
        if pk is None:
            if key[0] == Lookup.CATALOGUE:
                message = _("The catalogue has no model “%(model)s” of the brand “%(brand)s”.") % {
                    "brand": key[1][0],
                    "model": key[1][1],
                }
            else:
                shown = key[1][1] if key[0] == Lookup.EXTERNAL_ID else key[1]
                message = _("No %(model)s with the id “%(key)s” is known; send it first.") % {
                    "model": ref.target._meta.verbose_name,
                    "key": shown,
                }
            item.add_error(ref.name, message)
        row[ref.attname] = pk
    if item.errors:
        return
    if spec.run_model_clean:
        instance = spec.model(**row)
        try:
            instance.clean()
        except ValidationError as error:
            for name, messages in messages_of(error).items():
                item.add_error(_api_name(spec, name), messages)
            return
        # clean() may normalise (a mobile number's +86, a VIN's case); keep what it made.
        for column in spec.columns:
            row[column] = getattr(instance, column)
    if spec.derive:
        spec.derive(row, now)
    item.row = row


def _api_name(spec: RecordSpec, name: str) -> str:
    """The API's name for a model field named in a model's error (``trade_in_vehicle``…)."""
    for ref in spec.refs:
        if name in (ref.model_field.name, ref.attname):
            return ref.name
    return name


def _children_rows(spec: RecordSpec, item: Item) -> list[tuple] | None:
    if item.children is None:
        return None
    child = spec.children
    key_at = child.columns.index(child.key)
    return sorted(
        (tuple(r[c] for c in child.columns) for r in item.children), key=lambda r: r[key_at]
    )


def _classify(spec: RecordSpec, item: Item) -> None:
    if item.existing is None:
        item.status = Outcome.CREATED
        return
    item.id = item.existing["id"]
    changed = any(item.row[c] != item.existing[c] for c in spec.columns)
    incoming = _children_rows(spec, item)
    if incoming is not None and incoming != item.existing_children:
        changed = True
    item.status = Outcome.UPDATED if changed else Outcome.UNCHANGED


# --- writing --------------------------------------------------------------------------------


def _write(spec: RecordSpec, items: list[Item], now: dt.datetime) -> None:
    columns = spec.columns
    new = sorted((i for i in items if i.status == Outcome.CREATED), key=lambda i: i.key)
    if new:
        # Columns the API does not write (assignment, staff notes…) get their model defaults.
        others = spec.unwritten_defaults()
        inserted = sql.insert_returning(
            spec.model,
            ["source", "external_id", "created_at", "updated_at", *columns, *others],
            [
                (i.source, i.external_id, now, now, *(i.row[c] for c in columns), *others.values())
                for i in new
            ],
        )
        ids = {(s, e): pk for pk, s, e in inserted}
        for item in new:
            item.id = ids.get(item.key)
        if len(ids) != len(new):
            raise _LostRace
    changed = sorted((i for i in items if i.status == Outcome.UPDATED), key=lambda i: i.id)
    sql.update_rows(
        spec.model,
        [*columns, "updated_at"],
        [(i.id, *(i.row[c] for c in columns), now) for i in changed],
    )
    child = spec.children
    if child is None:
        return
    replaced = [i.id for i in changed if i.children is not None]
    for start in range(0, len(replaced), 5_000):
        child.model._base_manager.filter(
            **{f"{child.parent_attname}__in": replaced[start : start + 5_000]}
        ).delete()
    rows = [
        (item.id, *values)
        for item in [*new, *changed]
        if item.children
        for values in _children_rows(spec, item)
    ]
    sql.insert_rows(child.model, [child.parent_attname, *child.columns], rows)


def _write_timestamp(items: list[Item]) -> dt.datetime:
    """``now``, taken once the transaction has an id on PostgreSQL: the feed holds rows back
    only for transactions that have one (api.pagination), so a row must never carry a time
    from before its transaction became visible as writing. (A batch with nothing to write
    takes no id: a replay holds nobody back.)"""
    writes = any(i.status in (Outcome.CREATED, Outcome.UPDATED) for i in items)
    if writes and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT txid_current()")
    return timezone.now()


def _upsert_once(spec: RecordSpec, items: list[Item], user: Any) -> None:
    for item in items:
        item.existing = item.existing_children = None
        item.row, item.status, item.id = {}, "", None
    seen: set[tuple[str, str | None]] = set()
    for item in items:
        if item.external_id and item.key in seen:
            item.add_error("external_id", _("This id appears more than once in the batch."))
        seen.add(item.key)
    _fetch_existing(spec, items)
    resolved = _resolve_refs(spec, items, user)
    now = timezone.now()
    for item in items:
        # Also for records with field errors: their unknown references are reported too.
        _build_row(spec, item, resolved, now)
    for check in spec.batch_checks:
        check(spec, [i for i in items if not i.errors])
    for item in items:
        if item.errors:
            item.status = Outcome.ERROR
        else:
            _classify(spec, item)
    # Timestamps are taken just before writing, so a row's updated_at is as close to its
    # commit as possible (the incremental feed holds back rows of open transactions).
    _write(spec, items, _write_timestamp(items))
    if spec.after_create:
        spec.after_create([i for i in items if i.status == Outcome.CREATED])


def _is_unique_violation(error: IntegrityError) -> bool:
    cause = error.__cause__
    if getattr(cause, "pgcode", None) is not None:
        return cause.pgcode == "23505"
    return "UNIQUE constraint failed" in str(error)


def sync_batch_upsert(*, spec: RecordSpec, records: Sequence[Any], user: Any) -> SyncResult:
    """Create, update or leave unchanged each record of one resource, keyed by
    (``source``, ``external_id``); invalid records are reported and not written.

    Raises :class:`SyncContractError` when the request breaks the schema and
    :class:`SyncConflictError` when concurrent writers kept winning every attempt.
    """
    if len(records) > MAX_BATCH_RECORDS:
        raise SyncContractError(
            [
                {
                    "index": None,
                    "fields": {
                        "records": [
                            _("At most %(n)s records per request.") % {"n": MAX_BATCH_RECORDS}
                        ]
                    },
                }
            ]
        )
    items = _parse(spec, records)
    parse_errors = {i.index: {k: list(v) for k, v in i.errors.items()} for i in items}
    for attempt in range(1, MAX_ATTEMPTS + 1):
        for item in items:
            item.errors = {k: list(v) for k, v in parse_errors[item.index].items()}
        try:
            with transaction.atomic():
                _upsert_once(spec, items, user)
            break
        except _LostRace:
            logger.info("sync %s: lost a race on attempt %s", spec.name, attempt)
        except IntegrityError as error:
            if not _is_unique_violation(error):
                raise
            logger.info("sync %s: unique violation on attempt %s (%s)", spec.name, attempt, error)
        except OperationalError as error:
            # Deadlock or serialization failure between two batches: run again.
            if getattr(getattr(error, "__cause__", None), "pgcode", None) not in ("40P01", "40001"):
                raise
            logger.info("sync %s: deadlock on attempt %s", spec.name, attempt)
    else:
        raise SyncConflictError
    results = []
    for item in items:
        result: dict[str, Any] = {
            "index": item.index,
            "source": item.source,
            "external_id": item.external_id,
            "status": item.status,
        }
        if item.status == Outcome.ERROR:
            result["errors"] = item.errors
        else:
            result["id"] = item.id
        results.append(result)
    return SyncResult(resource=spec.name, results=results)


# --- API tokens -----------------------------------------------------------------------------


@transaction.atomic
def api_token_create(*, user: Any, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns it with its key, which is not stored and is shown
    only now."""
    key = generate_key()
    token = ApiToken.objects.create(
        user=user, name=name, key_hash=hash_key(key), key_start=key[:12]
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke a token: later requests with its key are refused. Revoking twice is harmless."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_touch(*, token: ApiToken, now: dt.datetime | None = None) -> None:
    """Record that the token was used, at most once a minute (not a write per request)."""
    now = now or timezone.now()
    if token.last_used_at and now - token.last_used_at < TOKEN_TOUCH_INTERVAL:
        return
    try:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    except DatabaseError:  # never fail a request over bookkeeping
        logger.warning("could not record the use of API token %s", token.pk, exc_info=True)


__all__ = [
    "Outcome",
    "SyncConflictError",
    "SyncContractError",
    "SyncResult",
    "api_token_create",
    "api_token_revoke",
    "api_token_touch",
    "sync_batch_upsert",
]
