"""Dashboards, the monthly win-back report and exports (R6)."""
