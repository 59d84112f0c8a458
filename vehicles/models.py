"""Vehicles, what customers paid for them, how far they drive, and what they spend on them.

- :class:`Brand` / :class:`VehicleModel`: the catalogue with a price tier.
- :class:`Vehicle`: one car, by VIN and plate.
- :class:`Purchase`: who bought which car when, the price paid *then*, and how it was financed
  (R2.1-2.2).
- :class:`OdometerReading`: mileage seen at any touch point (R2.3).
- :class:`ServiceOrder` / :class:`ServiceOrderLine`: the DMS repair order and its lines by
  category, each necessary or discretionary (R3.4).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from core.months import add_months
from customers.models import Customer, SyncedModel
from customers.validators import validate_not_future_date
from vehicles.validators import normalize_plate, normalize_vin, validate_cn_plate, validate_vin

_NON_NEGATIVE = [MinValueValidator(Decimal("0"))]


def _money(verbose_name: str, **kwargs) -> models.DecimalField:
    return models.DecimalField(
        verbose_name, max_digits=12, decimal_places=2, validators=_NON_NEGATIVE, **kwargs
    )


class PriceTier(models.TextChoices):
    ECONOMY = "economy", _("Economy (below ¥100k)")
    MID = "mid", _("Mid-range (¥100k–200k)")
    UPPER_MID = "upper_mid", _("Upper mid-range (¥200k–350k)")
    PREMIUM = "premium", _("Premium (¥350k–600k)")
    LUXURY = "luxury", _("Luxury (above ¥600k)")


class Brand(SyncedModel):
    name = models.CharField(_("name"), max_length=64, unique=True)
    name_en = models.CharField(_("English name"), max_length=64, blank=True)

    class Meta(SyncedModel.Meta):
        verbose_name = _("brand")
        verbose_name_plural = _("brands")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class VehicleModel(SyncedModel):
    """A model in the catalogue, e.g. 大众 帕萨特, with its price tier and list price."""

    brand = models.ForeignKey(
        Brand, verbose_name=_("brand"), on_delete=models.PROTECT, related_name="models"
    )
    name = models.CharField(_("name"), max_length=64)
    body_type = models.CharField(_("body type"), max_length=32, blank=True)
    price_tier = models.CharField(_("price tier"), max_length=16, choices=PriceTier.choices)
    list_price = _money(_("current list price"), null=True, blank=True)

    class Meta(SyncedModel.Meta):
        verbose_name = _("vehicle model")
        verbose_name_plural = _("vehicle models")
        ordering = ["brand__name", "name"]
        constraints = [
            *SyncedModel.Meta.constraints,
            models.UniqueConstraint(fields=["brand", "name"], name="vehiclemodel_brand_name_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.brand} {self.name}"


class Vehicle(SyncedModel):
    vin = models.CharField(_("VIN"), max_length=17, unique=True, validators=[validate_vin])
    plate = models.CharField(
        _("licence plate"), max_length=10, blank=True, db_index=True, validators=[validate_cn_plate]
    )
    model = models.ForeignKey(
        VehicleModel, verbose_name=_("model"), on_delete=models.PROTECT, related_name="vehicles"
    )
    trim = models.CharField(_("trim"), max_length=64, blank=True)
    model_year = models.PositiveSmallIntegerField(
        _("model year"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1980), MaxValueValidator(2100)],
    )
    color = models.CharField(_("colour"), max_length=32, blank=True)
    owner = models.ForeignKey(
        Customer,
        verbose_name=_("current owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="vehicles",
    )

    class Meta(SyncedModel.Meta):
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.model} {self.plate or self.vin}"

    def _normalise(self) -> None:
        self.vin = normalize_vin(self.vin)
        self.plate = normalize_plate(self.plate)

    def clean_fields(self, exclude=None) -> None:
        # Normalise first, so the field checks (max_length included) judge the stored form:
        # " lsv…  " and "粤B · D12345" would otherwise fail max_length before clean() ran.
        self._normalise()
        super().clean_fields(exclude)

    def clean(self) -> None:
        super().clean()
        self._normalise()


class Condition(models.TextChoices):
    NEW = "new", _("New")
    USED = "used", _("Used")


class PaymentMethod(models.TextChoices):
    FULL = "full", _("Full payment")
    LOAN = "loan", _("Loan")
    LEASE = "lease", _("Lease")


class FundingSource(models.TextChoices):
    """Where the money really came from (R2.2): judges economic status better than the method."""

    OWN = "own", _("Own money")
    FAMILY = "family", _("Parents / family")
    EMPLOYER = "employer", _("Employer")
    LOAN_BY_CHOICE = "loan_by_choice", _("Loan by choice (could pay in full)")
    LOAN_NEEDED = "loan_needed", _("Loan needed")
    UNKNOWN = "unknown", _("Unknown")


class Purchase(SyncedModel):
    """A customer's purchase of a vehicle, with the price paid at the time (R2.1-2.2)."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="purchases"
    )
    vehicle = models.ForeignKey(
        Vehicle, verbose_name=_("vehicle"), on_delete=models.PROTECT, related_name="purchases"
    )
    purchased_on = models.DateField(_("purchase date"), validators=[validate_not_future_date])
    price_paid = _money(_("price paid"))
    condition = models.CharField(
        _("new or used"), max_length=8, choices=Condition.choices, default=Condition.NEW
    )
    trade_in_vehicle = models.ForeignKey(
        Vehicle,
        verbose_name=_("trade-in vehicle"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="traded_in_purchases",
    )
    trade_in_value = _money(_("trade-in value"), null=True, blank=True)
    payment_method = models.CharField(
        _("payment"), max_length=8, choices=PaymentMethod.choices, default=PaymentMethod.FULL
    )
    finance_term_months = models.PositiveSmallIntegerField(
        _("term (months)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
    )
    down_payment = _money(_("down payment"), null=True, blank=True)
    monthly_payment = _money(_("monthly payment"), null=True, blank=True)
    finance_end_date = models.DateField(_("finance end date"), null=True, blank=True)
    funding_source = models.CharField(
        _("funding source"),
        max_length=16,
        choices=FundingSource.choices,
        default=FundingSource.UNKNOWN,
    )
    sales_advisor_name = models.CharField(_("sold by"), max_length=64, blank=True)

    class Meta(SyncedModel.Meta):
        verbose_name = _("purchase")
        verbose_name_plural = _("purchases")
        ordering = ["-purchased_on", "-id"]
        indexes = [
            *SyncedModel.Meta.indexes,
            models.Index(fields=["customer", "purchased_on"], name="purchase_cust_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} · {self.vehicle} ({self.purchased_on})"

    @property
    def is_financed(self) -> bool:
        return self.payment_method != PaymentMethod.FULL

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        finance_fields = ("finance_term_months", "monthly_payment", "finance_end_date")
        if self.is_financed:
            if not self.finance_term_months:
                errors["finance_term_months"] = _("A loan or lease needs its term in months.")
            if (
                self.finance_end_date
                and self.purchased_on
                and self.finance_end_date <= self.purchased_on
            ):
                errors["finance_end_date"] = _("The finance end date must be after the purchase.")
            if (
                self.down_payment is not None
                and self.price_paid is not None
                and self.down_payment > self.price_paid
            ):
                errors["down_payment"] = _("The down payment cannot exceed the price paid.")
        else:
            for field in finance_fields:
                if getattr(self, field):
                    errors[field] = _("Only a loan or lease has this; the car was paid in full.")
            if self.funding_source in (FundingSource.LOAN_BY_CHOICE, FundingSource.LOAN_NEEDED):
                errors["funding_source"] = _("A full payment cannot be funded by a loan.")
        if self.trade_in_value and not self.trade_in_vehicle_id:
            errors["trade_in_vehicle"] = _("Name the traded-in vehicle for a trade-in value.")
        if self.trade_in_vehicle_id and self.trade_in_vehicle_id == self.vehicle_id:
            errors["trade_in_vehicle"] = _("A car cannot be traded in for itself.")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs) -> None:
        self.finance_end_date = finance_end_date(
            self.purchased_on, self.payment_method, self.finance_term_months, self.finance_end_date
        )
        super().save(*args, **kwargs)


def finance_end_date(
    purchased_on: dt.date | None,
    payment_method: str,
    term_months: int | None,
    given_end: dt.date | None,
) -> dt.date | None:
    """A purchase's finance end date: the one given, else, for a loan or lease with a term,
    the purchase date plus the term (31 January + 1 month = end of February).

    ``Purchase.save()`` and the API's set-based sync both fill the date with this rule.
    """
    if given_end or payment_method == PaymentMethod.FULL or not term_months or not purchased_on:
        return given_end
    return add_months(purchased_on, term_months)


class ServiceOrderQuerySet(models.QuerySet):
    def with_total(self) -> ServiceOrderQuerySet:
        """Annotate ``total`` (sum of the lines) and ``discretionary_total``, 0 without lines.

        Correlated subqueries rather than a JOIN + GROUP BY, so a page of a 10-million-row list
        only sums the lines of the orders it shows.
        """
        money = models.DecimalField(max_digits=12, decimal_places=2)
        lines = ServiceOrderLine.objects.filter(order_id=OuterRef("pk")).values("order_id")
        total = lines.annotate(s=Sum("amount")).values("s")
        discretionary = (
            lines.filter(necessity=Necessity.DISCRETIONARY).annotate(s=Sum("amount")).values("s")
        )
        zero = Value(Decimal("0"), output_field=money)
        return self.annotate(
            total=Coalesce(Subquery(total, output_field=money), zero),
            discretionary_total=Coalesce(Subquery(discretionary, output_field=money), zero),
        )


class ServiceOrder(SyncedModel):
    """A workshop visit: the DMS repair order (R3.4)."""

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="service_orders",
    )
    vehicle = models.ForeignKey(
        Vehicle, verbose_name=_("vehicle"), on_delete=models.PROTECT, related_name="service_orders"
    )
    opened_on = models.DateField(_("date"), validators=[validate_not_future_date])
    closed_on = models.DateField(
        _("closed on"), null=True, blank=True, validators=[validate_not_future_date]
    )
    odometer_km = models.PositiveIntegerField(_("odometer (km)"), null=True, blank=True)
    advisor_name = models.CharField(_("service advisor"), max_length=64, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)

    objects = ServiceOrderQuerySet.as_manager()

    class Meta(SyncedModel.Meta):
        verbose_name = _("service order")
        verbose_name_plural = _("service orders")
        ordering = ["-opened_on", "-id"]
        indexes = [
            *SyncedModel.Meta.indexes,
            models.Index(fields=["customer", "opened_on"], name="serviceorder_cust_idx"),
            models.Index(fields=["vehicle", "opened_on"], name="serviceorder_veh_idx"),
            # A month's returners (the monthly report) and yesterday's workshop visits, read from
            # the index alone.
            models.Index(fields=["opened_on", "customer"], name="serviceorder_opened_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.external_id or self.pk} · {self.opened_on}"

    def clean(self) -> None:
        super().clean()
        if self.closed_on and self.opened_on and self.closed_on < self.opened_on:
            raise ValidationError({"closed_on": _("A service order cannot close before it opens.")})


class LineCategory(models.TextChoices):
    MAINTENANCE = "maintenance", _("Maintenance")
    REPAIR = "repair", _("Repair")
    WARRANTY = "warranty", _("Warranty repair")
    INSURANCE = "insurance", _("Insurance / accident repair")
    ACCESSORIES = "accessories", _("Accessories")
    DETAILING = "detailing", _("Detailing / beauty")
    TYRES = "tyres", _("Tyres")
    EXTENDED_WARRANTY = "extended_warranty", _("Extended warranty")
    INSURANCE_POLICY = "insurance_policy", _("Insurance policy")
    OTHER = "other", _("Other")


class Necessity(models.TextChoices):
    NECESSARY = "necessary", _("Necessary")
    DISCRETIONARY = "discretionary", _("Discretionary")


#: The usual necessity of each category, used when the DMS does not say (R3.4).
DEFAULT_NECESSITY = {
    LineCategory.MAINTENANCE: Necessity.NECESSARY,
    LineCategory.REPAIR: Necessity.NECESSARY,
    LineCategory.WARRANTY: Necessity.NECESSARY,
    LineCategory.INSURANCE: Necessity.NECESSARY,
    LineCategory.TYRES: Necessity.NECESSARY,
    LineCategory.INSURANCE_POLICY: Necessity.NECESSARY,
    LineCategory.ACCESSORIES: Necessity.DISCRETIONARY,
    LineCategory.DETAILING: Necessity.DISCRETIONARY,
    LineCategory.EXTENDED_WARRANTY: Necessity.DISCRETIONARY,
    LineCategory.OTHER: Necessity.DISCRETIONARY,
}


def line_necessity(category: str | None, necessity: str | None) -> str:
    """A line's necessity: the one given, else its category's usual one (discretionary for a
    category without one). ``ServiceOrderLine.save()`` and the API's sync both use it."""
    return necessity or DEFAULT_NECESSITY.get(category, Necessity.DISCRETIONARY)


class ServiceOrderLine(models.Model):
    """One line of a service order: what was bought, for how much, necessary or not (R3.4)."""

    order = models.ForeignKey(
        ServiceOrder,
        verbose_name=_("service order"),
        on_delete=models.CASCADE,
        related_name="lines",
    )
    line_no = models.PositiveSmallIntegerField(_("line"))
    category = models.CharField(_("category"), max_length=20, choices=LineCategory.choices)
    description = models.CharField(_("description"), max_length=255, blank=True)
    amount = _money(_("amount"))
    necessity = models.CharField(
        _("necessity"),
        max_length=16,
        choices=Necessity.choices,
        blank=True,
        help_text=_("Left empty, the category's usual necessity is used."),
    )

    class Meta:
        verbose_name = _("service order line")
        verbose_name_plural = _("service order lines")
        ordering = ["order_id", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_no"], name="serviceorderline_no_uniq"),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="serviceorderline_amount_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} ¥{self.amount}"

    def save(self, *args, **kwargs) -> None:
        self.necessity = line_necessity(self.category, self.necessity)
        super().save(*args, **kwargs)


class ReadingSource(models.TextChoices):
    SERVICE_ORDER = "service_order", _("Service order")
    PURCHASE = "purchase", _("Purchase / delivery")
    EVENT = "event", _("Event")
    CALL = "call", _("Phone call")
    SURVEY = "survey", _("Survey")
    DMS = "dms", _("DMS")


class OdometerReadingQuerySet(models.QuerySet):
    def for_vehicle(self, vehicle_id: int) -> OdometerReadingQuerySet:
        """Readings of one vehicle in time order."""
        return self.filter(vehicle_id=vehicle_id).order_by("read_on", "km", "id")


class OdometerReading(SyncedModel):
    """Mileage seen at a touch point (R2.3). Readings only go up, unless the meter was replaced."""

    vehicle = models.ForeignKey(
        Vehicle,
        verbose_name=_("vehicle"),
        on_delete=models.CASCADE,
        related_name="odometer_readings",
    )
    read_on = models.DateField(_("date"), validators=[validate_not_future_date])
    km = models.PositiveIntegerField(_("odometer (km)"), validators=[MaxValueValidator(2_000_000)])
    reading_source = models.CharField(
        _("where it was read"), max_length=16, choices=ReadingSource.choices
    )
    service_order = models.ForeignKey(
        ServiceOrder,
        verbose_name=_("service order"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="odometer_readings",
    )
    is_meter_replacement = models.BooleanField(
        _("meter replaced"),
        default=False,
        help_text=_(
            "Tick when the odometer was replaced or reset: lower readings are then allowed."
        ),
    )

    objects = OdometerReadingQuerySet.as_manager()

    class Meta(SyncedModel.Meta):
        verbose_name = _("odometer reading")
        verbose_name_plural = _("odometer readings")
        ordering = ["vehicle_id", "read_on", "id"]
        indexes = [
            *SyncedModel.Meta.indexes,
            models.Index(fields=["vehicle", "read_on"], name="odometer_veh_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.km:,} km ({self.read_on})"

    def clean(self) -> None:
        super().clean()
        if not self.vehicle_id or self.read_on is None or self.km is None:
            return
        others = OdometerReading.objects.filter(vehicle_id=self.vehicle_id).exclude(pk=self.pk)
        # Readings carry a date, not a time: readings of the same day may come in any order
        # (reception, then delivery after a test drive), so only other days bound this one.
        # ``for_vehicle`` orders a day's readings by km to match.
        earlier = others.filter(read_on__lt=self.read_on).order_by("-read_on", "-km").first()
        if earlier and earlier.km > self.km and not self.is_meter_replacement:
            raise ValidationError(
                {
                    "km": _(
                        "%(km)s km is lower than the %(earlier_km)s km read on %(earlier_date)s. "
                        "Tick “meter replaced” if the odometer was replaced."
                    )
                    % {"km": self.km, "earlier_km": earlier.km, "earlier_date": earlier.read_on}
                }
            )
        later = others.filter(read_on__gt=self.read_on).order_by("read_on", "km").first()
        if later and later.km < self.km and not later.is_meter_replacement:
            raise ValidationError(
                {
                    "km": _(
                        "%(km)s km is higher than the %(later_km)s km read later, on %(later_date)s."
                    )
                    % {"km": self.km, "later_km": later.km, "later_date": later.read_on}
                }
            )
