"""The customer pages (R3.6, R7.2): the list of a month's scored customers, its Excel export,
the 360° page of one customer and the logged reveal of a masked contact field.

Every read goes through ``visible_to`` (advisors see their own customers; another advisor's
customer is a 404); contact data is masked everywhere and only revealed one field at a time,
each reveal and each export logged in the data access log.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import has_role, staff_page
from accounts.roles import Role, may_export
from customers.masking import CONTACT_FIELDS
from customers.models import Customer, DataAccessAction
from customers.services import customer_contact_reveal, data_access_record
from reports.customer_list import CustomerPage, customer_export_rows, customer_page
from reports.customer_profile import customer_profile
from reports.excel import DECIMAL, MONEY, PERCENT, Sheet, xlsx_response
from reports.forms import CustomerFilterForm
from segmentation.models import RfmSegment, RunKind, ScoringRun, Status
from segmentation.selectors import scoring_run_list

#: Rows an export holds at most; the file says so when the list was longer.
EXPORT_LIMIT = 50_000
#: Scored months offered in the month picker, newest first.
MONTHS_LISTED = 36
#: Query-string keys that are not filters (the page cursor).
_NOT_FILTERS = ("after",)


def _filter_query(request: HttpRequest) -> str:
    """The list's filters as a query string (without the page cursor), for the export and
    campaign links."""
    params = request.GET.copy()
    for key in _NOT_FILTERS:
        params.pop(key, None)
    return params.urlencode()


def _error_messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [str(message) for messages in error.message_dict.values() for message in messages]
    return [str(message) for message in error.messages]


@staff_page()
def customer_list(request: HttpRequest) -> HttpResponse:
    """A month's scored customers, filtered like the segment explorer, one keyset page at a
    time (never a count)."""
    errors: list[str] = []
    try:
        page = customer_page(user=request.user, filters=request.GET)
    except ValidationError as error:
        errors = _error_messages(error)
        page = CustomerPage(rows=[], run=None, next_after=None)
    runs = list(scoring_run_list().filter(kind=RunKind.MONTHLY)[:MONTHS_LISTED])
    run = page.run or _selected_run(request, runs)
    data = request.GET.copy()
    if run is not None and not data.get("month"):
        data["month"] = f"{run.month:%Y-%m}"
    filter_query = _filter_query(request)
    return render(
        request,
        "reports/customer_list.html",
        {
            "form": CustomerFilterForm(data, runs=runs),
            "page": page,
            "run": run,
            "errors": errors,
            "has_runs": bool(runs),
            "is_first_page": not request.GET.get("after"),
            "filter_query": filter_query,
            "may_export": may_export(request.user),
            "may_create_campaign": has_role(request.user, (Role.SERVICE_MARKETING, Role.MANAGER)),
            "Status": Status,
            "RfmSegment": RfmSegment,
        },
        status=400 if errors else 200,
    )


def _selected_run(request: HttpRequest, runs: list[ScoringRun]) -> ScoringRun | None:
    """The run the filters name when the page has no rows (to title an empty page)."""
    month = request.GET.get("month")
    if not month:
        return runs[0] if runs else None
    return next((run for run in runs if f"{run.month:%Y-%m}" == month), None)


@staff_page()
def customer_export(request: HttpRequest) -> HttpResponse:
    """The filtered list as an .xlsx (at most :data:`EXPORT_LIMIT` rows, contact data
    masked), logged in the data access log. Only for roles that may export."""
    if not may_export(request.user):
        raise PermissionDenied
    try:
        export = customer_export_rows(user=request.user, filters=request.GET, limit=EXPORT_LIMIT)
    except ValidationError as error:
        return HttpResponse("; ".join(_error_messages(error)), status=400)
    run, rows = export.run, export.rows
    month = formats.date_format(run.month, "YEAR_MONTH_FORMAT") if run else "—"
    note = _("Customers scored in %(month)s; contact data masked; at most %(limit)s rows.") % {
        "month": month,
        "limit": f"{EXPORT_LIMIT:,}",
    }
    if export.capped:
        note += " " + _("The list is longer: only the first %(limit)s rows are here.") % {
            "limit": f"{EXPORT_LIMIT:,}"
        }
    headers = [
        _("Customer id"),
        _("Name"),
        _("Mobile"),
        _("Sales advisor"),
        _("9-cell"),
        _("RFM segment"),
        _("Status"),
        _("Churn score"),
        _("Future value"),
        _("Value tier"),
        _("Days since last visit"),
    ]
    data_access_record(
        user=request.user,
        action=DataAccessAction.EXPORT,
        what=_("Customer list %(month)s") % {"month": month},
        rows=len(rows),
        filters=request.GET.dict(),
    )
    return xlsx_response(
        filename=_("customers-%(month)s") % {"month": f"{run.month:%Y-%m}" if run else ""},
        sheets=[
            Sheet(
                title=_("Customers"),
                headers=headers,
                rows=rows,
                formats={7: PERCENT, 8: MONEY, 10: DECIMAL},
                note=note,
            )
        ],
    )


@staff_page()
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The 360° page of one customer (read only; contact data masked, revealed on demand)."""
    profile = customer_profile(user=request.user, pk=pk)
    return render(
        request,
        "reports/customer_detail.html",
        {
            "profile": profile,
            "customer": profile.customer,
            "score": profile.score,
            "Status": Status,
            "RfmSegment": RfmSegment,
        },
    )


@staff_page()
@require_POST
def customer_reveal(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    """One contact field of a customer in full, logged (R7.2): an HTML fragment for htmx, a
    call button for a phone number."""
    if field not in CONTACT_FIELDS:
        raise Http404
    customer = get_object_or_404(Customer.objects.visible_to(request.user), pk=pk)
    value = customer_contact_reveal(user=request.user, customer=customer, field=field)
    return render(
        request,
        "reports/_revealed.html",
        {
            "field": field,
            "value": value,
            "is_phone": field in ("mobile", "phone_alt"),
            "customer": customer,
        },
    )
