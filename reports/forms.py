"""Forms of the reports pages: the customer list's filter bar."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from reports.customer_labels import value_tier_label
from segmentation.models import RfmSegment, ScoringRun, Status
from segmentation.summaries import nine_cell_label
from winback.models import NINE_CELLS

_ALL = ("", _("All"))
#: Value tiers a run may have (``ScoringSettings.value_tiers`` is 1–5).
MAX_VALUE_TIERS = 5


class CustomerFilterForm(forms.Form):
    """The labelled selects of the customer list. It only renders the filter bar: the values
    are checked by the selector (``segmentation.selectors.score_list``), which the segment
    explorer's and campaigns' links call with the same parameters."""

    month = forms.ChoiceField(label=_("Month"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    nine_cell = forms.ChoiceField(label=_("9-cell"), required=False)
    rfm_segment = forms.ChoiceField(label=_("RFM segment"), required=False)
    value_tier = forms.ChoiceField(label=_("Value tier"), required=False)
    q = forms.CharField(
        label=_("Mobile (full number)"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, runs: Iterable[ScoringRun] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["month"].choices = [
            (f"{run.month:%Y-%m}", formats.date_format(run.month, "YEAR_MONTH_FORMAT"))
            for run in runs
        ]
        self.fields["status"].choices = [_ALL, *Status.choices]
        self.fields["nine_cell"].choices = [_ALL, *((c, nine_cell_label(c)) for c in NINE_CELLS)]
        self.fields["rfm_segment"].choices = [_ALL, *RfmSegment.choices]
        self.fields["value_tier"].choices = [
            _ALL,
            *((str(tier), value_tier_label(tier)) for tier in range(1, MAX_VALUE_TIERS + 1)),
        ]
