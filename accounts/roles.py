"""The four roles of DealerCRM and what each may do (R7.1).

Roles are Django groups. This module is pure data plus small helpers with no app imports, so
every app may use the role names; the group/permission rows are written by
``accounts/migrations`` (and the migrations of apps adding models) through
:func:`roles_sync`.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    SERVICE_MARKETING = "service_marketing"
    MANAGER = "manager"
    SALES_ADVISOR = "sales_advisor"
    DMS_CLIENT = "dms_client"


#: Roles that see every customer. Advisors see only the customers assigned to them.
ROLES_SEEING_ALL = frozenset({Role.SERVICE_MARKETING, Role.MANAGER, Role.DMS_CLIENT})

_ALL = ("view", "add", "change", "delete")
_VIEW = ("view",)
_WRITE = ("view", "add", "change")

#: Model permissions per role: {role: {"app_label.model": actions}}.
#: Advisors may change the records they work with daily (contacts, odometer readings seen at a
#: touch point); the DMS client writes the data the DMS is the system of record for.
ROLE_PERMISSIONS: dict[Role, dict[str, tuple[str, ...]]] = {
    Role.SERVICE_MARKETING: {
        "customers.customer": _WRITE,
        "customers.profileobservation": _ALL,
        "customers.contactpreference": _ALL,
        "customers.channeloptout": _ALL,
        "customers.valueevent": _ALL,
        "vehicles.brand": _VIEW,
        "vehicles.vehiclemodel": _VIEW,
        "vehicles.vehicle": _WRITE,
        "vehicles.purchase": _VIEW,
        "vehicles.odometerreading": _WRITE,
        "vehicles.serviceorder": _VIEW,
        "vehicles.serviceorderline": _VIEW,
        "contacts.contactlog": _ALL,
        "contacts.satisfactionsurvey": _ALL,
        "contacts.complaint": _ALL,
        "contacts.complaintstatuschange": _WRITE,
        "segmentation.scoringconfiguration": _VIEW,
        "segmentation.scoringrun": _VIEW,
        "segmentation.customerscore": _VIEW,
        "winback.contactplan": _VIEW,
        "winback.contactplanstep": _VIEW,
        "winback.generationrule": _VIEW,
        "winback.winbackconfiguration": _VIEW,
        "winback.offer": _VIEW,
        "winback.round": _VIEW,
        "winback.target": _VIEW,
        "winback.task": ("view", "change"),
        "winback.purchaseintent": _WRITE,
        "winback.lead": _WRITE,
        "winback.reportingline": _VIEW,
        "winback.campaign": _VIEW,
    },
    Role.MANAGER: {
        "customers.customer": _ALL,
        "customers.profileobservation": _ALL,
        "customers.contactpreference": _ALL,
        "customers.channeloptout": _ALL,
        "customers.valueevent": _ALL,
        "vehicles.brand": _ALL,
        "vehicles.vehiclemodel": _ALL,
        "vehicles.vehicle": _ALL,
        "vehicles.purchase": _ALL,
        "vehicles.odometerreading": _ALL,
        "vehicles.serviceorder": _ALL,
        "vehicles.serviceorderline": _ALL,
        "contacts.contactlog": _ALL,
        "contacts.satisfactionsurvey": _ALL,
        "contacts.complaint": _ALL,
        "contacts.complaintstatuschange": _ALL,
        "segmentation.scoringconfiguration": _ALL,
        "segmentation.scoringrun": _VIEW,
        "segmentation.customerscore": _VIEW,
        "winback.contactplan": _ALL,
        "winback.contactplanstep": _ALL,
        "winback.generationrule": _ALL,
        "winback.winbackconfiguration": _ALL,
        "winback.offer": _ALL,
        "winback.round": _VIEW,
        "winback.target": _VIEW,
        "winback.task": ("view", "change"),
        "winback.purchaseintent": _ALL,
        "winback.lead": _ALL,
        "winback.reportingline": _ALL,
        "winback.reassignment": ("view", "add"),
        "winback.campaign": _VIEW,
        "customers.dataaccesslog": _VIEW,
        # The sign-in audit (django-axes): every sign-in and failed attempt; a manager unlocks
        # a locked-out user by deleting their attempt row.
        "axes.accesslog": _VIEW,
        "axes.accessfailurelog": _VIEW,
        "axes.accessattempt": ("view", "delete"),
    },
    Role.SALES_ADVISOR: {
        "customers.customer": ("view", "change"),
        "customers.profileobservation": _WRITE,
        "customers.contactpreference": _WRITE,
        "customers.channeloptout": _WRITE,
        "customers.valueevent": _VIEW,
        "vehicles.brand": _VIEW,
        "vehicles.vehiclemodel": _VIEW,
        "vehicles.vehicle": _VIEW,
        "vehicles.purchase": _VIEW,
        "vehicles.odometerreading": _WRITE,
        "vehicles.serviceorder": _VIEW,
        "vehicles.serviceorderline": _VIEW,
        "contacts.contactlog": _WRITE,
        "contacts.satisfactionsurvey": _VIEW,
        "contacts.complaint": _VIEW,
        "contacts.complaintstatuschange": _VIEW,
        "segmentation.customerscore": _VIEW,
        "winback.contactplan": _VIEW,
        "winback.contactplanstep": _VIEW,
        "winback.offer": _VIEW,
        "winback.target": _VIEW,
        "winback.task": ("view", "change"),
        "winback.purchaseintent": _WRITE,
        "winback.lead": _WRITE,
    },
    Role.DMS_CLIENT: {
        "customers.customer": _WRITE,
        "customers.profileobservation": _WRITE,
        "customers.contactpreference": _WRITE,
        "customers.channeloptout": _WRITE,
        "customers.valueevent": _WRITE,
        "vehicles.brand": _WRITE,
        "vehicles.vehiclemodel": _WRITE,
        "vehicles.vehicle": _WRITE,
        "vehicles.purchase": _WRITE,
        "vehicles.odometerreading": _WRITE,
        "vehicles.serviceorder": _WRITE,
        "vehicles.serviceorderline": _ALL,
        "contacts.contactlog": _WRITE,
        "contacts.satisfactionsurvey": _WRITE,
        "contacts.complaint": _WRITE,
        "contacts.complaintstatuschange": _WRITE,
        "segmentation.scoringrun": _VIEW,
        "segmentation.customerscore": _VIEW,
        "winback.task": ("view", "change"),
    },
}


def user_roles(user: Any) -> frozenset[Role]:
    """The roles of ``user`` (cached on the user object for the request)."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_accounts_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = frozenset(Role(n) for n in names if n in Role._value2member_map_)
        user._accounts_roles = cached
    return cached


