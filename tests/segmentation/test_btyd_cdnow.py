"""The visit and spend models reproduce published results on the CDNOW 1/10 sample.

Data: the CDNOW sample summary shipped with lifetimes (2,357 customers, calibration period
ending 1997-09-30, times in weeks). Published figures:
- BG/NBD: Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way", Marketing
  Science 24(2): r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, log-likelihood = -9582.4.
- Gamma-Gamma on the 946 repeat buyers: Fader, Hardie & Lee (2005), "RFM and CLV", Journal of
  Marketing Research 42(4), and Fader & Hardie's note on the Gamma-Gamma model:
  p = 6.25, q = 3.74, gamma = 15.44.
"""

from __future__ import annotations

import time
from pathlib import Path

import lifetimes
import numpy as np
import pandas as pd
import pytest

from segmentation import btyd

CDNOW = (
    Path(lifetimes.__file__).parent / "datasets" / "cdnow_customers_summary_with_transactions.csv"
)


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    data = pd.read_csv(CDNOW)
    assert len(data) == 2357
    return data


def test_bgnbd_reproduces_fader_hardie_lee_2005(cdnow):
    started = time.perf_counter()
    model = btyd.fit_visit_model(cdnow["x"], cdnow["t_x"], cdnow["T"], resolution=1e-6)
    assert time.perf_counter() - started < 5  # well under a second here; generous for CI noise
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert getattr(model, name) == pytest.approx(value, rel=0.01), name
    assert model.log_likelihood == pytest.approx(-9582.4, rel=1e-4)
    assert model.customers == 2357
    assert model.rows < 2357  # the fit ran on collapsed rows


def test_collapsing_to_whole_days_changes_nothing_that_matters(cdnow):
    exact = btyd.fit_visit_model(cdnow["x"], cdnow["t_x"], cdnow["T"], resolution=1e-6)
    daily = btyd.fit_visit_model(cdnow["x"], cdnow["t_x"], cdnow["T"], resolution=1 / 7)
    for name in ("r", "alpha", "a", "b"):
        assert getattr(daily, name) == pytest.approx(getattr(exact, name), rel=0.01)


def test_gamma_gamma_reproduces_the_published_cdnow_figures(cdnow):
    model = btyd.fit_spend_model(cdnow["x"], cdnow["zbar"], rounding=1e-6)
    assert model.customers == 946
    assert model.p == pytest.approx(6.25, rel=0.01)
    assert model.q == pytest.approx(3.74, rel=0.01)
    assert model.gamma == pytest.approx(15.44, rel=0.01)


def test_p_alive_matches_lifetimes_for_repeat_buyers_and_uses_mbgnbd_for_none(cdnow):
    model = btyd.fit_visit_model(cdnow["x"], cdnow["t_x"], cdnow["T"], resolution=1e-6)
    fitter = lifetimes.BetaGeoFitter()
    fitter.params_ = pd.Series({"r": model.r, "alpha": model.alpha, "a": model.a, "b": model.b})
    repeat = cdnow[cdnow["x"] > 0]
    ours = btyd.p_alive(model, repeat["x"], repeat["t_x"], repeat["T"])
    theirs = fitter.conditional_probability_alive(repeat["x"], repeat["t_x"], repeat["T"])
    np.testing.assert_allclose(ours, theirs, rtol=1e-9)
    # BG/NBD says 1 for anyone without a repeat purchase; our rule decays with silence.
    young, old = btyd.p_alive(model, [0, 0], [0, 0], [1.0, 38.0])
    assert 0 < old < young < 1
    expected = 1 / (1 + (model.a / model.b) * ((model.alpha + 38.0) / model.alpha) ** model.r)
    assert old == pytest.approx(expected)
