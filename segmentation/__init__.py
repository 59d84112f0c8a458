"""Monthly scoring: RFM, the 9 cells, churn, future value and early warnings (R4)."""
