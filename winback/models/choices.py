"""The fixed vocabularies of the follow-up and win-back work: the choices of the models' fields
(kinds of work, task and plan states, churn reasons, offers, campaigns, purchase intents and
leads), what follows from a task's kind, the nine cells a rule may name, and the options of
every amount of money.
"""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from contacts.models import ContactType

#: Options of every amount of money in yuan: never negative.
MONEY = {"max_digits": 12, "decimal_places": 2, "validators": [MinValueValidator(0)]}


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


#: Nine cells a rule may name (R4.2): vehicle age tier × satisfaction band.
NINE_CELLS = [f"{age}/{band}" for age in ("5+", "6+", "7+") for band in ("low", "medium", "high")]


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


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Awaiting approval")
    APPROVED = "approved", _("Approved, launching")
    RUNNING = "running", _("Approved, running")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")


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


class LeadSource(models.TextChoices):
    INTENT = "intent", _("Purchase intent from a contact")
    INQUIRY = "inquiry", _("New inquiry (phone, web, showroom)")


class LeadStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Bought")
    LOST = "lost", pgettext_lazy("lead", "Lost")
