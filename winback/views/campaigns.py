"""Campaign pages (R5, R6) for service marketing and managers: the list, a new campaign from a
segment filter, a campaign's progress against its control group, and a manager's decision.
Advisors get 403."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import has_role, staff_page
from accounts.roles import Role
from winback import campaign_results, campaign_selectors, campaign_services
from winback.campaign_forms import CampaignForm
from winback.models import Campaign, CampaignStatus
from winback.outcomes import HORIZONS
from winback.presentation import SKIP_CAUSE_LABELS

PLANNERS = (Role.SERVICE_MARKETING, Role.MANAGER)
#: Campaigns per list page (keyset: the next page starts below the last id shown).
PAGE_SIZE = 50
STATUS_BADGES = {
    CampaignStatus.DRAFT: "warn",
    CampaignStatus.APPROVED: "good",
    CampaignStatus.RUNNING: "good",
    CampaignStatus.CLOSED: "",
    CampaignStatus.REJECTED: "bad",
}
VERDICT_BADGES = {
    campaign_results.CONTINUE: "good",
    campaign_results.STOP: "bad",
    campaign_results.TOO_EARLY: "warn",
}


def _filters_of(query: Any) -> dict[str, str]:
    return {key: query[key] for key in campaign_selectors.FILTER_KEYS if query.get(key)}


@staff_page(*PLANNERS)
def campaign_list(request: HttpRequest) -> HttpResponse:
    """The campaigns newest first, a page at a time, optionally of one status."""
    filters = {key: request.GET[key] for key in ("status", "before") if request.GET.get(key)}
    error = ""
    try:
        rows = list(
            campaign_selectors.campaign_list(user=request.user, filters=filters)[: PAGE_SIZE + 1]
        )
    except ValidationError:
        rows, error = [], _("This filter is not valid.")
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return render(
        request,
        "winback/campaign_list.html",
        {
            "campaigns": [(c, STATUS_BADGES[c.status]) for c in rows],
            "statuses": CampaignStatus.choices,
            "status": filters.get("status", ""),
            "next_before": rows[-1].pk if more else None,
            "error": error,
        },
    )


@staff_page(*PLANNERS)
@require_http_methods(["GET", "POST"])
def campaign_create(request: HttpRequest) -> HttpResponse:
    """A new campaign for the segment in the query string (``?month=2026-11&nine_cell=7%2B/low``),
    with the filter in words and how many customers it matches."""
    source = request.POST if request.method == "POST" else request.GET
    raw = _filters_of(source)
    filter_error = ""
    try:
        filters = campaign_selectors.campaign_filters_clean(raw)
    except ValidationError as error:
        filters, filter_error = {}, " ".join(error.messages)
    words = campaign_selectors.campaign_filter_words(filters)
    if request.method == "POST":
        form = CampaignForm(request.POST, filters=filters)
        if form.is_valid() and not filter_error:
            try:
                campaign = campaign_services.campaign_create(
                    by=request.user,
                    name=form.cleaned_data["name"],
                    filters=form.filters(),
                    plan=form.cleaned_data["plan"],
                    offer=form.cleaned_data["offer"],
                    starts_on=form.cleaned_data["starts_on"],
                    ends_on=form.cleaned_data["ends_on"],
                    owner=form.cleaned_data["owner"],
                    kind=form.cleaned_data["kind"],
                    assign_to=form.cleaned_data["assign_to"],
                )
            except ValidationError as error:
                for field, problems in error.message_dict.items():
                    form.add_error(None if field == "filters" else field, problems)
            else:
                messages.success(request, _("Campaign saved; it waits for a manager's approval."))
                return redirect("campaign_detail", pk=campaign.pk)
    else:
        name = " · ".join(value for _what, value in words[1:]) or _("New campaign")
        form = CampaignForm(
            initial=CampaignForm.defaults(user=request.user, name=name[:120]), filters=filters
        )
    count, capped = (
        campaign_selectors.campaign_match_count(user=request.user, filters=filters)
        if filters
        else (0, False)
    )
    return render(
        request,
        "winback/campaign_form.html",
        {
            "form": form,
            "words": words,
            "filter_error": filter_error,
            "count": count,
            "capped": capped,
        },
    )


def _campaign_of(request: HttpRequest, pk: int) -> Campaign:
    return get_object_or_404(
        campaign_selectors.campaign_list(user=request.user, filters={}).select_related(
            "created_by", "approved_by"
        ),
        pk=pk,
    )


@staff_page(*PLANNERS)
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A campaign: its status, segment, plan and offer, progress, and the control group."""
    campaign = _campaign_of(request, pk)
    progress = campaign_results.campaign_progress(campaign)
    code, verdict, reason = campaign_results.campaign_verdict(progress)
    comparison = [
        {"months": months, **progress[f"{months}m"]}
        for months in HORIZONS
        if progress[f"{months}m"]["contacted_n"] or progress[f"{months}m"]["control_n"]
    ]
    skipped = [
        (SKIP_CAUSE_LABELS.get(cause, cause), n)
        for cause, n in campaign.report.get("skipped", {}).items()
    ]
    is_manager = has_role(request.user, (Role.MANAGER,))
    return render(
        request,
        "winback/campaign_detail.html",
        {
            "campaign": campaign,
            "badge": STATUS_BADGES[campaign.status],
            "words": campaign_selectors.campaign_filter_words(campaign.filters),
            "progress": progress,
            "comparison": comparison,
            "verdict": verdict,
            "verdict_badge": VERDICT_BADGES[code],
            "verdict_reason": reason,
            "skipped": skipped,
            "may_decide": is_manager and campaign.status == CampaignStatus.DRAFT,
            "may_close": campaign.status == CampaignStatus.RUNNING,
        },
    )


@staff_page(*PLANNERS)
@require_POST
def campaign_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """A decision on a campaign: ``approve`` or ``reject`` (managers), ``close`` (marketing or
    managers). The services refuse anyone else (403) and make a repeated decision harmless."""
    campaign = _campaign_of(request, pk)
    decision = request.POST.get("decision", "approve")
    actions = {
        "approve": campaign_services.campaign_launch_request,
        "reject": campaign_services.campaign_reject,
        "close": campaign_services.campaign_close,
    }
    if decision not in actions:
        messages.error(request, _("Unknown decision."))
        return redirect("campaign_detail", pk=pk)
    try:
        campaign = actions[decision](campaign=campaign, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("campaign_detail", pk=pk)
    if decision == "approve":
        # Without a broker the launch ran already (eagerly, on commit).
        campaign.refresh_from_db()
        if campaign.status == CampaignStatus.RUNNING:
            messages.success(
                request,
                _(
                    "Campaign approved: %(targets)s customers, %(control)s of them held back "
                    "as control."
                )
                % {
                    "targets": f"{campaign.report.get('targets', 0):,}",
                    "control": f"{campaign.report.get('control', 0):,}",
                },
            )
        else:
            messages.success(
                request, _("Campaign approved; its customers and tasks are being prepared.")
            )
    elif decision == "reject":
        messages.success(request, _("Campaign rejected."))
    else:
        messages.success(request, _("Campaign closed; its open tasks expired."))
    return redirect("campaign_detail", pk=pk)
