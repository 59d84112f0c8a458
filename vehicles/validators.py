"""Vehicle identity: VINs and Chinese licence plates, their stored form and their validators.

The ``normalize_*`` functions are the one definition of the stored form; the models'
``clean_fields()`` and the API's sync path both call them before validating."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_VIN_ALPHABET = frozenset("ABCDEFGHJKLMNPRSTUVWXYZ0123456789")
_VIN_RE = re.compile(r"[A-HJ-NPR-Z0-9]{17}")
# Province abbreviation, issuing-office letter, then 5 (regular) or 6 (new-energy) characters.
_PLATE_RE = re.compile(
    r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领][A-Z][A-HJ-NP-Z0-9]{4,5}[A-HJ-NP-Z0-9挂学警港澳]"
)


def normalize_vin(value: str | None) -> str:
    """The stored form of a VIN: without surrounding blanks, in capitals."""
    return (value or "").strip().upper()


def normalize_plate(value: str | None) -> str:
    """The stored form of a licence plate: without blanks or the middle dot, in capitals
    ("粤B · d12345" → "粤BD12345")."""
    return (value or "").replace(" ", "").replace("·", "").upper()


def validate_vin(value: str) -> None:
    """A 17-character VIN of digits and capital letters other than I, O and Q (ISO 3779)."""
    vin = normalize_vin(value)
    if len(vin) != 17:
        raise ValidationError(
            _("A VIN has 17 characters; “%(value)s” has %(length)s."),
            code="vin_length",
            params={"value": value, "length": len(vin)},
        )
    if not _VIN_RE.fullmatch(vin):
        # Everything outside the VIN alphabet, including non-ASCII letters and digits
        # (Ä, full-width ５) that ``str.isalnum`` would let through unnamed.
        bad = sorted({c for c in vin if c not in _VIN_ALPHABET})
        raise ValidationError(
            _(
                "A VIN uses digits and the letters A–Z except I, O and Q; “%(value)s” contains %(bad)s."
            ),
            code="vin_characters",
            params={"value": value, "bad": ", ".join(bad) or "?"},
        )


def validate_cn_plate(value: str) -> None:
    """A mainland Chinese licence plate such as 粤B12345 or 粤BD12345 (new energy)."""
    if value and not _PLATE_RE.fullmatch(normalize_plate(value)):
        raise ValidationError(
            _("“%(value)s” is not a valid Chinese licence plate (e.g. 粤B12345)."),
            code="plate",
            params={"value": value},
        )
