"""factory_boy factories for every model, used by all tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.roles import Role
from contacts import models as contacts
from customers import models as customers
from segmentation import models as segmentation
from vehicles import models as vehicles

_VIN_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


def _vin(n: int) -> str:
    """A valid, unique 17-character VIN for sequence number ``n``."""
    digits = []
    for _ in range(8):
        n, r = divmod(n, len(_VIN_ALPHABET))
        digits.append(_VIN_ALPHABET[r])
    return "LSV" + "ABCDEF" + "".join(reversed(digits))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    is_staff = True
    password = factory.django.Password("pw-for-tests-9137")

    @factory.post_generation
    def role(self, create: bool, extracted: Role | str | None, **kwargs) -> None:
        if create and extracted:
            self.groups.add(Group.objects.get(name=Role(extracted).value))


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = customers.Customer

    name = factory.Sequence(lambda n: f"客户{n}")
    mobile = factory.Sequence(lambda n: f"139{n:08d}")
    gender = customers.Gender.MALE
    birth_year = 1985
    region = "广东省深圳市"
    source = "dms"
    external_id = factory.Sequence(lambda n: f"C{n:07d}")


class ProfileObservationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = customers.ProfileObservation

    customer = factory.SubFactory(CustomerFactory)
    attribute = customers.ProfileAttribute.INCOME_BAND
    value = customers.IncomeBand.MIDDLE
    observed_on = dt.date(2022, 5, 1)
    observation_source = customers.ObservationSource.SURVEY


class ContactPreferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = customers.ContactPreference

    customer = factory.SubFactory(CustomerFactory)
    preferred_channels = factory.LazyFunction(lambda: ["wechat", "sms"])
    disliked_channels = factory.LazyFunction(lambda: ["phone"])
    preferred_days = customers.DayPreference.WEEKEND
    time_windows = factory.LazyFunction(lambda: ["evening"])


class ChannelOptOutFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = customers.ChannelOptOut

    customer = factory.SubFactory(CustomerFactory)
    channel = customers.Channel.PHONE
    reason = "不想接电话"
    opted_out_on = dt.date(2023, 3, 1)


class ValueEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = customers.ValueEvent

    customer = factory.SubFactory(CustomerFactory)
    layer = customers.ValueLayer.EVENT_ATTENDANCE
    occurred_on = dt.date(2024, 6, 1)
    description = "新车品鉴会"


class BrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = vehicles.Brand
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"品牌{n}")
    name_en = factory.Sequence(lambda n: f"Brand{n}")


class VehicleModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = vehicles.VehicleModel

    brand = factory.SubFactory(BrandFactory)
    name = factory.Sequence(lambda n: f"车型{n}")
    price_tier = vehicles.PriceTier.MID
    list_price = Decimal("189900.00")


class VehicleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = vehicles.Vehicle

    vin = factory.Sequence(_vin)
    plate = factory.Sequence(lambda n: f"粤B{n % 100000:05d}")
    model = factory.SubFactory(VehicleModelFactory)
    owner = factory.SubFactory(CustomerFactory)
    model_year = 2019
    source = "dms"
    external_id = factory.Sequence(lambda n: f"V{n:07d}")


class PurchaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = vehicles.Purchase

    customer = factory.SubFactory(CustomerFactory)
    vehicle = factory.SubFactory(VehicleFactory, owner=factory.SelfAttribute("..customer"))
    purchased_on = dt.date(2019, 4, 18)
    price_paid = Decimal("175000.00")
    payment_method = vehicles.PaymentMethod.FULL
    funding_source = vehicles.FundingSource.OWN
    source = "dms"
    external_id = factory.Sequence(lambda n: f"P{n:07d}")


class ServiceOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = vehicles.ServiceOrder

    customer = factory.SubFactory(CustomerFactory)
    vehicle = factory.SubFactory(VehicleFactory, owner=factory.SelfAttribute("..customer"))
    opened_on = dt.date(2024, 9, 10)
    closed_on = factory.SelfAttribute("opened_on")
    odometer_km = 52000
    source = "dms"
    external_id = factory.Sequence(lambda n: f"RO{n:08d}")


class ServiceOrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = vehicles.ServiceOrderLine

    order = factory.SubFactory(ServiceOrderFactory)
    line_no = factory.Sequence(lambda n: n + 1)
    category = vehicles.LineCategory.MAINTENANCE
    description = "常规保养"
    amount = Decimal("680.00")


class OdometerReadingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = vehicles.OdometerReading

    vehicle = factory.SubFactory(VehicleFactory)
    read_on = dt.date(2024, 9, 10)
    km = 52000
    reading_source = vehicles.ReadingSource.SERVICE_ORDER


class ContactLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = contacts.ContactLog

    customer = factory.SubFactory(CustomerFactory)
    contacted_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=3))
    channel = contacts.ContactChannel.PHONE
    contact_type = contacts.ContactType.CARE_CALL
    feedback = "车况良好"


class SatisfactionSurveyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = contacts.SatisfactionSurvey

    customer = factory.SubFactory(CustomerFactory)
    surveyed_on = dt.date(2024, 9, 12)
    overall = 8
    repair_quality = 8
    price = 7
    speed = 9
    reception_attitude = 9
    information_clarity = 8


class ComplaintFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = contacts.Complaint

    customer = factory.SubFactory(CustomerFactory)
    opened_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=2))
    category = contacts.ComplaintCategory.SPEED
    description = "保养等待时间太长"


class ComplaintStatusChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = contacts.ComplaintStatusChange

    complaint = factory.SubFactory(ComplaintFactory)
    status = contacts.ComplaintStatus.ACKNOWLEDGED
    changed_at = factory.LazyAttribute(lambda o: o.complaint.opened_at + dt.timedelta(hours=1))


class ScoringRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = segmentation.ScoringRun

    month = dt.date(2024, 9, 1)
    as_of = dt.date(2024, 9, 30)
    kind = segmentation.RunKind.MONTHLY
    status = segmentation.RunStatus.SUCCEEDED
    is_current = True


class CustomerScoreFactory(factory.django.DjangoModelFactory):
    """A plausible active customer's score; override the components a test is about."""

    class Meta:
        model = segmentation.CustomerScore

    run = factory.SubFactory(ScoringRunFactory)
    customer = factory.SubFactory(CustomerFactory)
    recency_days = 40.0
    frequency = 4
    monetary = 5200.0
    r_score = 4
    f_score = 3
    m_score = 3
    rfm_segment = segmentation.RfmSegment.LOYAL
    vehicle_age_years = 5.5
    age_tier = "5+"
    satisfaction = 8.0
    satisfaction_band = "medium"
    satisfaction_known = True
    nine_cell = "5+/medium"
    est_annual_km = 15000.0
    est_current_km = 80000.0
    low_mileage = False
    visit_interval_days = 120.0
    overdue_ratio = 0.3
    unresolved_complaints = 0
    churn_overdue = 0.0
    churn_not_alive = 0.1
    churn_falling_frequency = 0.0
    churn_unresolved_complaints = 0.0
    churn_falling_satisfaction = 0.0
    churn_no_engagement = 0.0
    churn_score = 0.05
    status = segmentation.Status.ACTIVE
    p_alive = 0.9
    expected_visits = 3.0
    expected_spend_per_visit = 1300.0
    expected_spend = 3900.0
    value_layer_score = 0.2
    future_value = 4290.0
    value_tier = None


