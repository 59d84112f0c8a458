"""The one masking policy for customers' personal contact data (R7.2).

Pages, exports and (later) the API and the admin show a customer's mobile, other phone, WeChat
id, e-mail and address through :func:`contact_display`. Staff see them masked
(``139****5678``); a user allowed to work a customer reveals a field on demand, and every reveal
is logged by :func:`customers.services.customer_contact_reveal`. The DMS client, the system of
record, keeps full data.
"""

from __future__ import annotations

from typing import Any

from accounts.roles import Role, user_roles

#: The personal contact fields the policy covers, in display order.
CONTACT_FIELDS = ("mobile", "phone_alt", "wechat_id", "email", "address")

#: Roles that may reveal a masked field of a customer they can see (always logged).
ROLES_REVEALING = frozenset({Role.SALES_ADVISOR, Role.SERVICE_MARKETING, Role.MANAGER})

_MASK = "****"


def mask_phone(value: str) -> str:
    """``13912345678`` → ``139****5678``; short numbers keep only their last two digits."""
    digits = value.strip()
    if len(digits) >= 8:
        return f"{digits[:3]}{_MASK}{digits[-4:]}"
    return f"{_MASK}{digits[-2:]}" if digits else ""


def mask_email(value: str) -> str:
    """``wang.li@example.com`` → ``w****@example.com``."""
    local, _at, domain = value.partition("@")
    if not domain:
        return mask_text(value)
    return f"{local[:1]}{_MASK}@{domain}"


def mask_text(value: str, keep: int = 2) -> str:
    """Keep the first ``keep`` characters: ``wx_wangli88`` → ``wx****``."""
    return f"{value[:keep]}{_MASK}" if value else ""


def mask_address(value: str) -> str:
    """Keep the district part of an address (its first six characters)."""
    return mask_text(value, keep=6)


_MASKERS = {
    "mobile": mask_phone,
    "phone_alt": mask_phone,
    "wechat_id": mask_text,
    "email": mask_email,
    "address": mask_address,
}


def mask_value(field: str, value: str | None) -> str:
    """``value`` of contact field ``field`` as a masked user sees it."""
    if not value:
        return ""
    return _MASKERS[field](str(value))


def sees_full_contact_data(user: Any) -> bool:
    """True for the DMS client, which syncs the data it is the system of record for."""
    return Role.DMS_CLIENT in user_roles(user)


def may_reveal(user: Any) -> bool:
    """True for users who may reveal a field of a customer they can see (each reveal is
    logged). Which customers they see is :meth:`CustomerQuerySet.visible_to`'s business."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser or user_roles(user) & ROLES_REVEALING)


def contact_display(customer: Any, user: Any) -> dict[str, str]:
    """The customer's contact fields as ``user`` may see them without a reveal."""
    full = sees_full_contact_data(user)
    values = {field: getattr(customer, field, "") or "" for field in CONTACT_FIELDS}
    if full:
        return values
    return {field: mask_value(field, value) for field, value in values.items()}
