"""The manager's monthly win-back report (R6.1): the page of one month and its Excel file.

Managers and service marketing read it; the Excel file (the figures and the customers behind
them, contact data masked) is for the roles that may export, and every download is logged.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.access import staff_page
from accounts.roles import Role, may_export
from contacts.models import ContactChannel
from core.months import MonthFormatError, parse_month
from customers.models import DataAccessAction
from customers.services import data_access_record
from reports.excel import xlsx_response
from reports.monthly_calendar import WINDOW_MONTHS, report_month_latest, report_months
from reports.monthly_figures import MINUTES_PER_CONTACT, monthly_report
from reports.monthly_workbook import monthly_report_sheets
from segmentation.models import Status
from winback.campaign_results import MIN_MEASURED_CONTACTED, MIN_MEASURED_CONTROL, MIN_UPLIFT_POINTS
from winback.models import TaskKind

_ROLES = (Role.MANAGER, Role.SERVICE_MARKETING)


def _missing(request: HttpRequest, message: str) -> HttpResponse:
    """A 404 page that says why and offers the months that have results."""
    context = {"message": message, "months": report_months()}
    return render(request, "reports/monthly_missing.html", context, status=404)


def _month_or_none(month: str) -> Any:
    try:
        value = parse_month(month)
    except MonthFormatError:
        return None
    return value if value in report_months() else False


@staff_page(*_ROLES)
def report_monthly_latest(request: HttpRequest) -> HttpResponse:
    """The report of the month picked (``?month=YYYY-MM``, the month picker's form), else of
    the latest month with results."""
    picked = request.GET.get("month")
    if picked:
        return redirect("report_monthly", month=picked[:7])
    month = report_month_latest()
    if month is None:
        return _missing(
            request, _("No win-back round has run yet: the report starts with the first round.")
        )
    return redirect("report_monthly", month=f"{month:%Y-%m}")


@staff_page(*_ROLES)
def report_monthly(request: HttpRequest, month: str) -> HttpResponse:
    """The report of ``month`` (``YYYY-MM``); 404 with the reason for a bad or empty month."""
    day = _month_or_none(month)
    if day is None:
        return _missing(
            request,
            _("“%(month)s” is not a month: write it as YYYY-MM, e.g. 2026-10.") % {"month": month},
        )
    if day is False:
        return _missing(
            request, _("There are no win-back results for %(month)s.") % {"month": month}
        )
    report = monthly_report(user=request.user, month=day)
    context = {
        "report": report,
        "months": report_months(),
        "may_export": may_export(request.user),
        "minutes": [
            (ContactChannel(channel).label, minutes)
            for channel, minutes in MINUTES_PER_CONTACT.items()
        ],
        "window_months": WINDOW_MONTHS,
        "min_contacted": MIN_MEASURED_CONTACTED,
        "min_control": MIN_MEASURED_CONTROL,
        "min_uplift": MIN_UPLIFT_POINTS,
        "kinds": TaskKind,
        "statuses": Status,
        "channels": ContactChannel,
    }
    return render(request, "reports/monthly.html", context)


@staff_page(*_ROLES)
def report_monthly_xlsx(request: HttpRequest, month: str) -> HttpResponse:
    """The month's figures and the customers behind them as an Excel file (contact data masked),
    logged in the data access log; 403 for roles that may not export."""
    if not may_export(request.user):
        raise PermissionDenied
    day = _month_or_none(month)
    if not day:
        return _missing(
            request, _("There are no win-back results for %(month)s.") % {"month": month}
        )
    report = monthly_report(user=request.user, month=day)
    export = monthly_report_sheets(user=request.user, report=report)
    response = xlsx_response(
        filename=_("Win-back report %(month)s") % {"month": f"{day:%Y-%m}"},
        sheets=export.sheets,
    )
    # Logged once the file is written, with the number of customer rows it holds.
    data_access_record(
        user=request.user,
        action=DataAccessAction.EXPORT,
        what=_("Monthly win-back report %(month)s") % {"month": f"{day:%Y-%m}"},
        rows=export.customer_rows,
        filters={"month": f"{day:%Y-%m}"},
    )
    return response
