"""Staff relations of the follow-up work (R7.2): :class:`ReportingLine`, whose manager an
escalation goes to, and :class:`Reassignment`, the log of a leaver's customers and work handed
over."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


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
