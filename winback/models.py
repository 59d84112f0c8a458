"""Follow-up and win-back work (R5): what to do with the scores.

- :class:`GenerationRule` and :class:`ContactPlan` / :class:`ContactPlanStep`: data a manager
  edits — which scored customers (status, value tier, nine cell, RFM segment, a churn indicator,
  or an event such as a loan ending) get which multi-step plan (R5.1, R5.3).
- :class:`WinbackConfiguration`: the never-spam limits, control-group share and cadences (R5.2).
- :class:`Round`: one generation per scoring run, with its report (created, control, skipped by
  reason) and the settings it used; :class:`Target`: one customer a round chose for one kind of
  work, contacted or held back as control, with the plan's progress, the churn reason learned,
  the offer made and the outcome +1/+2/+3 months later (R5.4-R5.6).
- :class:`Task`: one planned contact: why, who, when, which channel, how urgent, and how it
  ended (R5.1).
- :class:`Campaign`: a saved segment filter with a contact plan, an offer, a period and an
  owner; a manager's approval launches it as targets and tasks like a round's (R5, R6).
- :class:`Offer`: packages fitted to a customer's spending, offered per churn reason (R5.5).
- :class:`PurchaseIntent` and :class:`Lead`: repurchase intent and the lead cadence (R5.7, R5.8).
- :class:`ReportingLine`: whose manager an escalation goes to; :class:`Reassignment`: the log of
  a leaver's customers and work handed over (R7.2).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from contacts.models import Complaint, ContactLog, ContactType
from customers.models import (
    Channel,
    Customer,
    TimeWindow,
    validate_choice_list,
    visible_customers_q,
)
from segmentation.models import (
    ActiveConfiguration,
    ChurnIndicator,
    RfmSegment,
    ScoringRun,
    Status,
)
from vehicles.models import Brand, LineCategory, ServiceOrder, VehicleModel
from winback.work_settings import WorkSettings

_money = {"max_digits": 12, "decimal_places": 2, "validators": [MinValueValidator(0)]}


class TaskKind(models.TextChoices):
    """Why a task exists (R5.1)."""

    CHURN_WARNING = "churn_warning", _("Churn warning")
    WIN_BACK = "win_back", _("Lost-customer win-back")
    REPLACEMENT = "replacement", _("Replacement candidate")
    LOAN_ENDING = "loan_ending", _("Loan ending")
    COMPLAINT_FOLLOW_UP = "complaint_follow_up", _("Complaint follow-up")
    COMPLAINT_ESCALATION = "complaint_escalation", _("Complaint response overdue")
    LEAD_CADENCE = "lead_cadence", _("Lead follow-up")
    LEAD_DROPPED = "lead_dropped", _("Lead left untouched")
    SERVICE_LANE = "service_lane", _("In the workshop now")
    CARE = "care", _("Purchase anniversary care")
    CAMPAIGN = "campaign", _("Marketing campaign")


#: Kinds of outreach that rules plan from the scores; the other kinds answer an event (the
#: customer is in the workshop, a complaint is late, a lead is waiting) and their services
#: create them.
PLANNED_KINDS = (
    TaskKind.CHURN_WARNING,
    TaskKind.WIN_BACK,
    TaskKind.REPLACEMENT,
    TaskKind.LOAN_ENDING,
    TaskKind.COMPLAINT_FOLLOW_UP,
    TaskKind.CARE,
)

#: Priority of a task an event created (a customer in the workshop, a late complaint): above
#: any outreach planned from the scores, whose priority is a future value in yuan × a churn score.
URGENT_PRIORITY = 1e7

#: The contact type a task's contact is logged as.
CONTACT_TYPE_OF_KIND = {
    TaskKind.CHURN_WARNING: ContactType.CARE_CALL,
    TaskKind.WIN_BACK: ContactType.WIN_BACK,
    TaskKind.REPLACEMENT: ContactType.SALES_FOLLOW_UP,
    TaskKind.LOAN_ENDING: ContactType.SALES_FOLLOW_UP,
    TaskKind.COMPLAINT_FOLLOW_UP: ContactType.COMPLAINT_FOLLOW_UP,
    TaskKind.COMPLAINT_ESCALATION: ContactType.COMPLAINT_FOLLOW_UP,
    TaskKind.LEAD_CADENCE: ContactType.SALES_FOLLOW_UP,
    TaskKind.LEAD_DROPPED: ContactType.SALES_FOLLOW_UP,
    TaskKind.SERVICE_LANE: ContactType.CARE_CALL,
    TaskKind.CARE: ContactType.CARE_CALL,
    TaskKind.CAMPAIGN: ContactType.WIN_BACK,
}


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Skipped")
    EXPIRED = "expired", _("Expired")


class SkipReason(models.TextChoices):
    """Why a task was closed without a contact."""

    CAME_BACK = "came_back", _("The customer came back meanwhile")
    NOT_REACHABLE = "not_reachable", _("No way to reach the customer")
    CUSTOMER_REFUSES = "customer_refuses", _("The customer does not want contact")
    DUPLICATE = "duplicate", _("Covered by another task")
    REASSIGNED_AWAY = "reassigned_away", _("Customer moved or sold the car")
    OTHER = "other", _("Other")


class ChurnReason(models.TextChoices):
    """Why a customer drifted away: the fixed taxonomy of the win-back method (R5.4)."""

    SERVICE_ATTITUDE = "service_attitude", _("Service attitude")
    PUNCTUALITY = "punctuality", _("Punctuality / keeping time")
    QUALITY = "quality", _("Repair quality")
    SPEED = "speed", _("Repair speed")
    PRICE = "price", _("Price")
    UNCLEAR_INFORMATION = "unclear_information", _("Unclear information")
    REPUTATION = "reputation", _("Reputation / reviews")
    VALUES = "values", _("The dealership's values")
    DISTANCE = "distance", _("Too far / a competitor nearby")
    COST_CONSCIOUS = "cost_conscious", _("Cost-conscious: spends only when unavoidable")
    TOO_FEW_PRODUCTS = "too_few_products", _("Too few products or services")
    UNATTRACTIVE_OFFER = "unattractive_offer", _("Offers not attractive")
    ONLY_CALLED_WHEN_NEEDED = "only_called_when_needed", _("“Only call when they want something”")
    CANNED_SCRIPTS = "canned_scripts", _("Canned scripts")


class Trigger(models.TextChoices):
    """What makes a customer a candidate of a rule."""

    SCORE = "score", _("The month's scores")
    LOAN_ENDING = "loan_ending", _("A loan or lease ends soon")
    ANNIVERSARY = "anniversary", _("Purchase anniversary this month")
    COMPLAINT_RESOLVED = "complaint_resolved", _("A complaint was resolved recently")


class RunKindFilter(models.TextChoices):
    MONTHLY = "monthly", _("Monthly runs")
    WARNING = "warning", _("Daily early warnings")
    BOTH = "both", _("Both")


class AssignTo(models.TextChoices):
    SALES_ADVISOR = "sales_advisor", _("The customer's sales advisor")
    SERVICE_OWNER = "service_owner", _("The customer's service-marketing owner")


class ContactPlan(models.Model):
    """A multi-step contact plan: 1st, 2nd, 3rd contact with their channels and spacing (R5.3).

    The next step is created when the previous one ends unanswered; after the last step the
    plan ends and the customer waits for the next round — a third unanswered contact is never
    followed by a fourth.
    """

    name = models.CharField(_("name"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("contact plan")
        verbose_name_plural = _("contact plans")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ContactPlanStep(models.Model):
    plan = models.ForeignKey(
        ContactPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="steps"
    )
    number = models.PositiveSmallIntegerField(
        _("step"), validators=[MinValueValidator(1), MaxValueValidator(3)]
    )
    channel = models.CharField(
        _("channel"),
        max_length=16,
        choices=Channel.choices,
        blank=True,
        help_text=_(
            "Empty: the customer's preferred channel. A channel the customer opted out of or "
            "dislikes is replaced by their best allowed one."
        ),
    )
    days_after_previous = models.PositiveSmallIntegerField(
        _("days after the previous step"),
        default=0,
        validators=[MaxValueValidator(90)],
        help_text=_("For step 1: days after the round starts."),
    )
    open_days = models.PositiveSmallIntegerField(
        _("days open"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("A task not done this many days after it is due expires."),
    )
    script = models.TextField(
        _("script"), blank=True, help_text=_("What to say: the talking points of this step.")
    )

    class Meta:
        verbose_name = _("contact plan step")
        verbose_name_plural = _("contact plan steps")
        ordering = ["plan_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="planstep_one_per_number")
        ]

    def __str__(self) -> str:
        return str(_("Step %(n)s of %(plan)s") % {"n": self.number, "plan": self.plan})


#: Nine cells a rule may name (R4.2): vehicle age tier × satisfaction band.
NINE_CELLS = [f"{age}/{band}" for age in ("5+", "6+", "7+") for band in ("low", "medium", "high")]


class GenerationRule(models.Model):
    """Which customers get which kind of work and plan: rules are data a manager edits (R5.1).

    A customer is a candidate of a rule when the trigger fires and every filter that is set
    matches (an empty list matches everything). Each round applies every active rule; the
    never-spam limits then decide who is contacted (R5.2).
    """

    name = models.CharField(_("name"), max_length=80, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(
        _("position"), default=10, help_text=_("Rules are listed and applied in this order.")
    )
    kind = models.CharField(_("task kind"), max_length=24, choices=TaskKind.choices)
    run_kind = models.CharField(
        _("applies to"), max_length=8, choices=RunKindFilter.choices, default=RunKindFilter.MONTHLY
    )
    trigger = models.CharField(
        _("trigger"), max_length=20, choices=Trigger.choices, default=Trigger.SCORE
    )
    trigger_days = models.PositiveSmallIntegerField(
        _("trigger window (days)"),
        default=90,
        help_text=_("Loan ending within / complaint resolved within this many days."),
    )
    statuses = models.JSONField(
        _("churn statuses"), default=list, blank=True, help_text=_("Empty: any status.")
    )
    value_tiers = models.JSONField(
        _("value tiers"), default=list, blank=True, help_text=_("1 (most valuable) to 5.")
    )
    nine_cells = models.JSONField(
        _("nine cells"), default=list, blank=True, help_text=_("e.g. “7+/low”.")
    )
    rfm_segments = models.JSONField(_("RFM segments"), default=list, blank=True)
    min_churn_score = models.FloatField(
        _("minimum churn score"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    indicator = models.CharField(
        _("churn indicator"),
        max_length=24,
        blank=True,
        choices=ChurnIndicator.choices,
        help_text=_("With a minimum: only customers whose sub-score reaches it."),
    )
    indicator_min = models.FloatField(
        _("indicator minimum"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    exclude_low_mileage = models.BooleanField(
        _("exclude low mileage"),
        default=False,
        help_text=_("Leave out customers who drive little (weaker replacement need)."),
    )
    assign_to = models.CharField(
        _("assign to"), max_length=16, choices=AssignTo.choices, default=AssignTo.SALES_ADVISOR
    )
    plan = models.ForeignKey(
        ContactPlan, verbose_name=_("contact plan"), on_delete=models.PROTECT, related_name="rules"
    )
    priority_weight = models.FloatField(
        _("priority weight"), default=1.0, validators=[MinValueValidator(0)]
    )
    measure_uplift = models.BooleanField(
        _("keep a control group"),
        default=False,
        help_text=_("Hold back a random share of the targets, uncontacted, to measure uplift."),
    )
    cooldown_days = models.PositiveSmallIntegerField(
        _("cool-down (days)"),
        default=60,
        help_text=_(
            "A customer whose plan of this kind ended answered or refused this recently is "
            "left alone; unanswered customers enter the next round."
        ),
    )

    class Meta:
        verbose_name = _("generation rule")
        verbose_name_plural = _("generation rules")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        validate_choice_list(self.statuses, list(Status.values), "statuses")
        validate_choice_list(self.value_tiers, ["1", "2", "3", "4", "5"], "value_tiers")
        validate_choice_list(self.nine_cells, NINE_CELLS, "nine_cells")
        validate_choice_list(self.rfm_segments, list(RfmSegment.values), "rfm_segments")
        if bool(self.indicator) != (self.indicator_min is not None):
            raise ValidationError(
                {"indicator_min": _("Name an indicator and its minimum together.")}
            )
        if self.kind not in PLANNED_KINDS:
            raise ValidationError(
                {"kind": _("Rules plan outreach; this kind is created by its event.")}
            )


def _default_work_settings() -> dict[str, Any]:
    return WorkSettings().to_dict()


class WinbackConfiguration(ActiveConfiguration):
    """The limits and cadences in force (never spam, control share, leads); the active row is
    used by the next round, which keeps a copy."""

    settings_class = WorkSettings
    settings = models.JSONField(
        _("settings"),
        default=_default_work_settings,
        help_text=_("Keys missing here take their defaults."),
    )

    class Meta:
        verbose_name = _("win-back configuration")
        verbose_name_plural = _("win-back configurations")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_winback_config"
            )
        ]


class OfferKind(models.TextChoices):
    MAINTENANCE_PLAN = "maintenance_plan", _("Maintenance plan")
    SERVICE_BUNDLE = "service_bundle", _("Bundled services")
    CARE_PACKAGE = "care_package", _("Detailing and care package")
    EXTENDED_WARRANTY = "extended_warranty", _("Extended warranty")
    EVENT = "event", _("Owners' event invitation")
    SERVICE_PROMISE = "service_promise", _("Service promise (pick-up, fixed time)")


class SpendType(models.TextChoices):
    NECESSARY = "necessary", _("Mostly necessary spending")
    DISCRETIONARY = "discretionary", _("Much discretionary spending")
    ANY = "any", _("Any spending")


class Offer(models.Model):
    """A package the department may offer (R5.5): never an ad-hoc discount, always a package
    fitted to how the customer spends (type, yearly amount, visits a year) that keeps them
    coming back."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=OfferKind.choices)
    description = models.TextField(_("what it contains"), blank=True)
    price = models.DecimalField(_("price"), null=True, blank=True, **_money)
    visits_included = models.PositiveSmallIntegerField(_("visits included"), default=0)
    categories = models.JSONField(
        _("spending categories covered"),
        default=list,
        blank=True,
        help_text=_("A later visit with a line of these categories matches the offer."),
    )
    reasons = models.JSONField(
        _("churn reasons it answers"), default=list, blank=True, help_text=_("Empty: any.")
    )
    spend_type = models.CharField(
        _("fits spending"), max_length=16, choices=SpendType.choices, default=SpendType.ANY
    )
    min_annual_spend = models.DecimalField(_("from yearly spend"), default=0, **_money)
    max_annual_spend = models.DecimalField(_("up to yearly spend"), null=True, blank=True, **_money)
    min_visits_per_year = models.FloatField(
        _("from visits a year"), default=0, validators=[MinValueValidator(0)]
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["kind", "min_annual_spend", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        validate_choice_list(self.categories, list(LineCategory.values), "categories")
        validate_choice_list(self.reasons, list(ChurnReason.values), "reasons")
        if self.max_annual_spend is not None and self.max_annual_spend < self.min_annual_spend:
            raise ValidationError({"max_annual_spend": _("The range is upside down.")})


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Awaiting approval")
    APPROVED = "approved", _("Approved, launching")
    RUNNING = "running", _("Approved, running")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")


class Campaign(models.Model):
    """A marketing campaign (R5, R6): the customers of a saved segment filter, a contact plan,
    an offer, a period and an owner. Marketing drafts it; a manager's approval launches it
    (targets, a control group, the plan's first-step tasks), as a round does for its rules;
    its targets are then measured like a round's (``winback.outcomes``)."""

    name = models.CharField(_("name"), max_length=120)
    filters = models.JSONField(
        _("segment filter"),
        default=dict,
        blank=True,
        help_text=_("The segment explorer's filter: month, nine cell, RFM segment, status, tier."),
    )
    kind = models.CharField(
        _("task kind"), max_length=24, choices=TaskKind.choices, default=TaskKind.CAMPAIGN
    )
    plan = models.ForeignKey(
        ContactPlan,
        verbose_name=_("contact plan"),
        on_delete=models.PROTECT,
        related_name="campaigns",
    )
    offer = models.ForeignKey(
        Offer,
        verbose_name=_("offer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="campaigns",
    )
    assign_to = models.CharField(
        _("assign to"), max_length=16, choices=AssignTo.choices, default=AssignTo.SALES_ADVISOR
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="campaigns",
    )
    status = models.CharField(
        _("status"), max_length=8, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    control_share = models.FloatField(
        _("control share"),
        validators=[MinValueValidator(0), MaxValueValidator(0.5)],
        help_text=_("The share of the targets held back, uncontacted, to measure uplift."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    report = models.JSONField(
        _("launch report"),
        default=dict,
        blank=True,
        help_text=_("Candidates, targets, control group, skipped by reason."),
    )

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="campaign_period_in_order"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Round(models.Model):
    """One generation of work from one scoring run: the lock, the settings it used and its
    report. A round exists once per run, so generating twice creates nothing new."""

    run = models.OneToOneField(
        ScoringRun, verbose_name=_("scoring run"), on_delete=models.CASCADE, related_name="round"
    )
    starts_on = models.DateField(_("work starts on"))
    generated_at = models.DateTimeField(_("generated at"), auto_now_add=True)
    settings = models.JSONField(_("settings used"), default=dict, blank=True)
    report = models.JSONField(
        _("report"),
        default=dict,
        blank=True,
        help_text=_("Per rule: candidates, tasks created, control group, skipped by reason."),
    )
    timings = models.JSONField(
        _("timings (s)"),
        default=dict,
        blank=True,
        help_text=_("Seconds spent reading, planning and writing, and in all."),
    )

    class Meta:
        verbose_name = _("win-back round")
        verbose_name_plural = _("win-back rounds")
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return f"{self.run} → {self.starts_on}"


class TargetGroup(models.TextChoices):
    CONTACTED = "contacted", _("Contacted")
    CONTROL = "control", _("Control group (not contacted)")


class PlanStatus(models.TextChoices):
    ACTIVE = "active", _("In progress")
    ANSWERED = "answered", _("Answered")
    REFUSED = "refused", _("Refused")
    UNANSWERED = "unanswered", _("Ended unanswered")
    EXPIRED = "expired", _("Not worked in time")
    CONTROL = "control", _("Control: not contacted")


class Target(models.Model):
    """A customer a round (or a campaign) chose for one kind of work (R5.6): contacted, or held
    back as control.

    A round writes up to a million targets at once, so their references are not database
    foreign keys: PostgreSQL would check and lock the referenced row of every new row at commit
    (half the time of a round at a million customers). The round writes only ids it just read,
    and the ORM keeps each reference's ``on_delete`` behaviour.

    The score that caused it is copied here (a rerun of the month replaces the scores, not what
    was decided from them). Outcomes are measured from the first contact (control and
    uncontacted targets: from the round's start) at +1, +2 and +3 months, each once its month
    has passed.
    """

    round = models.ForeignKey(
        Round,
        verbose_name=_("round"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="targets",
        db_index=False,
        db_constraint=False,
    )
    # A target comes from a round or from a campaign; the partial unique index below serves
    # the campaign's reads, so the column needs no index of its own.
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="targets",
        db_index=False,
        db_constraint=False,
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    rule = models.ForeignKey(
        GenerationRule,
        verbose_name=_("rule"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,
        db_constraint=False,
    )
    kind = models.CharField(_("kind"), max_length=24, choices=TaskKind.choices)
    group = models.CharField(_("group"), max_length=12, choices=TargetGroup.choices)
    plan = models.ForeignKey(
        ContactPlan,
        verbose_name=_("plan"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,
        db_constraint=False,
    )
    plan_status = models.CharField(_("plan status"), max_length=12, choices=PlanStatus.choices)
    priority = models.FloatField(_("priority"))
    # The score that caused it.
    score_status = models.CharField(_("churn status"), max_length=8, choices=Status.choices)
    churn_score = models.FloatField(_("churn score"))
    future_value = models.FloatField(_("future value"))
    value_tier = models.SmallIntegerField(_("value tier"), null=True, blank=True)
    nine_cell = models.CharField(_("nine cell"), max_length=16, blank=True)
    rfm_segment = models.CharField(_("RFM segment"), max_length=24, choices=RfmSegment.choices)
    # What the contacts learned and offered.
    first_contact_at = models.DateTimeField(_("first contact"), null=True, blank=True)
    anchor_on = models.DateField(
        _("measured from"),
        help_text=_("The day of the first contact; the round's start until there is one."),
    )
    churn_reason = models.CharField(
        _("churn reason"), max_length=24, choices=ChurnReason.choices, blank=True
    )
    offer = models.ForeignKey(
        Offer,
        verbose_name=_("offer made"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,
    )
    # Outcomes (R5.6): cumulative from the anchor to +1, +2, +3 months; empty until measured.
    returned_1m = models.BooleanField(_("came back within 1 month"), null=True, blank=True)
    returned_2m = models.BooleanField(_("came back within 2 months"), null=True, blank=True)
    returned_3m = models.BooleanField(_("came back within 3 months"), null=True, blank=True)
    spend_1m = models.DecimalField(_("spent within 1 month"), null=True, blank=True, **_money)
    spend_2m = models.DecimalField(_("spent within 2 months"), null=True, blank=True, **_money)
    spend_3m = models.DecimalField(_("spent within 3 months"), null=True, blank=True, **_money)
    bought_car_3m = models.BooleanField(_("bought a car within 3 months"), null=True, blank=True)
    offer_matched = models.BooleanField(_("spending matched the offer"), null=True, blank=True)
    value_events_3m = models.PositiveIntegerField(
        _("non-monetary returns within 3 months"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("round target")
        verbose_name_plural = _("round targets")
        ordering = ["round_id", "-priority", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "customer", "kind"], name="target_one_per_round_customer_kind"
            ),
            models.UniqueConstraint(
                fields=["campaign", "customer"],
                condition=Q(campaign__isnull=False),
                name="target_one_per_campaign_customer",
            ),
            models.CheckConstraint(
                condition=Q(round__isnull=True) | Q(campaign__isnull=True),
                name="target_of_round_or_campaign",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "kind"], name="target_customer_kind"),
            # The morning's outcome measurement reads the targets still to be measured.
            models.Index(
                fields=["anchor_on"],
                condition=Q(returned_3m__isnull=True),
                name="target_unmeasured",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.customer_id} ({self.get_group_display()})"


class TaskQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> TaskQuerySet:
        """Tasks of the customers ``user`` may see (``Customer.objects.visible_to``)."""
        return self.filter(visible_customers_q(user))

    def open(self) -> TaskQuerySet:
        """Tasks still to be worked."""
        return self.filter(status=TaskStatus.OPEN)

    def due_by(self, day: Any) -> TaskQuerySet:
        """Open tasks due on or before ``day`` (today's and overdue ones)."""
        return self.open().filter(due_on__lte=day)

    def assigned_to(self, user: Any) -> TaskQuerySet:
        """Tasks whose assignee is ``user``."""
        return self.filter(assignee=user)

    def by_priority(self) -> TaskQuerySet:
        """Most urgent first: priority, then the earliest due, then the oldest."""
        return self.order_by("-priority", "due_at", "id")


class Task(models.Model):
    """One planned contact with a customer (R5.1): why, who, when, how, and how it ended.

    At most one open task per customer and kind (a partial unique constraint); a closed task
    names the contact log entry that closed it. The references a round writes in bulk
    (customer, target, run, assignee) are not database foreign keys, for the reason given on
    :class:`Target`; the ORM keeps their ``on_delete`` behaviour.
    """

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="tasks",
        db_index=False,
        db_constraint=False,
    )
    kind = models.CharField(_("kind"), max_length=24, choices=TaskKind.choices)
    target = models.ForeignKey(
        Target,
        verbose_name=_("round target"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
        db_constraint=False,
    )
    run = models.ForeignKey(
        ScoringRun,
        verbose_name=_("scoring run"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    step = models.PositiveSmallIntegerField(_("plan step"), null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        related_name="followup_tasks",
        db_index=False,
        db_constraint=False,
    )
    due_on = models.DateField(_("due on"))
    due_at = models.DateTimeField(_("due at"), help_text=_("Start of the time window."))
    window = models.CharField(
        _("time window"), max_length=16, choices=TimeWindow.choices, blank=True
    )
    expires_on = models.DateField(
        _("expires on"), help_text=_("Not done by then, the task expires.")
    )
    channel = models.CharField(_("suggested channel"), max_length=16, choices=Channel.choices)
    priority = models.FloatField(_("priority"))
    note = models.CharField(_("why"), max_length=255, blank=True)
    script = models.TextField(_("script"), blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    skip_reason = models.CharField(
        _("skipped because"), max_length=20, choices=SkipReason.choices, blank=True
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    contact_log = models.OneToOneField(
        ContactLog,
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="task",
    )
    churn_reason = models.CharField(
        _("churn reason"), max_length=24, choices=ChurnReason.choices, blank=True
    )
    offer = models.ForeignKey(
        Offer,
        verbose_name=_("offer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,
    )
    lead = models.ForeignKey(
        "Lead",
        verbose_name=_("lead"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tasks",
        db_index=False,
    )
    complaint = models.ForeignKey(
        Complaint,
        verbose_name=_("complaint"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        db_index=False,
    )
    service_order = models.ForeignKey(
        ServiceOrder,
        verbose_name=_("service order"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # Set by the services (not auto_now): generation and the demo write past times in bulk.
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up task")
        verbose_name_plural = _("follow-up tasks")
        ordering = ["-priority", "due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind"],
                condition=Q(status="open"),
                name="task_one_open_per_customer_kind",
            )
        ]
        indexes = [
            # The advisor's daily list: own open tasks, most urgent first, read in index order
            # until the page is full (tasks not yet due are skipped on the way).
            models.Index(
                fields=["assignee", "-priority", "due_at", "id"],
                condition=Q(status="open"),
                name="task_open_assignee_priority",
            ),
            models.Index(fields=["customer", "created_at"], name="task_customer_created"),
            models.Index(fields=["updated_at", "id"], name="task_upd"),
            # The morning's expiry.
            models.Index(
                fields=["expires_on"], condition=Q(status="open"), name="task_open_expires"
            ),
            # Tasks an event created, found by their event; most tasks have none, so the
            # indexes are partial (a bulk write of a round maintains none of them).
            models.Index(fields=["lead"], condition=Q(lead__isnull=False), name="task_lead"),
            models.Index(
                fields=["complaint"], condition=Q(complaint__isnull=False), name="task_complaint"
            ),
            models.Index(
                fields=["service_order"],
                condition=Q(service_order__isnull=False),
                name="task_service_order",
            ),
            # The week strip of /today/: a user's open tasks and planned visits per due day.
            models.Index(
                fields=["assignee", "due_on", "channel"],
                condition=Q(status="open"),
                name="task_open_assignee_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.customer_id} · {self.due_on}"


class DesireStrength(models.IntegerChoices):
    WEAK = 1, _("Weak")
    SOME = 2, _("Some interest")
    CLEAR = 3, _("Clear")
    STRONG = 4, _("Strong")
    URGENT = 5, _("Urgent")


class PurchaseNecessity(models.TextChoices):
    MUST = "must", _("Must replace (car failing, family change)")
    WANT = "want", _("Wants a newer or better car")
    NONE = "none", _("No real need yet")


class PurchaseWindow(models.TextChoices):
    """When the customer expects to buy (R5.7)."""

    WEEK = "1w", _("Within a week")
    HALF_MONTH = "2w", _("Within half a month")
    MONTH = "1m", _("Within a month")
    TWO_MONTHS = "2m", _("Within two months")
    LATER = "later", _("Later")


class PurchaseIntent(models.Model):
    """Repurchase intent recorded on a contact (R5.7)."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="intents"
    )
    contact_log = models.ForeignKey(
        ContactLog,
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="intents",
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    desire_strength = models.PositiveSmallIntegerField(
        _("desire strength"), choices=DesireStrength.choices
    )
    necessity = models.CharField(
        pgettext_lazy("purchase intent", "necessity"),
        max_length=8,
        choices=PurchaseNecessity.choices,
    )
    purchase_window = models.CharField(
        _("expected purchase"), max_length=8, choices=PurchaseWindow.choices
    )
    intended_price = models.DecimalField(_("intended price"), null=True, blank=True, **_money)
    wanted_brand = models.ForeignKey(
        Brand, verbose_name=_("wanted brand"), on_delete=models.SET_NULL, null=True, blank=True
    )
    wanted_model = models.ForeignKey(
        VehicleModel,
        verbose_name=_("wanted model"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    objections = models.TextField(_("known objections"), blank=True)
    talking_points = models.TextField(_("prepared talking points"), blank=True)

    class Meta:
        verbose_name = _("purchase intent")
        verbose_name_plural = _("purchase intents")
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.customer_id} · {self.get_purchase_window_display()}"

    def clean(self) -> None:
        super().clean()
        if (
            self.wanted_model_id
            and self.wanted_brand_id
            and self.wanted_model.brand_id != self.wanted_brand_id
        ):
            raise ValidationError({"wanted_model": _("This model is not of the wanted brand.")})


class LeadSource(models.TextChoices):
    INTENT = "intent", _("Purchase intent from a contact")
    INQUIRY = "inquiry", _("New inquiry (phone, web, showroom)")


class LeadStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Bought")
    LOST = "lost", pgettext_lazy("lead", "Lost")


class Lead(models.Model):
    """A sales lead with its cadence (R5.8): first call within 2 hours, second within 48 hours,
    follow-ups across the ~90-day purchase cycle; untouched for 30 days, the manager is told."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="leads"
    )
    source = models.CharField(_("source"), max_length=8, choices=LeadSource.choices)
    intent = models.ForeignKey(
        PurchaseIntent,
        verbose_name=_("intent"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="leads",
    )
    opened_at = models.DateTimeField(pgettext_lazy("lead", "opened at"))
    status = models.CharField(
        _("status"), max_length=8, choices=LeadStatus.choices, default=LeadStatus.OPEN
    )
    last_touched_at = models.DateTimeField(_("last touched"), null=True, blank=True)
    touches = models.PositiveSmallIntegerField(_("contacts so far"), default=0)
    alerted_at = models.DateTimeField(_("manager alerted at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=Q(status="open"), name="lead_one_open_per_customer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} · {self.get_status_display()}"


class ReportingLine(models.Model):
    """Who a staff member reports to: escalations of their work go to that manager."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="reporting_line",
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        on_delete=models.CASCADE,
        related_name="reports",
    )

    class Meta:
        verbose_name = _("reporting line")
        verbose_name_plural = _("reporting lines")

    def __str__(self) -> str:
        return f"{self.user} → {self.manager}"

    def clean(self) -> None:
        super().clean()
        if self.user_id and self.user_id == self.manager_id:
            raise ValidationError({"manager": _("Nobody reports to themselves.")})


class Reassignment(models.Model):
    """The log of a leaver's handover (R7.2): who left, who took over, what moved."""

    leaver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("leaver"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    successors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("successors"), related_name="+"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    done_at = models.DateTimeField(_("done at"))
    counts = models.JSONField(_("moved"), default=dict)

    class Meta:
        verbose_name = _("reassignment")
        verbose_name_plural = _("reassignments")
        ordering = ["-done_at"]

    def __str__(self) -> str:
        return f"{self.leaver} ({self.done_at:%Y-%m-%d})"
