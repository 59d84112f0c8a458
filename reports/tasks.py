"""Celery tasks of the reports: count the dashboard's work figures (every 4 minutes) and the
latest monthly reports (each morning, after the outcomes are measured) ahead of the page
views, so no manager waits for the counts."""

from __future__ import annotations

from celery import shared_task

from reports.dashboards import dashboard_figures_refresh
from reports.monthly_figures import monthly_reports_refresh


@shared_task(name="reports.dashboard_refresh", acks_late=True, time_limit=120)
def dashboard_refresh_task() -> None:
    """Recount the follow-up funnel and everyone's work into the cache (idempotent)."""
    dashboard_figures_refresh()


@shared_task(name="reports.monthly_report_refresh", acks_late=True, time_limit=600)
def monthly_report_refresh_task() -> list[str]:
    """Recount the latest monthly reports into the cache; returns the months (idempotent)."""
    return [f"{month:%Y-%m}" for month in monthly_reports_refresh()]