def is_sales_advisor(user: Any) -> bool:
    """True for users in the sales-advisor role, who see the customers assigned to them."""
    return Role.SALES_ADVISOR in user_roles(user)


def sees_all_customers(user: Any) -> bool:
    """True for superusers and roles that are not scoped to their own customers."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser or user_roles(user) & ROLES_SEEING_ALL)


#: Roles that may export lists and reports to Excel (each export is logged).
ROLES_EXPORTING = frozenset({Role.SERVICE_MARKETING, Role.MANAGER})


def may_export(user: Any) -> bool:
    """True for users who may download lists and reports as Excel files."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser or user_roles(user) & ROLES_EXPORTING)


def roles_sync(apps: Any, roles: Iterable[Role] = tuple(Role)) -> None:
    """Create the role groups and set their permissions to exactly :data:`ROLE_PERMISSIONS`.

    Takes an app registry so data migrations can pass their historical one. Permissions of the
    registry's models are created first; those of models it does not have yet are skipped.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        # Historical app configs have no models module, and create_permissions skips those;
        # pretend one for the call, then restore the real value (not None: called with the
        # global registry, None would make every later post_migrate handler skip the app).
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        try:
            create_permissions(app_config, verbosity=0, apps=apps)
        finally:
            app_config.models_module = models_module

    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    # A model added by a later migration has no permission yet; that migration syncs again.
    existing = {
        (app_label, codename): pk
        for pk, app_label, codename in permission_model.objects.values_list(
            "pk", "content_type__app_label", "codename"
        )
    }
    for role in roles:
        group, _ = group_model.objects.get_or_create(name=role.value)
        wanted = []
        for model_label, actions in ROLE_PERMISSIONS[role].items():
            app_label, model_name = model_label.split(".")
            for action in actions:
                pk = existing.get((app_label, f"{action}_{model_name}"))
                if pk is not None:
                    wanted.append(pk)
        group.permissions.set(wanted)