# --- follow-up and win-back work (R5) ---------------------------------------------------------
# Models named as strings: the winback app's default plans, rules and offers come from its
# data migration, so these factories only add what a test is about.


class ContactPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "winback.ContactPlan"

    name = factory.Sequence(lambda n: f"Plan {n}")


class ContactPlanStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "winback.ContactPlanStep"

    plan = factory.SubFactory(ContactPlanFactory)
    number = 1
    channel = ""
    days_after_previous = 0
    open_days = 14
    script = "关怀回访"


class GenerationRuleFactory(factory.django.DjangoModelFactory):
    """A score rule for lost customers with a one-step plan; override what a test is about."""

    class Meta:
        model = "winback.GenerationRule"

    name = factory.Sequence(lambda n: f"Rule {n}")
    kind = "win_back"
    statuses = factory.LazyFunction(lambda: ["lost"])
    assign_to = "sales_advisor"
    plan = factory.LazyAttribute(lambda o: ContactPlanStepFactory().plan)
    cooldown_days = 60


class OfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "winback.Offer"

    name = factory.Sequence(lambda n: f"Package {n}")
    kind = "maintenance_plan"
    price = Decimal("1200.00")
    visits_included = 2
    categories = factory.LazyFunction(lambda: ["maintenance"])
    reasons = factory.LazyFunction(lambda: ["price"])
    spend_type = "any"


class RoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "winback.Round"

    # Not the current run: several rounds of one month may then exist side by side.
    run = factory.SubFactory(ScoringRunFactory, is_current=False)
    starts_on = factory.LazyAttribute(lambda o: o.run.as_of + dt.timedelta(days=1))


class TargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "winback.Target"

    round = factory.SubFactory(RoundFactory)
    customer = factory.SubFactory(CustomerFactory)
    kind = "win_back"
    group = "contacted"
    plan = None
    plan_status = factory.LazyAttribute(lambda o: "control" if o.group == "control" else "active")
    priority = 1000.0
    score_status = segmentation.Status.LOST
    churn_score = 0.7
    future_value = 3000.0
    value_tier = 2
    nine_cell = "5+/medium"
    rfm_segment = segmentation.RfmSegment.LOYAL
    anchor_on = factory.LazyAttribute(lambda o: o.round.starts_on)


class TaskFactory(factory.django.DjangoModelFactory):
    """An open win-back call due today for the customer's advisor."""

    class Meta:
        model = "winback.Task"

    customer = factory.SubFactory(CustomerFactory)
    kind = "win_back"
    assignee = factory.LazyAttribute(
        lambda o: o.customer.sales_advisor or UserFactory(role=Role.SALES_ADVISOR)
    )
    due_on = factory.LazyFunction(timezone.localdate)
    due_at = factory.LazyAttribute(
        lambda o: timezone.make_aware(dt.datetime.combine(o.due_on, dt.time(10)))
    )
    expires_on = factory.LazyAttribute(lambda o: o.due_on + dt.timedelta(days=14))
    channel = customers.Channel.PHONE
    priority = 1000.0
    step = 1


class PurchaseIntentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "winback.PurchaseIntent"

    customer = factory.SubFactory(CustomerFactory)
    recorded_at = factory.LazyFunction(timezone.now)
    desire_strength = 3
    necessity = "want"
    purchase_window = "1m"


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "winback.Lead"

    customer = factory.SubFactory(CustomerFactory)
    source = "inquiry"
    owner = factory.LazyAttribute(
        lambda o: o.customer.sales_advisor or UserFactory(role=Role.SALES_ADVISOR)
    )
    opened_at = factory.LazyFunction(timezone.now)


class ReportingLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "winback.ReportingLine"

    user = factory.SubFactory(UserFactory, role=Role.SALES_ADVISOR)
    manager = factory.SubFactory(UserFactory, role=Role.MANAGER)
