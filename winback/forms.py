"""Forms of the follow-up work's staff pages: the short outcome form of a task on the
advisor's day (R5.1, R5.4, R5.7)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from contacts.models import ContactOutcome
from winback.models import ChurnReason, DesireStrength, PurchaseNecessity, PurchaseWindow

#: The purchase-intent fields, given all together or not at all.
INTENT_FIELDS = ("desire_strength", "necessity", "purchase_window")


def _optional(choices: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    return [("", "—"), *choices]


class TaskOutcomeForm(forms.Form):
    """What came of a task's contact: the outcome, and what was learned on the way (the churn
    reason, a purchase intent, the next step). The service ``task_close`` checks the rest."""

    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=ContactOutcome.choices, widget=forms.RadioSelect
    )
    churn_reason = forms.ChoiceField(
        label=_("Why they stayed away"),
        choices=_optional(ChurnReason.choices),
        required=False,
    )
    feedback = forms.CharField(
        label=_("What the customer said"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    next_step = forms.CharField(label=_("Next step"), required=False, max_length=255)
    next_step_due = forms.DateField(
        label=_("Next step due"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    desire_strength = forms.TypedChoiceField(
        label=_("Wish to buy a car"),
        choices=_optional(DesireStrength.choices),
        coerce=int,
        empty_value=None,
        required=False,
    )
    necessity = forms.ChoiceField(
        label=_("Need"), choices=_optional(PurchaseNecessity.choices), required=False
    )
    purchase_window = forms.ChoiceField(
        label=_("Expected purchase"), choices=_optional(PurchaseWindow.choices), required=False
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        given = [name for name in INTENT_FIELDS if cleaned.get(name) not in (None, "")]
        if given and len(given) < len(INTENT_FIELDS):
            for name in INTENT_FIELDS:
                if name not in given:
                    self.add_error(
                        name,
                        _("For a purchase intent, give the wish, the need and when together."),
                    )
        return cleaned

    def close_arguments(self) -> dict[str, Any]:
        """The keyword arguments of ``winback.services.task_close`` this form gives."""
        data = self.cleaned_data
        intent = None
        if data.get("desire_strength") is not None:
            intent = {name: data[name] for name in INTENT_FIELDS}
        return {
            "outcome": data["outcome"],
            "churn_reason": data["churn_reason"],
            "feedback": data["feedback"],
            "next_step": data["next_step"],
            "next_step_due": data["next_step_due"],
            "intent": intent,
        }

    def add_service_error(self, error: ValidationError) -> None:
        """Show a service's ``ValidationError`` on the fields it names, the rest above the
        form (a service may name fields this form does not have)."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error.messages)
            return
        for field, messages in error.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)
