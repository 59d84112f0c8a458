"""Scoring runs and their per-customer results (R4.7), and the settings managers edit.

- :class:`ScoringConfiguration`: the thresholds and weights of the next runs, edited in the
  admin; each run keeps a copy (``ScoringRun.settings``), so any month can be explained later.
- :class:`ScoringRun`: one run for a month: status, timings, counts, fitted model parameters
  and log-likelihoods, or the error if it failed. Exactly one successful run per (month, kind)
  is *current*; a rerun replaces it atomically, a failed one leaves it in place.
- :class:`CustomerScore`: every component of one customer's score in one run.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from segmentation.scoring_settings import ScoringSettings, SettingsError


def _default_settings() -> dict[str, Any]:
    return ScoringSettings().to_dict()


class ActiveConfiguration(models.Model):
    """Abstract base of a settings row managers edit in the admin: one row is active and is
    used by the next run, which keeps a copy. ``settings_class`` is the pure settings object
    (``from_dict`` checks every value; missing keys take their defaults)."""

    settings_class: Any

    name = models.CharField(_("name"), max_length=64, default="default")
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not isinstance(self.settings, dict):
            raise ValidationError({"settings": _("Give the settings as a JSON object.")})
        try:
            self.settings_class.from_dict(self.settings)
        except SettingsError as error:
            if error.value is None:
                message = _("Unknown settings: %(names)s.") % {"names": ", ".join(error.names)}
            else:
                message = _("The setting “%(name)s” is out of range: %(value)s.") % {
                    "name": error.names[0],
                    "value": error.value,
                }
            raise ValidationError({"settings": message}) from error
        except (ValueError, TypeError) as error:
            raise ValidationError(
                {
                    "settings": _("A setting has a value of the wrong type: %(error)s")
                    % {"error": error}
                }
            ) from error

    @classmethod
    def active_settings(cls) -> Any:
        """The settings of the active configuration, or the defaults without one."""
        row = cls.objects.filter(is_active=True).first()
        return cls.settings_class.from_dict(row.settings) if row else cls.settings_class()


class ScoringConfiguration(ActiveConfiguration):
    """The scoring settings in force; the active row is used by the next run."""

    settings_class = ScoringSettings
    settings = models.JSONField(
        _("settings"),
        default=_default_settings,
        help_text=_("Thresholds and weights; keys missing here take their defaults."),
    )

    class Meta:
        verbose_name = _("scoring configuration")
        verbose_name_plural = _("scoring configurations")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_scoring_config"
            )
        ]


class RunKind(models.TextChoices):
    MONTHLY = "monthly", _("Monthly scoring")
    WARNING = "warning", _("Daily early warning")


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class ScoringRunQuerySet(models.QuerySet):
    def current(self) -> ScoringRunQuerySet:
        """The runs whose results are in force, one per (month, kind)."""
        return self.filter(is_current=True)

    def latest_monthly(self) -> ScoringRun | None:
        """The current monthly run of the latest month."""
        return self.current().filter(kind=RunKind.MONTHLY).order_by("-month").first()


class ScoringRun(models.Model):
    month = models.DateField(_("month"), help_text=_("First day of the month scored."))
    as_of = models.DateField(_("as of"))
    kind = models.CharField(
        _("kind"), max_length=16, choices=RunKind.choices, default=RunKind.MONTHLY
    )
    status = models.CharField(
        _("status"), max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    is_current = models.BooleanField(_("current"), default=False)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    timings = models.JSONField(_("timings (s)"), default=dict, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    settings = models.JSONField(_("settings used"), default=dict, blank=True)
    model = models.JSONField(_("fitted models"), default=dict, blank=True)
    forecast_flagged = models.BooleanField(
        _("forecast failed its backtest"),
        default=False,
        help_text=_(
            "The run's backtest: its visit or spend forecast of the last months missed the "
            "actual by more than the configured bound; read its future values with care."
        ),
    )
    error = models.TextField(_("error"), blank=True)
    summary = models.JSONField(
        _("summary"),
        default=dict,
        blank=True,
        help_text=_("Counts and future value per segment and the moves since the previous run."),
    )

    objects = ScoringRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("scoring run")
        verbose_name_plural = _("scoring runs")
        ordering = ["-month", "-started_at"]
        constraints = [
            # The lock: one running run per month and kind.
            models.UniqueConstraint(
                fields=["month", "kind"],
                condition=Q(status="running"),
                name="one_running_run_per_month",
            ),
            models.UniqueConstraint(
                fields=["month", "kind"],
                condition=Q(is_current=True),
                name="one_current_run_per_month",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.month:%Y-%m} ({self.get_status_display()})"


class Status(models.TextChoices):
    ACTIVE = "active", _("Active")
    AT_RISK = "at_risk", _("At risk")
    LOST = "lost", _("Lost")


class ChurnIndicator(models.TextChoices):
    """The churn indicators (R4.3), one sub-score each (``churn_<value>`` on a score)."""

    OVERDUE = "overdue", _("Overdue versus own visit interval")
    NOT_ALIVE = "not_alive", _("Probably no longer active")
    FALLING_FREQUENCY = "falling_frequency", _("Falling visit frequency")
    UNRESOLVED_COMPLAINTS = "unresolved_complaints", _("Unresolved complaint")
    FALLING_SATISFACTION = "falling_satisfaction", _("Falling satisfaction")
    NO_ENGAGEMENT = "no_engagement", _("No engagement in any value layer")


class RfmSegment(models.TextChoices):
    CHAMPIONS = "champions", _("Champions")
    LOYAL = "loyal", _("Loyal")
    POTENTIAL_LOYALIST = "potential_loyalist", _("Potential loyalist")
    NEW = "new", _("New customer")
    PROMISING = "promising", _("Promising")
    NEED_ATTENTION = "need_attention", _("Need attention")
    ABOUT_TO_SLEEP = "about_to_sleep", _("About to sleep")
    AT_RISK = "at_risk", _("At risk")
    CANT_LOSE_THEM = "cant_lose_them", _("Can't lose them")
    HIBERNATING = "hibernating", _("Hibernating")
    LOST = "lost", _("Lost")


class CustomerScoreQuerySet(models.QuerySet):
    def in_results(self) -> CustomerScoreQuerySet:
        """Scores of the runs in force, their run ids given as a list: the one index on
        scores leads with the run, so a lookup by customer needs the runs spelled out."""
        runs = list(ScoringRun.objects.current().values_list("pk", flat=True))
        return self.filter(run_id__in=runs)


class CustomerScore(models.Model):
    """One customer's result in one run, with every component (R4.1-R4.6).

    Indexed only by (run, customer): a run writes a million rows at the end of the index, and
    an index led by the customer would be rewritten page by page on every run.
    """

    run = models.ForeignKey(
        ScoringRun,
        verbose_name=_("run"),
        on_delete=models.CASCADE,
        related_name="scores",
        db_index=False,
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="scores",
        db_constraint=False,
        db_index=False,
    )
    # R4.1
    recency_days = models.FloatField(_("recency (days)"), null=True)
    frequency = models.IntegerField(_("frequency"))
    monetary = models.FloatField(_("monetary"))
    r_score = models.SmallIntegerField(_("R"))
    f_score = models.SmallIntegerField(_("F"))
    m_score = models.SmallIntegerField(_("M"))
    rfm_segment = models.CharField(_("RFM segment"), max_length=24, choices=RfmSegment.choices)
    # R4.2
    vehicle_age_years = models.FloatField(_("vehicle age (years)"), null=True)
    age_tier = models.CharField(_("age tier"), max_length=8, null=True)
    satisfaction = models.FloatField(_("satisfaction"), null=True)
    satisfaction_band = models.CharField(_("satisfaction band"), max_length=8)
    satisfaction_known = models.BooleanField(_("surveyed"))
    nine_cell = models.CharField(_("9-cell"), max_length=16, null=True)
    est_annual_km = models.FloatField(_("estimated km a year"), null=True)
    est_current_km = models.FloatField(_("estimated odometer now"), null=True)
    low_mileage = models.BooleanField(_("low mileage"))
    # R4.3, R4.5
    visit_interval_days = models.FloatField(_("own visit interval (days)"))
    overdue_ratio = models.FloatField(_("overdue ratio"))
    unresolved_complaints = models.IntegerField(_("unresolved complaints"))
    churn_overdue = models.FloatField(_("overdue"))
    churn_not_alive = models.FloatField(_("not alive"))
    churn_falling_frequency = models.FloatField(_("falling visit frequency"))
    churn_unresolved_complaints = models.FloatField(_("unresolved complaint"))
    churn_falling_satisfaction = models.FloatField(_("falling satisfaction"))
    churn_no_engagement = models.FloatField(_("no engagement"))
    churn_score = models.FloatField(_("churn score"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices)
    # R4.4
    p_alive = models.FloatField(_("P(active)"), null=True)
    expected_visits = models.FloatField(_("expected visits"))
    expected_spend_per_visit = models.FloatField(_("expected spend per visit"))
    expected_spend = models.FloatField(_("expected spend"))
    value_layer_score = models.FloatField(_("value-layer score"))
    future_value = models.FloatField(_("future value"))
    value_tier = models.SmallIntegerField(_("value tier"), null=True)
    # R4.6
    previous_future_value = models.FloatField(_("previous future value"), null=True)
    future_value_change = models.FloatField(_("future value change"), null=True)
    previous_rfm_segment = models.CharField(_("previous RFM segment"), max_length=24, null=True)

    objects = CustomerScoreQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer score")
        verbose_name_plural = _("customer scores")
        constraints = [
            models.UniqueConstraint(fields=["run", "customer"], name="one_score_per_run")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} · {self.get_status_display()}"
