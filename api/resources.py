"""The sync resources: which fields of which model the DMS writes, and the batch-wide checks.

Assignment to a sales advisor or a service-marketing owner, staff notes and complaint handling
are the CRM's own work and are not written by the DMS; everything the DMS is the system of
record for is.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from api.records import ChildSpec, Lookup, RecordSpec, RefSpec, field_specs
from contacts.models import (
    Complaint,
    ContactLog,
    SatisfactionSurvey,
    complaint_promised_response_by,
    complaint_resolved_at,
)
from customers.models import ContactPreference, Customer, ProfileObservation, ValueEvent
from customers.validators import normalize_mobile
from vehicles.models import (
    OdometerReading,
    Purchase,
    ServiceOrder,
    ServiceOrderLine,
    Vehicle,
    finance_end_date,
    line_necessity,
)
from vehicles.validators import normalize_plate, normalize_vin
from winback.alerts import service_lane_alerts_create


def _ref(
    model: Any, name: str, required: bool = False, *, vin_alternative: bool = False
) -> RefSpec:
    model_field = model._meta.get_field(name)
    alternative = None
    if vin_alternative:
        alternative = RefSpec(f"{name}_vin", model_field, lookup=Lookup.VIN)
    return RefSpec(name, model_field, required=required, alternative=alternative)


# --- normalising and deriving with the models' own rules (bulk writes bypass save()) ---------


def _normalise_customer(raw: dict[str, Any]) -> None:
    # "+86 138 0013 8000" → "13800138000" before the 11-character limit is checked.
    if isinstance(raw.get("mobile"), str):
        raw["mobile"] = normalize_mobile(raw["mobile"])


def _normalise_vehicle(raw: dict[str, Any]) -> None:
    # Other types are left for the schema check to refuse.
    if isinstance(raw.get("vin"), str):
        raw["vin"] = normalize_vin(raw["vin"])
    if isinstance(raw.get("plate"), str):
        raw["plate"] = normalize_plate(raw["plate"])


def _derive_purchase(row: dict[str, Any], now: dt.datetime) -> None:
    row["finance_end_date"] = finance_end_date(
        row["purchased_on"],
        row["payment_method"],
        row["finance_term_months"],
        row["finance_end_date"],
    )


def _derive_line(row: dict[str, Any]) -> None:
    row["necessity"] = line_necessity(row.get("category"), row.get("necessity"))


def _derive_complaint(row: dict[str, Any], now: dt.datetime) -> None:
    row["promised_response_by"] = complaint_promised_response_by(
        row["opened_at"], row["promised_response_by"]
    )
    row["resolved_at"] = complaint_resolved_at(row["status"], row["resolved_at"], now)


def _service_lane_alerts(items: list) -> None:
    """A customer worth a word is in the workshop now: a task for their advisor (R5)."""
    service_lane_alerts_create(orders=[(i.id, i.row["opened_on"]) for i in items])


# --- checks over the whole batch, each with one query ------------------------------------------


def _check_vin_unique(spec: RecordSpec, items: list) -> None:
    """A VIN belongs to one vehicle: not to another row, nor twice in the batch."""
    vins = Counter(item.row["vin"] for item in items)
    owners = dict(Vehicle._base_manager.filter(vin__in=list(vins)).values_list("vin", "id"))
    for item in items:
        vin = item.row["vin"]
        own_id = item.existing["id"] if item.existing else None
        if vins[vin] > 1:
            item.add_error("vin", _("This VIN appears more than once in the batch."))
        elif owners.get(vin) not in (None, own_id):
            item.add_error("vin", _("Another vehicle already has this VIN."))


def _check_one_preference_per_customer(spec: RecordSpec, items: list) -> None:
    customers = Counter(item.row["customer_id"] for item in items)
    existing = dict(
        ContactPreference._base_manager.filter(customer_id__in=list(customers)).values_list(
            "customer_id", "id"
        )
    )
    for item in items:
        customer_id = item.row["customer_id"]
        own_id = item.existing["id"] if item.existing else None
        if customers[customer_id] > 1:
            item.add_error("customer", _("This customer appears more than once in the batch."))
        elif existing.get(customer_id) not in (None, own_id):
            item.add_error(
                "customer", _("This customer already has contact preferences under another id.")
            )


def _check_odometer_monotone(spec: RecordSpec, items: list) -> None:
    """OdometerReading.clean() for the batch: readings only go up, unless the meter was
    replaced, judged against the vehicle's stored readings and the batch's own."""
    by_vehicle: dict[int, list[tuple]] = defaultdict(list)
    replaced_ids = {item.existing["id"] for item in items if item.existing}
    vehicle_ids = {item.row["vehicle_id"] for item in items}
    stored = OdometerReading._base_manager.filter(vehicle_id__in=list(vehicle_ids)).values_list(
        "id", "vehicle_id", "read_on", "km", "is_meter_replacement"
    )
    for pk, vehicle_id, read_on, km, replaced in stored:
        if pk not in replaced_ids:
            by_vehicle[vehicle_id].append((read_on, km, replaced, None))
    for item in items:
        row = item.row
        by_vehicle[row["vehicle_id"]].append(
            (row["read_on"], row["km"], row["is_meter_replacement"], item)
        )
    for item in items:
        row = item.row
        read_on, km = row["read_on"], row["km"]
        others = [r for r in by_vehicle[row["vehicle_id"]] if r[3] is not item]
        earlier = max(
            (r for r in others if r[0] < read_on), key=lambda r: (r[0], r[1]), default=None
        )
        if earlier and earlier[1] > km and not row["is_meter_replacement"]:
            item.add_error(
                "km",
                _(
                    "%(km)s km is lower than the %(earlier_km)s km read on %(earlier_date)s. "
                    "Tick “meter replaced” if the odometer was replaced."
                )
                % {"km": km, "earlier_km": earlier[1], "earlier_date": earlier[0]},
            )
            continue
        later = min((r for r in others if r[0] > read_on), key=lambda r: (r[0], r[1]), default=None)
        if later and later[1] < km and not later[2]:
            item.add_error(
                "km",
                _("%(km)s km is higher than the %(later_km)s km read later, on %(later_date)s.")
                % {"km": km, "later_km": later[1], "later_date": later[0]},
            )


# --- the resources ------------------------------------------------------------------------------


def build_resources() -> dict[str, RecordSpec]:
    """Every sync resource by its URL name."""
    return {
        spec.name: spec
        for spec in (
            RecordSpec(
                "customers",
                Customer,
                field_specs(
                    Customer,
                    (
                        "name",
                        "mobile",
                        "phone_alt",
                        "wechat_id",
                        "email",
                        "address",
                        "region",
                        "gender",
                        "birth_year",
                        "character",
                        "buying_habits",
                        "liked_brands",
                        "driving_experience",
                        "cars_owned_before",
                    ),
                    required=("name",),
                ),
                normalise=_normalise_customer,
                description=gettext_lazy("Customers (R1.1, R1.3)."),
            ),
            RecordSpec(
                "contact-preferences",
                ContactPreference,
                field_specs(
                    ContactPreference,
                    (
                        "preferred_channels",
                        "disliked_channels",
                        "preferred_days",
                        "time_windows",
                        "do_not_contact",
                        "note",
                    ),
                ),
                refs=[_ref(ContactPreference, "customer", required=True)],
                batch_checks=[_check_one_preference_per_customer],
                description=gettext_lazy("Contact preferences, one per customer (R1.4)."),
            ),
            RecordSpec(
                "profile-observations",
                ProfileObservation,
                field_specs(
                    ProfileObservation,
                    ("attribute", "value", "observed_on", "observation_source", "note"),
                    required=("attribute", "value", "observed_on"),
                ),
                refs=[_ref(ProfileObservation, "customer", required=True)],
                defaults={"observation_source": "dms"},
                description=gettext_lazy("Dated observations of a customer's situation (R1.2)."),
            ),
            RecordSpec(
                "vehicles",
                Vehicle,
                field_specs(
                    Vehicle, ("vin", "plate", "trim", "model_year", "color"), required=("vin",)
                ),
                refs=[
                    RefSpec(
                        "model",
                        Vehicle._meta.get_field("model"),
                        required=True,
                        lookup=Lookup.CATALOGUE,
                        extra="brand",
                    ),
                    _ref(Vehicle, "owner"),
                ],
                normalise=_normalise_vehicle,
                batch_checks=[_check_vin_unique],
                description=gettext_lazy("Vehicles by VIN, with their catalogue model (R2.1)."),
            ),
            RecordSpec(
                "purchases",
                Purchase,
                field_specs(
                    Purchase,
                    (
                        "purchased_on",
                        "price_paid",
                        "condition",
                        "trade_in_value",
                        "payment_method",
                        "finance_term_months",
                        "down_payment",
                        "monthly_payment",
                        "finance_end_date",
                        "funding_source",
                        "sales_advisor_name",
                    ),
                    required=("purchased_on", "price_paid"),
                ),
                refs=[
                    _ref(Purchase, "customer", required=True),
                    _ref(Purchase, "vehicle", required=True, vin_alternative=True),
                    _ref(Purchase, "trade_in_vehicle", vin_alternative=True),
                ],
                derive=_derive_purchase,
                description=gettext_lazy(
                    "Vehicle purchases with price paid and financing (R2.1-2.2)."
                ),
            ),
            RecordSpec(
                "odometer-readings",
                OdometerReading,
                field_specs(
                    OdometerReading,
                    ("read_on", "km", "reading_source", "is_meter_replacement"),
                    required=("read_on", "km"),
                ),
                refs=[
                    _ref(OdometerReading, "vehicle", required=True, vin_alternative=True),
                    _ref(OdometerReading, "service_order"),
                ],
                defaults={"reading_source": "dms"},
                run_model_clean=False,  # its clean() queries; _check_odometer_monotone instead
                batch_checks=[_check_odometer_monotone],
                description=gettext_lazy("Odometer readings (R2.3)."),
            ),
            RecordSpec(
                "service-orders",
                ServiceOrder,
                field_specs(
                    ServiceOrder,
                    ("opened_on", "closed_on", "odometer_km", "advisor_name", "note"),
                    required=("opened_on",),
                ),
                refs=[
                    _ref(ServiceOrder, "customer", required=True),
                    _ref(ServiceOrder, "vehicle", required=True, vin_alternative=True),
                ],
                children=ChildSpec(
                    "lines",
                    ServiceOrderLine,
                    "order_id",
                    "line_no",
                    field_specs(
                        ServiceOrderLine,
                        ("line_no", "category", "description", "amount", "necessity"),
                        required=("line_no", "category", "amount"),
                    ),
                    derive=_derive_line,
                ),
                after_create=_service_lane_alerts,
                description=gettext_lazy("Service orders with their lines (R3.4)."),
            ),
            RecordSpec(
                "surveys",
                SatisfactionSurvey,
                field_specs(
                    SatisfactionSurvey,
                    (
                        "surveyed_on",
                        "channel",
                        "overall",
                        "repair_quality",
                        "price",
                        "speed",
                        "reception_attitude",
                        "information_clarity",
                        "comment",
                    ),
                    required=("surveyed_on", "overall"),
                ),
                refs=[
                    _ref(SatisfactionSurvey, "customer", required=True),
                    _ref(SatisfactionSurvey, "service_order"),
                ],
                description=gettext_lazy("Satisfaction surveys (R3.2)."),
            ),
            RecordSpec(
                "complaints",
                Complaint,
                field_specs(
                    Complaint,
                    (
                        "opened_at",
                        "category",
                        "description",
                        "promised_response_by",
                        "first_response_at",
                        "status",
                        "resolution",
                        "resolved_at",
                        "customer_accepted",
                    ),
                    required=("opened_at", "category", "description"),
                ),
                refs=[
                    _ref(Complaint, "customer", required=True),
                    _ref(Complaint, "service_order"),
                ],
                derive=_derive_complaint,
                description=gettext_lazy("Complaints (R3.3)."),
            ),
            RecordSpec(
                "contact-logs",
                ContactLog,
                field_specs(
                    ContactLog,
                    (
                        "contacted_at",
                        "channel",
                        "contact_type",
                        "outcome",
                        "feedback",
                        "next_step",
                        "next_step_due",
                    ),
                    required=("contacted_at", "channel", "contact_type"),
                ),
                refs=[_ref(ContactLog, "customer", required=True)],
                description=gettext_lazy("Contact log entries (R3.1)."),
            ),
            RecordSpec(
                "value-events",
                ValueEvent,
                field_specs(
                    ValueEvent,
                    ("layer", "occurred_on", "description"),
                    required=("layer", "occurred_on"),
                ),
                refs=[
                    _ref(ValueEvent, "customer", required=True),
                    _ref(ValueEvent, "referred_customer"),
                ],
                description=gettext_lazy("Non-spending value-layer events (R3.5)."),
            ),
        )
    }
