"""The default contact plans, generation rules and offers (from the win-back method of the
seeds), installed by a data migration and editable by managers in the admin afterwards.

Names and scripts are translatable and stored in the installation's language.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _


def _plans() -> list[dict[str, Any]]:
    return [
        {
            "name": _("Win-back: call, WeChat, message"),
            "description": _(
                "Three contacts on different channels; the reason is learned on the first "
                "without asking bluntly and answered on the second."
            ),
            "steps": [
                (
                    "phone",
                    0,
                    10,
                    _(
                        "Care call about the car; ask how it is running and when it was last serviced."
                    ),
                ),
                (
                    "wechat",
                    7,
                    10,
                    _("Follow up on the reason heard; present the countermeasure or package."),
                ),
                (
                    "sms",
                    14,
                    14,
                    _("A short, friendly message with a direct booking link; no pressure."),
                ),
            ],
        },
        {
            "name": _("Early warning: care before they leave"),
            "description": _("Two light care contacts for customers showing signs of drifting."),
            "steps": [
                ("", 0, 10, _("Care call; remind of the next maintenance due and offer a slot.")),
                (
                    "wechat",
                    10,
                    14,
                    _("Maintenance reminder with the customer's own service history."),
                ),
            ],
        },
        {
            "name": _("Replacement: owners of older cars"),
            "description": _("Invite owners of 6+ and 7+ year-old cars to see what is new."),
            "steps": [
                ("phone", 0, 14, _("Ask about the car's condition and the family's needs now.")),
                ("wechat", 10, 14, _("Send the trade-in estimate and new-model brochure.")),
                ("visit_office", 21, 14, _("Invite for a test drive at a time that suits them.")),
            ],
        },
        {
            "name": _("Single care contact"),
            "description": _("One contact on the customer's preferred channel."),
            "steps": [("", 0, 14, "")],
        },
    ]


def _rules(plans: dict[int, Any]) -> list[dict[str, Any]]:
    win_back, warning, replacement, single = (plans[i] for i in range(4))
    return [
        {
            "name": _("Lost customers worth winning back"),
            "kind": "win_back",
            "statuses": ["lost"],
            "value_tiers": [1, 2, 3, 4, 5],
            "assign_to": "service_owner",
            "plan": win_back,
            "measure_uplift": True,
            "position": 10,
        },
        {
            "name": _("Early warning: at-risk customers"),
            "kind": "churn_warning",
            "run_kind": "both",
            "statuses": ["at_risk"],
            "assign_to": "service_owner",
            "plan": warning,
            "measure_uplift": True,
            "position": 20,
        },
        {
            "name": _("Replacement candidates: 6+ and 7+ year-old cars"),
            "kind": "replacement",
            "statuses": ["active", "at_risk"],
            "nine_cells": [
                f"{age}/{band}" for age in ("6+", "7+") for band in ("low", "medium", "high")
            ],
            "exclude_low_mileage": True,
            "assign_to": "sales_advisor",
            "plan": replacement,
            "priority_weight": 0.5,
            "cooldown_days": 180,
            "position": 30,
        },
        {
            "name": _("Loan or lease ends within 90 days"),
            "kind": "loan_ending",
            "trigger": "loan_ending",
            "trigger_days": 90,
            "assign_to": "sales_advisor",
            "plan": single,
            "position": 40,
        },
        {
            "name": _("Follow up resolved complaints"),
            "kind": "complaint_follow_up",
            "trigger": "complaint_resolved",
            "trigger_days": 14,
            "assign_to": "service_owner",
            "plan": single,
            "cooldown_days": 14,
            "position": 50,
        },
        {
            "name": _("Purchase anniversary care"),
            "kind": "care",
            "trigger": "anniversary",
            "statuses": ["active"],
            "rfm_segments": ["champions", "loyal", "potential_loyalist", "cant_lose_them"],
            "assign_to": "service_owner",
            "plan": single,
            "priority_weight": 0.2,
            "cooldown_days": 300,
            "position": 60,
        },
    ]


def _offers() -> list[dict[str, Any]]:
    price = ["price", "cost_conscious", "unattractive_offer"]
    return [
        {
            "name": _("Basic maintenance plan (2 services a year)"),
            "kind": "maintenance_plan",
            "description": _("Two scheduled services a year at a fixed price, parts and labour."),
            "price": Decimal("980"),
            "visits_included": 2,
            "categories": ["maintenance"],
            "reasons": price,
            "spend_type": "necessary",
            "max_annual_spend": Decimal("3000"),
        },
        {
            "name": _("Full maintenance plan with tyres"),
            "kind": "maintenance_plan",
            "description": _("Scheduled services, brake and tyre checks, one tyre rotation."),
            "price": Decimal("2680"),
            "visits_included": 3,
            "categories": ["maintenance", "tyres", "repair"],
            "reasons": price,
            "spend_type": "necessary",
            "min_annual_spend": Decimal("2000"),
        },
        {
            "name": _("Care package: detailing and accessories"),
            "kind": "care_package",
            "description": _("Four washes and one full detailing a year, a tenth off accessories."),
            "price": Decimal("1580"),
            "visits_included": 4,
            "categories": ["detailing", "accessories"],
            "reasons": [*price, "too_few_products"],
            "spend_type": "discretionary",
        },
        {
            "name": _("Extended warranty, two years"),
            "kind": "extended_warranty",
            "description": _("Two more years of warranty for cars serviced here."),
            "price": Decimal("3800"),
            "categories": ["extended_warranty", "maintenance"],
            "reasons": ["quality", "price", "too_few_products"],
            "min_annual_spend": Decimal("1500"),
        },
        {
            "name": _("Pick-up and delivery service"),
            "kind": "service_promise",
            "description": _("We collect the car and bring it back, at a time the customer picks."),
            "price": Decimal("0"),
            "categories": ["maintenance", "repair"],
            "reasons": ["distance", "punctuality", "speed"],
        },
    ]


def winback_defaults_install(apps: Any = None) -> None:
    """Create the default plans, rules and offers where none exist yet (idempotent). Takes an
    app registry so a data migration can pass its historical one."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    plan_model = apps.get_model("winback", "ContactPlan")
    step_model = apps.get_model("winback", "ContactPlanStep")
    rule_model = apps.get_model("winback", "GenerationRule")
    offer_model = apps.get_model("winback", "Offer")
    with translation.override(settings.LANGUAGE_CODE):
        if not plan_model.objects.exists():
            plans = {}
            for i, spec in enumerate(_plans()):
                steps = spec.pop("steps")
                plan = plan_model.objects.create(**spec)
                for number, (channel, days, open_days, script) in enumerate(steps, start=1):
                    step_model.objects.create(
                        plan=plan,
                        number=number,
                        channel=channel,
                        days_after_previous=days,
                        open_days=open_days,
                        script=script,
                    )
                plans[i] = plan
            for spec in _rules(plans):
                rule_model.objects.create(**spec)
        if not offer_model.objects.exists():
            for spec in _offers():
                offer_model.objects.create(**spec)
