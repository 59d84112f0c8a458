"""The form of a new campaign: what marketing fills in around a segment filter it brings along
from the segment explorer or the customer list (hidden fields, shown in words)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from winback.campaign_selectors import FILTER_KEYS
from winback.campaign_services import CAMPAIGN_KINDS
from winback.models import AssignTo, ContactPlan, Offer, TaskKind

#: A new campaign runs this many days unless marketing says otherwise.
DEFAULT_DAYS = 30


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class _StaffChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.get_username()


def campaign_planners() -> Any:
    """Active service-marketing staff and managers: who may own a campaign."""
    return (
        get_user_model()
        .objects.filter(
            Q(groups__name__in=[Role.SERVICE_MARKETING, Role.MANAGER]) | Q(is_superuser=True),
            is_active=True,
        )
        .distinct()
        .order_by("first_name", "username")
    )


class CampaignForm(forms.Form):
    """Name, plan, offer, period, owner; the segment filter rides along in hidden fields."""

    name = forms.CharField(label=_("Campaign name"), max_length=120)
    plan = forms.ModelChoiceField(
        label=_("Contact plan"), queryset=ContactPlan.objects.order_by("name"), empty_label=None
    )
    offer = forms.ModelChoiceField(
        label=_("Offer"),
        queryset=Offer.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label=_("No offer"),
    )
    kind = forms.ChoiceField(label=_("Kind of work"), choices=[])
    assign_to = forms.ChoiceField(label=_("Tasks go to"), choices=AssignTo.choices)
    starts_on = forms.DateField(label=_("Starts on"), widget=_DateInput())
    ends_on = forms.DateField(label=_("Ends on"), widget=_DateInput())
    owner = _StaffChoice(label=_("Owner"), queryset=campaign_planners(), empty_label=None)

    def __init__(self, *args: Any, filters: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(TaskKind.choices)
        self.fields["kind"].choices = [(kind, labels[kind]) for kind in CAMPAIGN_KINDS]
        self.fields["owner"].queryset = campaign_planners()
        for key in FILTER_KEYS:
            self.fields[key] = forms.CharField(required=False, widget=forms.HiddenInput())
            if filters and key in filters:
                self.initial[key] = filters[key]

    @staticmethod
    def defaults(*, user: Any, name: str) -> dict[str, Any]:
        """Initial values: today for a month, the first plan, the signed-in user as owner."""
        today = timezone.localdate()
        return {
            "name": name,
            "plan": ContactPlan.objects.order_by("name").values_list("pk", flat=True).first(),
            "kind": TaskKind.CAMPAIGN,
            "starts_on": today,
            "ends_on": today + dt.timedelta(days=DEFAULT_DAYS),
            "owner": user.pk,
        }

    def filters(self) -> dict[str, str]:
        """The segment filter the form carried (cleaned data, empty values left out)."""
        return {key: self.cleaned_data[key] for key in FILTER_KEYS if self.cleaned_data.get(key)}
