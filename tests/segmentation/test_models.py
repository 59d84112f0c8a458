"""The labelled churn indicators are exactly the pipeline's indicators."""

from __future__ import annotations

from segmentation.models import ChurnIndicator, CustomerScore
from segmentation.scoring_settings import CHURN_INDICATORS


def test_every_pipeline_indicator_has_a_label_and_a_score_column():
    assert tuple(ChurnIndicator.values) == CHURN_INDICATORS
    columns = {f.name for f in CustomerScore._meta.get_fields()}
    assert {f"churn_{name}" for name in CHURN_INDICATORS} <= columns
