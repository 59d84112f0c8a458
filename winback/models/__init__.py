"""Follow-up and win-back work (R5): what to do with the scores.

The models live in modules by concern. This package imports every model, so Django registers
them, and re-exports them with the choices and constants code (migrations included) imports
from ``winback.models``:

- :mod:`~winback.models.choices`: the vocabularies (kinds of work, task and plan states, churn
  reasons, offers, campaigns, intents and leads) and what follows from a task's kind.
- :mod:`~winback.models.configuration`: what a manager edits: generation rules, contact plans,
  the win-back configuration, offers (R5.1-R5.3, R5.5).
- :mod:`~winback.models.campaigns`: the marketing campaign (R5, R6).
- :mod:`~winback.models.rounds`: a round, its targets and the tasks (R5.1, R5.4-R5.6).
- :mod:`~winback.models.leads`: purchase intents and leads (R5.7, R5.8).
- :mod:`~winback.models.staff`: reporting lines and a leaver's reassignment (R7.2).
"""

# Django registers models in import order, which orders each model's reverse relations (the
# deletion cascades among them): the modules are imported in the order their models were declared.
# isort: off
from winback.models.choices import (
    CONTACT_TYPE_OF_KIND,
    NINE_CELLS,
    URGENT_PRIORITY,
    AssignTo,
    CampaignStatus,
    ChurnReason,
    DesireStrength,
    LeadSource,
    LeadStatus,
    PlanStatus,
    PurchaseNecessity,
    PurchaseWindow,
    RunKindFilter,
    SkipReason,
    SpendType,
    TargetGroup,
    TaskKind,
    TaskStatus,
)
from winback.models.configuration import (
    ContactPlan,
    ContactPlanStep,
    GenerationRule,
    Offer,
    WinbackConfiguration,
    # Migration 0001 names the configuration's default as ``winback.models._default_work_settings``.
    _default_work_settings,
)
from winback.models.campaigns import Campaign
from winback.models.rounds import Round, Target, Task
from winback.models.leads import Lead, PurchaseIntent
from winback.models.staff import Reassignment, ReportingLine

# isort: on

__all__ = [
    "CONTACT_TYPE_OF_KIND",
    "NINE_CELLS",
    "URGENT_PRIORITY",
    "AssignTo",
    "Campaign",
    "CampaignStatus",
    "ChurnReason",
    "ContactPlan",
    "ContactPlanStep",
    "DesireStrength",
    "GenerationRule",
    "Lead",
    "LeadSource",
    "LeadStatus",
    "Offer",
    "PlanStatus",
    "PurchaseIntent",
    "PurchaseNecessity",
    "PurchaseWindow",
    "Reassignment",
    "ReportingLine",
    "Round",
    "RunKindFilter",
    "SkipReason",
    "SpendType",
    "Target",
    "TargetGroup",
    "Task",
    "TaskKind",
    "TaskStatus",
    "WinbackConfiguration",
    "_default_work_settings",
]
