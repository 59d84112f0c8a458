"""Scoring codes of the customer pages (R3.6, R7.2) in words: the value tier, the badge colour
of a churn status, and a staff member's name.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

#: The badge colour of each churn status.
STATUS_BADGES = {"active": "good", "at_risk": "warn", "lost": "bad"}


def value_tier_label(tier: int | None) -> str:
    """Value tier 1 (the most valuable) to 5 as words; a dash for none."""
    if tier is None:
        return "—"
    if tier == 1:
        return _("Tier 1 (most valuable)")
    return _("Tier %(tier)s") % {"tier": tier}


def advisor_name(user: Any) -> str:
    """A staff member as people know them: full name, else the user name; a dash for none."""
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()
