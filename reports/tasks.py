"""Celery tasks of the reports: keep the dashboard's work figures counted ahead of the page
views (beat: every 4 minutes), so no manager waits for the counts."""

from __future__ import annotations

from celery import shared_task

from reports.dashboards import dashboard_figures_refresh


@shared_task(name="reports.dashboard_refresh", acks_late=True, time_limit=120)
def dashboard_refresh_task() -> None:
    """Recount the follow-up funnel and everyone's work into the cache (idempotent)."""
    dashboard_figures_refresh()
