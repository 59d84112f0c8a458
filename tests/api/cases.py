"""One valid record per sync resource, with a change, an invalid variant and a bad reference,
so every resource goes through the same create / update / replay / mixed-batch tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contacts.models import Complaint, ContactLog, SatisfactionSurvey
from customers.models import ContactPreference, Customer, ProfileObservation, ValueEvent
from vehicles.models import OdometerReading, Purchase, ServiceOrder, Vehicle


@dataclass
class Case:
    resource: str
    model: Any
    record: dict[str, Any]
    change: dict[str, Any]
    invalid: dict[str, Any]
    invalid_field: str
    unknown_ref: dict[str, Any] | None


def build_cases(world: dict[str, Any]) -> dict[str, Case]:
    c, v, ro = world["customer"], world["vehicle"], world["order"]
    model = world["vehicle_model"]
    cases = [
        Case(
            "customers",
            Customer,
            {"external_id": "NEW1", "name": "张伟", "mobile": "13912345678", "gender": "male"},
            {"region": "北京市"},
            {"birth_year": 1850},
            "birth_year",
            None,
        ),
        Case(
            "contact-preferences",
            ContactPreference,
            {
                "external_id": "NEW1",
                "customer": c.external_id,
                "preferred_channels": ["wechat", "sms"],
                "disliked_channels": ["phone"],
            },
            {"preferred_days": "weekend"},
            {"preferred_channels": ["pigeon"]},
            "preferred_channels",
            {"customer": "NO-SUCH-CUSTOMER"},
        ),
        Case(
            "profile-observations",
            ProfileObservation,
            {
                "external_id": "NEW1",
                "customer": c.external_id,
                "attribute": "income_band",
                "value": "middle",
                "observed_on": "2023-01-01",
            },
            {"note": "电话回访"},
            {"value": "billionaire"},
            "value",
            {"customer": "NO-SUCH-CUSTOMER"},
        ),
        Case(
            "vehicles",
            Vehicle,
            {
                "external_id": "NEW1",
                "vin": "LSVNEWABC12345678",
                "brand": model.brand.name,
                "model": model.name,
                "owner": c.external_id,
            },
            {"color": "白色"},
            {"vin": "LSV123"},
            "vin",
            {"owner": "NO-SUCH-CUSTOMER"},
        ),
        Case(
            "purchases",
            Purchase,
            {
                "external_id": "NEW1",
                "customer": c.external_id,
                "vehicle": v.external_id,
                "purchased_on": "2020-01-01",
                "price_paid": "150000.00",
            },
            {"price_paid": 149000},
            {"payment_method": "loan"},
            "finance_term_months",
            {"vehicle": "NO-SUCH-VEHICLE"},
        ),
        Case(
            "odometer-readings",
            OdometerReading,
            {"external_id": "NEW1", "vehicle": v.external_id, "read_on": "2024-01-01", "km": 30000},
            {"km": 30500},
            {"km": -5},
            "km",
            {"vehicle": "NO-SUCH-VEHICLE"},
        ),
        Case(
            "service-orders",
            ServiceOrder,
            {
                "external_id": "NEW1",
                "customer": c.external_id,
                "vehicle": v.external_id,
                "opened_on": "2024-05-01",
                "lines": [
                    {"line_no": 1, "category": "maintenance", "amount": "680.00"},
                    {"line_no": 2, "category": "detailing", "amount": 120},
                ],
            },
            {"note": "换机油"},
            {"closed_on": "2024-04-01"},
            "closed_on",
            {"customer": "NO-SUCH-CUSTOMER"},
        ),
        Case(
            "surveys",
            SatisfactionSurvey,
            {
                "external_id": "NEW1",
                "customer": c.external_id,
                "surveyed_on": "2024-02-01",
                "overall": 9,
            },
            {"overall": 7},
            {"overall": 11},
            "overall",
            {"service_order": "NO-SUCH-ORDER"},
        ),
        Case(
            "complaints",
            Complaint,
            {
                "external_id": "NEW1",
                "customer": c.external_id,
                "service_order": ro.external_id,
                "opened_at": "2024-03-01T10:00:00+08:00",
                "category": "speed",
                "description": "保养等太久",
            },
            {"status": "acknowledged"},
            {"status": "resolved"},
            "resolution",
            {"customer": "NO-SUCH-CUSTOMER"},
        ),
        Case(
            "contact-logs",
            ContactLog,
            {
                "external_id": "NEW1",
                "customer": c.external_id,
                "contacted_at": "2024-03-01T10:00:00+08:00",
                "channel": "phone",
                "contact_type": "care_call",
            },
            {"feedback": "很满意"},
            {"next_step_due": "2024-02-01"},
            "next_step_due",
            {"customer": "NO-SUCH-CUSTOMER"},
        ),
        Case(
            "value-events",
            ValueEvent,
            {
                "external_id": "NEW1",
                "customer": c.external_id,
                "layer": "referral",
                "occurred_on": "2024-01-01",
            },
            {"description": "推荐朋友买车"},
            {"layer": "event_attendance", "referred_customer": c.external_id},
            "referred_customer",
            {"referred_customer": "NO-SUCH-CUSTOMER"},
        ),
    ]
    return {case.resource: case for case in cases}


RESOURCES = [
    "customers",
    "contact-preferences",
    "profile-observations",
    "vehicles",
    "purchases",
    "odometer-readings",
    "service-orders",
    "surveys",
    "complaints",
    "contact-logs",
    "value-events",
]

#: Resources listed and read back (sync-only ones have no list of their own).
READ_RESOURCES = [
    "customers",
    "vehicles",
    "purchases",
    "odometer-readings",
    "service-orders",
    "surveys",
    "complaints",
    "contact-logs",
    "value-events",
    "tasks",
]
