"""Marketing campaigns (R5, R6): a saved segment filter with a contact plan, an offer, a period
and an owner, approved by a manager, launched like a round, measured like a round.

- Writes: :func:`campaign_create` (marketing or manager), :func:`campaign_approve` (manager;
  launches the campaign set-based through the round's own loader and planner, so the never-spam
  rules are the round's), :func:`campaign_reject`, :func:`campaign_close`.
- Reads: :func:`campaign_list`, :func:`campaign_filters_clean`, :func:`campaign_filter_words`,
  :func:`campaign_match_count`, :func:`campaign_progress` and :func:`campaign_verdict` (also
  applied by the monthly report to ``winback.outcomes.outcome_summary`` of each rule's kind).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import django_filters
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, DecimalField, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import Role, user_roles
from core.months import MonthFormatError, parse_month
from core.queue import task_enqueue_on_commit
from customers.filters import filter_apply, month_clean
from segmentation.filters import ScoreFilter
from segmentation.models import CustomerScore, RfmSegment, Status
from segmentation.selectors import score_list, scoring_run_current
from segmentation.summaries import nine_cell_label
from winback import loaders, planning
from winback.models import (
    NINE_CELLS,
    Campaign,
    CampaignStatus,
    ContactPlan,
    ContactPlanStep,
    Offer,
    PlanStatus,
    Target,
    TargetGroup,
    Task,
    TaskKind,
    TaskStatus,
    WinbackConfiguration,
)
from winback.outcomes import HORIZONS

#: The segment explorer's filters a campaign keeps (the query parameters of ``score_list``).
FILTER_KEYS = ("month", "nine_cell", "rfm_segment", "status", "value_tier")
#: Kinds of work a campaign may be filed under (its tasks' kind).
CAMPAIGN_KINDS = (TaskKind.CAMPAIGN, TaskKind.WIN_BACK, TaskKind.CHURN_WARNING, TaskKind.CARE)
#: The match preview counts up to this many customers ("1,000+").
PREVIEW_CAP = 1000

#: A verdict needs this many measured targets in each group at one horizon.
MIN_MEASURED_CONTACTED = 30
MIN_MEASURED_CONTROL = 10
#: Contacts must beat the control group's came-back rate by this many percentage points.
MIN_UPLIFT_POINTS = 2.0

CONTINUE, STOP, TOO_EARLY = "continue", "stop", "too_early"
VERDICT_LABELS = {
    CONTINUE: gettext_lazy("Worth continuing"),
    STOP: gettext_lazy("Stop or change it"),
    TOO_EARLY: gettext_lazy("Too early to tell"),
}

_MONEY = DecimalField(max_digits=14, decimal_places=2)


def _may_plan(user: Any) -> bool:
    """Service marketing, managers and superusers plan campaigns."""
    return bool(
        getattr(user, "is_superuser", False)
        or user_roles(user) & {Role.SERVICE_MARKETING, Role.MANAGER}
    )


def _is_manager(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False) or Role.MANAGER in user_roles(user))


# --- filters ------------------------------------------------------------------------------


def campaign_filters_clean(filters: Mapping[str, Any]) -> dict[str, str]:
    """The segment filter a campaign keeps: the known keys with a value, checked by the
    segment explorer's own :class:`ScoreFilter` (plus the nine cells that exist), with the
    month made explicit (default: the latest month scored) so the campaign's segment does not
    move when a new month is scored.

    Raises ``ValidationError`` naming the field for an unknown key, a bad value, or a month
    without scores.
    """
    unknown = sorted(set(filters) - set(FILTER_KEYS))
    if unknown:
        raise ValidationError(
            _("Unknown segment filter: %(keys)s.") % {"keys": ", ".join(unknown)}, code="unknown"
        )
    cleaned = {key: str(filters[key]).strip() for key in FILTER_KEYS if filters.get(key)}
    cleaned = {key: value for key, value in cleaned.items() if value}
    month = month_clean(cleaned.get("month"))
    filter_apply(ScoreFilter, cleaned, CustomerScore.objects.none())
    if cleaned.get("nine_cell") and cleaned["nine_cell"] not in NINE_CELLS:
        raise ValidationError({"nine_cell": [_("Choose one of the nine cells.")]})
    run = scoring_run_current(month)
    if run is None:
        raise ValidationError({"month": [_("This month has not been scored.")]})
    cleaned["month"] = run.month.strftime("%Y-%m")
    return cleaned


def campaign_filter_words(filters: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The segment filter in words for people: ``(what, value)`` pairs, no codes."""
    words: list[tuple[str, str]] = []
    if filters.get("month"):
        try:
            month = formats.date_format(parse_month(str(filters["month"])), "YEAR_MONTH_FORMAT")
        except MonthFormatError:
            month = str(filters["month"])
        words.append((_("Scores of"), month))
    cell = filters.get("nine_cell")
    if cell:
        words.append((_("Nine cell"), nine_cell_label(str(cell))))
    if filters.get("status"):
        words.append((_("Churn status"), str(dict(Status.choices).get(filters["status"], ""))))
    if filters.get("rfm_segment"):
        label = dict(RfmSegment.choices).get(filters["rfm_segment"], "")
        words.append((_("RFM segment"), str(label)))
    if filters.get("value_tier"):
        words.append(
            (
                _("Value tier"),
                _("tier %(tier)s (1 = most valuable)") % {"tier": filters["value_tier"]},
            )
        )
    return words


