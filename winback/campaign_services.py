"""The writes of marketing campaigns (R5, R6): :func:`campaign_create` (marketing or manager),
:func:`campaign_launch_request` (manager; the launch runs in a worker as :func:`campaign_launch`),
:func:`campaign_approve` (launches the campaign set-based through the round's own loader and
planner, so the never-spam rules are the round's), :func:`campaign_reject`, :func:`campaign_close`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role, user_roles
from core.queue import task_enqueue_on_commit
from customers.filters import month_clean
from segmentation.selectors import score_list, scoring_run_current
from winback import loaders, planning
from winback.campaign_selectors import campaign_filters_clean, plans_campaigns
from winback.models import (
    Campaign,
    CampaignStatus,
    ContactPlan,
    ContactPlanStep,
    Offer,
    PlanStatus,
    Target,
    Task,
    TaskKind,
    TaskStatus,
    WinbackConfiguration,
)

#: Kinds of work a campaign may be filed under (its tasks' kind).
CAMPAIGN_KINDS = (TaskKind.CAMPAIGN, TaskKind.WIN_BACK, TaskKind.CHURN_WARNING, TaskKind.CARE)


def _is_manager(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False) or Role.MANAGER in user_roles(user))


@transaction.atomic
def campaign_create(
    *,
    by: Any,
    name: str,
    filters: Mapping[str, Any],
    plan: ContactPlan,
    offer: Offer | None,
    starts_on: dt.date,
    ends_on: dt.date,
    owner: Any,
    kind: str = TaskKind.CAMPAIGN,
    assign_to: str = "sales_advisor",
    now: dt.datetime | None = None,
) -> Campaign:
    """Draft a campaign awaiting a manager's approval. Service marketing or a manager only
    (``PermissionDenied`` otherwise); ``ValidationError`` per field for a bad filter, a plan
    without a first step, an inactive offer, a period upside down or in the past, or an owner
    who does not plan campaigns. The control share is the configuration's at the time.
    ``now`` (default: now) lets the demo draft campaigns in the past."""
    if not plans_campaigns(by):
        raise PermissionDenied
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    try:
        cleaned = campaign_filters_clean(filters)
    except ValidationError as error:
        errors["filters"] = error.messages
        cleaned = {}
    if not name.strip():
        errors["name"] = [_("Give the campaign a name.")]
    if not ContactPlanStep.objects.filter(plan=plan, number=1).exists():
        errors["plan"] = [_("This plan has no first step.")]
    if offer is not None and not offer.is_active:
        errors["offer"] = [_("This offer is no longer active.")]
    if ends_on < starts_on:
        errors["ends_on"] = [_("The campaign ends before it starts.")]
    elif ends_on < timezone.localdate(now):
        errors["ends_on"] = [_("This period is over already.")]
    if kind not in CAMPAIGN_KINDS:
        errors["kind"] = [_("Choose a kind of work from the list.")]
    if not owner.is_active or not plans_campaigns(owner):
        errors["owner"] = [_("The owner must be an active marketing staff member or manager.")]
    if errors:
        raise ValidationError(errors)
    return Campaign.objects.create(
        name=name.strip(),
        filters=cleaned,
        kind=kind,
        plan=plan,
        offer=offer,
        assign_to=assign_to,
        starts_on=starts_on,
        ends_on=ends_on,
        owner=owner,
        control_share=WinbackConfiguration.active_settings().control_share,
        created_by=by,
        created_at=now,
    )


def _locked(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


@transaction.atomic
def campaign_launch_request(
    *, campaign: Campaign, by: Any, now: dt.datetime | None = None
) -> Campaign:
    """Approve a draft (manager only) and enqueue its launch on commit: the launch reads every
    scored customer's inputs (seconds at a million customers), which is a worker's job, not a
    web request's. The campaign shows as approved and launching until the worker has run
    :func:`campaign_launch`. Approving again changes nothing; a rejected or closed campaign or
    a period that is over raises ``ValidationError``.
    """
    if not _is_manager(by):
        raise PermissionDenied
    campaign = _locked(campaign)
    if campaign.status in (CampaignStatus.APPROVED, CampaignStatus.RUNNING):
        return campaign
    _check_draft(campaign)
    now = now or timezone.now()
    if campaign.ends_on < timezone.localdate(now):
        raise ValidationError({"ends_on": [_("This period is over already.")]})
    campaign.status = CampaignStatus.APPROVED
    campaign.approved_by = by
    campaign.approved_at = now
    campaign.report = {}
    campaign.save(update_fields=["status", "approved_by", "approved_at", "report"])
    task_enqueue_on_commit("winback.campaign_launch", campaign.pk)
    return campaign


def campaign_launch(*, campaign_id: int) -> Campaign | None:
    """Launch an approved campaign (the worker's half of :func:`campaign_launch_request`),
    as the manager who approved it sees the customers. Idempotent: a campaign already running
    (a redelivered task) is left alone. When the launch is impossible (the month's scores or
    the plan's first step went missing meanwhile) the campaign goes back to draft with the
    reason in its report, so a manager sees why and can decide again."""
    campaign = Campaign.objects.select_related("approved_by").filter(pk=campaign_id).first()
    if campaign is None or campaign.status != CampaignStatus.APPROVED:
        return campaign
    try:
        return campaign_approve(
            campaign=campaign, by=campaign.approved_by, now=campaign.approved_at
        )
    except ValidationError as error:
        Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.APPROVED).update(
            status=CampaignStatus.DRAFT, report={"error": " ".join(error.messages)}
        )
        campaign.refresh_from_db()
        return campaign


def campaign_approve(*, campaign: Campaign, by: Any, now: dt.datetime | None = None) -> Campaign:
    """Approve a draft and launch it at once (manager only), set-based; staff pages approve
    through :func:`campaign_launch_request`, which runs this in a worker.

    The customers of the filter (``score_list`` as the approving manager sees them) go through
    the round's own loader and planner (:mod:`winback.loaders`, :func:`planning.plan_round`)
    with one rule of the campaign's kind: who refuses all contact, already holds an open task
    of the kind, has nobody to assign, no allowed channel (opted out, no contact data) or has
    reached the contact cap is skipped, with the cause counted in the report. Of the rest the
    control share is held back (a fixed draw per campaign and customer); the others get a
    target carrying the campaign's offer and the plan's first-step task (named after the
    campaign), assigned to the advisor or the owner as the campaign says, written in bulk.

    As for a round, the inputs are read and planned before the write transaction (on
    PostgreSQL over two connections); the transaction then locks the campaign row and writes
    only if it is still a draft. So approving twice, or two managers at once, launches once.
    A rejected or closed campaign raises ``ValidationError``; nothing is written then.
    """
    if not _is_manager(by):
        raise PermissionDenied
    campaign = Campaign.objects.get(pk=campaign.pk)
    if campaign.status == CampaignStatus.RUNNING:
        return campaign
    _check_draft(campaign)
    now = now or timezone.now()
    today = timezone.localdate(now)
    if campaign.ends_on < today:
        raise ValidationError({"ends_on": [_("This period is over already.")]})
    filters = campaign_filters_clean(campaign.filters)
    run = scoring_run_current(month_clean(filters["month"]))
    step = ContactPlanStep.objects.filter(plan_id=campaign.plan_id, number=1).first()
    if run is None or step is None:
        raise ValidationError(_("The month's scores or the plan's first step are missing."))
    settings = WinbackConfiguration.active_settings()
    starts_on = max(campaign.starts_on, today)
    rule = planning.Rule(
        id=0,
        kind=campaign.kind,
        assign_to=campaign.assign_to,
        measure_uplift=campaign.control_share > 0,
        cooldown_days=0,
        plan_id=campaign.plan_id,
        step_channel=step.channel,
        step_days=step.days_after_previous,
        step_open_days=step.open_days,
        step_script=step.script,
    )
    wanted = list(score_list(user=by, filters=filters).values_list("customer_id", flat=True))
    inputs = loaders.planning_inputs_load(
        run_id=run.pk, starts_on=starts_on, cap_days=settings.contact_cap_days, rules=[rule]
    )
    inputs.scores = inputs.scores[inputs.scores["customer_id"].isin(wanted)]
    plan = planning.plan_round(
        inputs,
        [rule],
        run_id=campaign.pk,
        starts_on=starts_on,
        contact_cap=settings.contact_cap,
        control_share=campaign.control_share,
        daily_capacity=settings.daily_capacity,
        default_window=settings.default_window,
        fallback_channels=settings.fallback_channels,
    )
    with transaction.atomic():
        campaign = _locked(campaign)
        if campaign.status == CampaignStatus.RUNNING:
            return campaign
        _check_draft(campaign)
        target_ids = loaders.targets_write(
            targets=plan.targets,
            anchor_on=starts_on,
            campaign_id=campaign.pk,
            offer_id=campaign.offer_id,
        )
        loaders.tasks_write(
            run_id=run.pk,
            tasks=plan.tasks,
            target_ids=target_ids,
            now=now,
            note=campaign.name,
            offer_id=campaign.offer_id,
        )
        campaign.status = CampaignStatus.RUNNING
        campaign.approved_by = by
        campaign.approved_at = now
        campaign.report = {
            "starts_on": starts_on.isoformat(),
            "candidates": plan.report["candidates"],
            "targets": plan.report["created"] + plan.report["control"],
            "created": plan.report["created"],
            "control": plan.report["control"],
            "skipped": plan.report["skipped"],
        }
        campaign.save(update_fields=["status", "approved_by", "approved_at", "report"])
    return campaign


def _check_draft(campaign: Campaign) -> None:
    # An approved campaign is a draft whose launch is queued.
    if campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.APPROVED):
        raise ValidationError(
            _("This campaign is %(status)s; only a draft can be approved.")
            % {"status": campaign.get_status_display().lower()}
        )


@transaction.atomic
def campaign_reject(*, campaign: Campaign, by: Any, now: dt.datetime | None = None) -> Campaign:
    """Turn a draft down (manager only); a rejected campaign launches nothing. Rejecting a
    rejected campaign does nothing; a running or closed one raises ``ValidationError``."""
    if not _is_manager(by):
        raise PermissionDenied
    campaign = _locked(campaign)
    if campaign.status == CampaignStatus.REJECTED:
        return campaign
    if campaign.status != CampaignStatus.DRAFT:
        raise ValidationError(_("Only a campaign awaiting approval can be rejected."))
    campaign.status = CampaignStatus.REJECTED
    campaign.approved_by = by
    campaign.approved_at = now or timezone.now()
    campaign.save(update_fields=["status", "approved_by", "approved_at"])
    return campaign


@transaction.atomic
def campaign_close(*, campaign: Campaign, by: Any, now: dt.datetime | None = None) -> Campaign:
    """End a running campaign (marketing or manager): its open tasks expire and their plans
    end as not worked in time; its targets are still measured. Closing twice does nothing."""
    if not plans_campaigns(by):
        raise PermissionDenied
    campaign = _locked(campaign)
    if campaign.status == CampaignStatus.CLOSED:
        return campaign
    if campaign.status != CampaignStatus.RUNNING:
        raise ValidationError(_("Only a running campaign can be closed."))
    now = now or timezone.now()
    targets = Target.objects.filter(campaign=campaign)
    Task.objects.open().filter(target_id__in=targets.values("id")).update(
        status=TaskStatus.EXPIRED, closed_at=now, updated_at=now
    )
    targets.filter(plan_status=PlanStatus.ACTIVE).update(plan_status=PlanStatus.EXPIRED)
    campaign.status = CampaignStatus.CLOSED
    campaign.closed_at = now
    campaign.save(update_fields=["status", "closed_at"])
    return campaign
