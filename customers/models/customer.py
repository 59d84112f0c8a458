"""The customer of the dealership (R1.1, R1.3): identity, contact data, assigned advisor and
owner, character and buying habits; and who may see which customers (R7.1):
:meth:`CustomerQuerySet.visible_to` and :func:`visible_customers_q`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.roles import is_sales_advisor, sees_all_customers
from customers.models.choices import Character, DrivingExperience, Gender
from customers.models.synced import SyncedModel
from customers.validators import normalize_mobile, validate_birth_year, validate_cn_mobile


class CustomerQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> CustomerQuerySet:
        """Customers ``user`` may see: all for staff roles and managers, own ones for advisors,
        none for anyone else.

        This is the one place record scoping lives (R7.1); views, API and exports all call it.
        """
        if sees_all_customers(user):
            return self
        if is_sales_advisor(user):
            return self.filter(sales_advisor=user)
        # Anonymous, or no role (e.g. a leaver whose role was removed but who is still named
        # on customers until reassignment, R7.2): nothing.
        return self.none()


def visible_customers_q(user: Any, path: str = "customer") -> Q:
    """A filter on a model that points to a customer through ``path``: its visible rows.

    Delegates to :meth:`CustomerQuerySet.visible_to`, adding no condition for users who see all.
    """
    if sees_all_customers(user):
        return Q()
    return Q(**{f"{path}__in": Customer.objects.visible_to(user)})


class Customer(SyncedModel):
    """A customer of the dealership: identity, contact data, character (R1.1, R1.3)."""

    name = models.CharField(_("name"), max_length=64)
    mobile = models.CharField(
        _("mobile"), max_length=11, blank=True, validators=[validate_cn_mobile], db_index=True
    )
    phone_alt = models.CharField(_("other phone"), max_length=32, blank=True)
    wechat_id = models.CharField(_("WeChat / IM id"), max_length=64, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    region = models.CharField(_("region"), max_length=64, blank=True, db_index=True)
    gender = models.CharField(
        _("gender"), max_length=8, choices=Gender.choices, default=Gender.UNKNOWN
    )
    birth_year = models.PositiveSmallIntegerField(
        _("birth year"), null=True, blank=True, validators=[validate_birth_year]
    )
    sales_advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sales advisor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="advised_customers",
    )
    service_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("service-marketing owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_customers",
    )
    character = models.CharField(
        _("character"), max_length=16, choices=Character.choices, default=Character.UNKNOWN
    )
    buying_habits = models.TextField(_("buying habits"), blank=True)
    liked_brands = models.JSONField(
        _("other brands liked"),
        default=list,
        blank=True,
        help_text=_("Brand names the customer likes besides ours."),
    )
    driving_experience = models.CharField(
        _("driving experience"),
        max_length=16,
        choices=DrivingExperience.choices,
        default=DrivingExperience.UNKNOWN,
    )
    cars_owned_before = models.PositiveSmallIntegerField(
        _("cars owned before"), null=True, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)

    objects = CustomerQuerySet.as_manager()

    class Meta(SyncedModel.Meta):
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    def clean_fields(self, exclude=None) -> None:
        # Normalise first, so "+86 139 1234 5678" is checked (max_length included) as stored.
        if self.mobile:
            self.mobile = normalize_mobile(self.mobile)
        super().clean_fields(exclude)

    def clean(self) -> None:
        super().clean()
        if self.mobile:
            self.mobile = normalize_mobile(self.mobile)
        if not isinstance(self.liked_brands, list) or not all(
            isinstance(b, str) and b.strip() for b in self.liked_brands
        ):
            raise ValidationError({"liked_brands": _("Give a list of brand names.")})
        self.liked_brands = list(dict.fromkeys(b.strip() for b in self.liked_brands))