def campaign_match_count(*, user: Any, filters: Mapping[str, Any]) -> tuple[int, bool]:
    """How many customers the filter matches for ``user``, counted up to
    :data:`PREVIEW_CAP`: ``(count, capped)``; ``capped`` means "more than the count"."""
    ids = score_list(user=user, filters=filters).values("id")[: PREVIEW_CAP + 1]
    count = CustomerScore.objects.filter(id__in=ids).count()
    return min(count, PREVIEW_CAP), count > PREVIEW_CAP


# --- writes -------------------------------------------------------------------------------


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
    if not _may_plan(by):
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
    if not owner.is_active or not _may_plan(owner):
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
    if not _may_plan(by):
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


# --- reads --------------------------------------------------------------------------------


class CampaignFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=CampaignStatus.choices)
    before = django_filters.NumberFilter(field_name="id", lookup_expr="lt", min_value=1)

    class Meta:
        model = Campaign
        fields: list[str] = []


def campaign_list(*, user: Any, filters: Mapping[str, Any]) -> QuerySet[Campaign]:
    """Campaigns newest first, for service marketing and managers (none for anyone else),
    filtered by :class:`CampaignFilter` (``status``; ``before`` an id, for keyset pages).
    Raises ``ValidationError`` for a bad filter value."""
    queryset = Campaign.objects.all() if _may_plan(user) else Campaign.objects.none()
    queryset = filter_apply(CampaignFilter, filters, queryset)
    return queryset.select_related("owner", "plan", "offer").order_by("-id")


def campaign_progress(campaign: Campaign) -> dict[str, Any]:
    """How a campaign is doing, in one aggregate query over its targets (and one for the
    offer's price unless the campaign was read with ``select_related("offer")``).

    Keys: ``targets`` (all, both groups), ``contacted_group`` and ``control`` (group sizes),
    ``contacted`` (targets with a first contact), ``reached`` (plans that ended answered or
    refused: somebody talked to the customer), ``came_back_1m`` / ``came_back_3m`` (contacted
    targets back within 1 / 3 months, among those measured), ``revenue`` (spend of the
    contacted group at the longest horizon measured so far, ``Decimal``), ``offer_matched``,
    ``offer_cost`` (the offer's price × customers reached, ``Decimal``, None without a priced
    offer), and ``"1m"``, ``"2m"``, ``"3m"``: exactly what
    :func:`winback.outcomes.outcome_summary` gives for the same targets (rates, spend, uplift
    in points), so :func:`campaign_verdict` reads either.
    """
    aggregates: dict[str, Any] = {
        "n": Count("id"),
        "contacted": Count("id", filter=Q(first_contact_at__isnull=False)),
        "reached": Count("id", filter=Q(plan_status__in=[PlanStatus.ANSWERED, PlanStatus.REFUSED])),
        "revenue": Sum(Coalesce("spend_3m", "spend_2m", "spend_1m", output_field=_MONEY)),
        "matched": Count("id", filter=Q(offer_matched=True)),
    }
    for months in HORIZONS:
        returned = f"returned_{months}m"
        aggregates[f"measured_{months}m"] = Count("id", filter=Q(**{f"{returned}__isnull": False}))
        aggregates[f"back_{months}m"] = Count("id", filter=Q(**{returned: True}))
        aggregates[f"spend_{months}m"] = Sum(f"spend_{months}m")
    rows = {
        row["group"]: row
        for row in Target.objects.filter(campaign=campaign)
        .values("group")
        .annotate(**aggregates)
        .order_by()
    }
    empty: dict[str, Any] = dict.fromkeys(aggregates, 0)
    contacted = rows.get(TargetGroup.CONTACTED, empty)
    control = rows.get(TargetGroup.CONTROL, empty)
    price = campaign.offer.price if campaign.offer_id and campaign.offer else None
    progress: dict[str, Any] = {
        "targets": contacted["n"] + control["n"],
        "contacted_group": contacted["n"],
        "control": control["n"],
        "contacted": contacted["contacted"],
        "reached": contacted["reached"],
        "came_back_1m": contacted["back_1m"],
        "came_back_3m": contacted["back_3m"],
        "revenue": contacted["revenue"] or Decimal("0"),
        "offer_matched": contacted["matched"],
        "offer_cost": price * contacted["reached"] if price is not None else None,
    }
    for months in HORIZONS:
        entry: dict[str, float | int | None] = {}
        for group, row in (("contacted", contacted), ("control", control)):
            measured = row[f"measured_{months}m"]
            entry[f"{group}_n"] = measured
            entry[f"{group}_rate"] = row[f"back_{months}m"] / measured if measured else None
            entry[f"{group}_spend"] = float(row[f"spend_{months}m"] or 0)
        rates = entry["contacted_rate"], entry["control_rate"]
        entry["uplift_points"] = (
            100 * (rates[0] - rates[1]) if None not in rates else None  # type: ignore[operator]
        )
        progress[f"{months}m"] = entry
    return progress


