"""The DMS sync engine: idempotent bulk upserts from the DMS (R8.1).

:func:`sync_batch_upsert` takes up to 5,000 records of one resource and answers, per record,
``created``, ``updated``, ``unchanged`` or ``error`` with field messages. It is set-based: a
handful of queries per batch whatever its size (fetch the existing rows by their keys, resolve
each kind of reference with one query, fetch child rows, one INSERT, one UPDATE, one DELETE and
one INSERT of children), never a query per record. The records are parsed first, by
:mod:`api.sync_parsing`.

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
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import sees_all_customers
from api import sql
from api.records import MAX_BATCH_RECORDS, Lookup, RecordSpec, messages_of
from api.sync_parsing import Item, SyncContractError, parse_records
from customers.models import Customer

logger = logging.getLogger(__name__)

#: How often a batch is run again after losing a race with another client.
MAX_ATTEMPTS = 4


class Outcome:
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    ERROR = "error"


class SyncConflictError(Exception):
    """The batch kept losing races with concurrent writers; the client should retry."""


class _LostRace(Exception):
    """Internal: a concurrent writer got there first; roll back and run the batch again."""


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
    items = parse_records(spec, records)
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


__all__ = ["Outcome", "SyncConflictError", "SyncResult", "sync_batch_upsert"]
