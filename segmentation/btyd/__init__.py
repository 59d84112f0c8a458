"""Buy-till-you-die models for service visits and spend (R4.3, R4.4). No Django import.

Visits: BG/NBD, MBG/NBD and MBG/CNBD-k (:mod:`~segmentation.btyd.bg_nbd`) and Pareto/NBD
(:mod:`~segmentation.btyd.pareto_nbd`), each fitted by its own full likelihood and used with
its own formulas (nothing from one model is applied on top of another's fit), all through
:mod:`~segmentation.btyd.visit_model`. The scoring uses one of them
(``ScoringSettings.visit_model``); every run backtests the candidates
(``segmentation.backtest``). Spend per visit follows the Gamma-Gamma model (Fader, Hardie &
Lee 2005, "RFM and CLV"; :mod:`~segmentation.btyd.gamma_gamma`). What the fits share, the
collapsed rows and the bounded L-BFGS-B fit, is :mod:`~segmentation.btyd.fitting`.
"""