def campaign_verdict(summary: Mapping[str, Any]) -> tuple[str, str, str]:
    """Is the work worth continuing? ``(code, label, reason)``, code ``continue``, ``stop`` or
    ``too_early``; label and reason in the reader's language.

    ``summary`` is :func:`campaign_progress`'s result or
    :func:`winback.outcomes.outcome_summary`'s (the ``"1m"``/``"2m"``/``"3m"`` entries; an
    ``offer_cost`` key is optional). The rule:

    1. The horizon judged is the longest of +3, +2, +1 months at which at least
       :data:`MIN_MEASURED_CONTACTED` contacted and :data:`MIN_MEASURED_CONTROL` control targets
       are measured; with none, **too early** (a campaign without a control group stays too
       early: nothing to compare with).
    2. Uplift = contacted minus control came-back rate, in percentage points. Below
       :data:`MIN_UPLIFT_POINTS`: **stop** — the contacts do not bring customers back.
    3. Extra revenue = (contacted spend per target − control spend per target) × contacted
       targets measured. When an offer cost is known and the extra revenue is below it:
       **stop** — the customers come back but do not pay for the offer.
    4. Otherwise **continue**.
    """
    for months in reversed(HORIZONS):
        entry = summary.get(f"{months}m") or {}
        contacted_n = entry.get("contacted_n") or 0
        control_n = entry.get("control_n") or 0
        if contacted_n >= MIN_MEASURED_CONTACTED and control_n >= MIN_MEASURED_CONTROL:
            break
    else:
        entry = summary.get(f"{HORIZONS[0]}m") or {}
        reason = _(
            "%(contacted)s contacted and %(control)s control customers measured after a month; "
            "a verdict needs at least %(min_contacted)s and %(min_control)s."
        ) % {
            "contacted": entry.get("contacted_n") or 0,
            "control": entry.get("control_n") or 0,
            "min_contacted": MIN_MEASURED_CONTACTED,
            "min_control": MIN_MEASURED_CONTROL,
        }
        return TOO_EARLY, str(VERDICT_LABELS[TOO_EARLY]), reason
    uplift = entry.get("uplift_points") or 0.0
    words = {"months": months, "uplift": f"{uplift:+.1f}"}
    if uplift < MIN_UPLIFT_POINTS:
        reason = (
            _(
                "At the %(months)s-month mark the contacted customers came back only %(uplift)s points "
                "more often than the control group."
            )
            % words
        )
        return STOP, str(VERDICT_LABELS[STOP]), reason
    extra = (
        entry["contacted_spend"] / contacted_n - entry["control_spend"] / control_n
    ) * contacted_n
    cost = summary.get("offer_cost")
    words |= {"extra": f"¥{extra:,.0f}", "cost": f"¥{float(cost or 0):,.0f}"}
    if cost is not None and extra < float(cost):
        reason = (
            _(
                "At the %(months)s-month mark: %(uplift)s points more came back, but the extra revenue "
                "(%(extra)s) does not cover the offer's cost (%(cost)s)."
            )
            % words
        )
        return STOP, str(VERDICT_LABELS[STOP]), reason
    reason = (
        _(
            "At the %(months)s-month mark: %(uplift)s points more came back than in the control group, "
            "with %(extra)s extra revenue."
        )
        % words
    )
    return CONTINUE, str(VERDICT_LABELS[CONTINUE]), reason
