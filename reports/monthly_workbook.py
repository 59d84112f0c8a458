"""The Excel file of the monthly win-back report (R6.1): the summary, the campaigns and the
rule-based work with their verdicts, the trend, then the customers behind the figures (the
recovered customers and the month's targets with their outcome), contact data masked and each
list cut at :data:`MAX_EXPORT_ROWS`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.masking import mask_value
from customers.models import visible_customers_q
from reports.excel import DATETIME, INTEGER, MONEY, PERCENT, Sheet
from reports.monthly_figures import MonthlyReport, Verdict
from reports.monthly_recovered import month_spend, recovered_targets
from segmentation.models import Status
from winback.models import ChurnReason, PlanStatus, Target, TargetGroup, TaskKind

#: At most this many customer rows per list in the Excel file (the sheet says when cut).
MAX_EXPORT_ROWS = 50_000


@dataclass
class ReportExport:
    """The sheets of a report's Excel file; ``customer_rows`` counts the customer rows written
    (known once the file is written), for the data access log."""

    sheets: list[Sheet]
    customer_rows: int = 0


def _labels(choices: Any) -> dict[str, str]:
    return {code: str(label) for code, label in choices.choices}


def _yes_no(value: bool | None) -> str:
    if value is None:
        return _("not measured yet")
    return _("Yes") if value else _("No")


def _capped(queryset: QuerySet, limit: int) -> tuple[int, bool]:
    """``(rows, cut)``: the rows the list will hold and whether it was cut at ``limit``."""
    count = Target.objects.filter(pk__in=queryset.values("pk")[: limit + 1]).count()
    return min(count, limit), count > limit


def _cut_note(cut: bool, limit: int) -> str:
    if not cut:
        return ""
    return _("Only the first %(rows)s rows are listed; the figures count everyone.") % {
        "rows": f"{limit:,}"
    }


def _summary_sheet(report: MonthlyReport) -> Sheet:
    judged = report.judged
    rows: list[list[Any]] = [
        [_("Month"), f"{report.month:%Y-%m}", None, None, ""],
        [_("Recovered customers (contacted, came back)"), report.recovered, None, None, ""],
        [_("… of them lost when chosen"), report.recovered_lost, None, None, ""],
        [_("… of them at risk when chosen"), report.recovered_at_risk, None, None, ""],
        [_("Came back without contact (control group)"), report.control_returned, None, None, ""],
        [_("Revenue recovered"), None, report.revenue_recovered, None, ""],
        [_("Lost customers active again (scores)"), report.back_from_lost, None, None, ""],
        [_("Newly lost (scores)"), report.newly_lost, None, None, ""],
        [_("Targets contacted this month"), report.contacted, None, None, ""],
        [_("Targets held back (control group)"), report.control, None, None, ""],
        [_("Contacts logged"), report.contacts, None, None, ""],
        [_("Estimated hours"), round(report.hours, 1), None, None, ""],
        [_("Offers made"), report.offers_made, None, None, ""],
        [_("Offers taken up"), report.offers_taken_up, None, None, ""],
        [_("Value of the packages taken up"), None, report.offers_value, None, ""],
    ]
    if judged:
        horizon = _("after %(months)s months") % {"months": judged["months"]}
        rows += [
            [
                _("Came back, contacted"),
                judged["contacted_n"],
                None,
                judged["contacted_rate"],
                horizon,
            ],
            [
                _("Came back, control group"),
                judged["control_n"],
                None,
                judged["control_rate"],
                horizon,
            ],
            [
                _("Uplift (percentage points)"),
                round(judged["uplift_points"], 1),
                None,
                None,
                horizon,
            ],
        ]
    rows.append(
        [
            _("Worth continuing?"),
            None,
            None,
            None,
            f"{report.verdict.label}: {report.verdict.reason}",
        ]
    )
    if report.counted_at is not None:
        counted_at = timezone.localtime(report.counted_at).strftime("%Y-%m-%d %H:%M")
        rows.append([_("Counted at"), None, None, None, counted_at])
    return Sheet(
        title=_("Summary"),
        headers=[_("Figure"), _("Number"), _("Amount"), _("Share"), _("Note")],
        rows=rows,
        formats={1: "#,##0.##", 2: MONEY, 3: PERCENT},
    )


def _work_row(
    work: str,
    kind: str,
    sizes: tuple[int, int],
    judged: dict[str, Any] | None,
    revenue: Any,
    verdict: Verdict,
) -> list[Any]:
    """A row of the campaigns and work sheet: ``sizes`` are (contacted, control), ``judged``
    the longest horizon measured (blank columns when none is)."""
    judged = judged or {}
    return [
        work,
        kind,
        *sizes,
        judged.get("months"),
        judged.get("contacted_rate"),
        judged.get("control_rate"),
        round(judged["uplift_points"], 1) if judged else None,
        revenue,
        verdict.label,
        verdict.reason,
    ]


def _work_sheet(report: MonthlyReport) -> Sheet:
    kinds = _labels(TaskKind)
    rows: list[list[Any]] = []
    for item in report.kinds:
        judged = item.judged or {}
        rows.append(
            _work_row(
                kinds.get(item.kind, item.kind),
                _("Rule-based work"),
                (item.contacted, item.control),
                judged,
                judged.get("contacted_spend"),
                item.verdict,
            )
        )
    for item in report.campaigns:
        rows.append(
            _work_row(
                item.campaign.name,
                _("Campaign"),
                (item.progress["contacted_group"], item.progress["control"]),
                item.judged,
                item.progress["revenue"],
                item.verdict,
            )
        )
    return Sheet(
        title=_("Campaigns and work"),
        headers=[
            _("Work"),
            _("Type"),
            _("Contacted"),
            _("Control group"),
            _("Measured after (months)"),
            _("Came back, contacted"),
            _("Came back, control group"),
            _("Uplift (percentage points)"),
            _("Revenue of the contacted"),
            _("Worth continuing?"),
            _("Why"),
        ],
        rows=rows,
        formats={2: INTEGER, 3: INTEGER, 5: PERCENT, 6: PERCENT, 8: MONEY},
    )


def _trend_sheet(report: MonthlyReport) -> Sheet:
    rows = [
        [
            f"{row.month:%Y-%m}",
            row.contacted,
            row.control,
            None if row.uplift_1m is None else round(row.uplift_1m, 1),
            None if row.uplift_3m is None else round(row.uplift_3m, 1),
            row.back_from_lost,
            row.newly_lost,
            row.contacts,
        ]
        for row in report.trend
    ]
    return Sheet(
        title=_("Trend"),
        headers=[
            _("Month"),
            _("Targets contacted"),
            _("Control group"),
            _("Uplift after 1 month (points)"),
            _("Uplift after 3 months (points)"),
            _("Lost customers active again"),
            _("Newly lost"),
            _("Contacts logged"),
        ],
        rows=rows,
        formats={1: INTEGER, 2: INTEGER, 5: INTEGER, 6: INTEGER, 7: INTEGER},
    )


def _counted(rows: Iterable[list[Any]], export: ReportExport) -> Iterator[list[Any]]:
    for row in rows:
        export.customer_rows += 1
        yield row


def _target_headers() -> list[str]:
    """The columns both customer sheets open with: who the target is and why it was chosen
    (a function, so the headers are in the language of the export's request)."""
    return [_("Customer no."), _("Customer"), _("Mobile"), _("Kind"), _("Group")]


def _recovered_sheet(user: Any, report: MonthlyReport, export: ReportExport) -> Sheet:
    targets = recovered_targets(user=user, month=report.month)
    _rows, cut = _capped(targets, MAX_EXPORT_ROWS)
    kinds, groups, statuses = _labels(TaskKind), _labels(TargetGroup), _labels(Status)
    values = (
        targets.annotate(month_spend=month_spend(report.month))
        .order_by("customer_id", "id")
        .values_list(
            "customer_id",
            "customer__name",
            "customer__mobile",
            "kind",
            "group",
            "score_status",
            "first_contact_at",
            "month_spend",
        )[:MAX_EXPORT_ROWS]
    )
    rows = (
        [
            customer_id,
            name,
            mask_value("mobile", mobile),
            kinds.get(kind, kind),
            groups.get(group, group),
            statuses.get(status, status),
            first_contact,
            month_spend or Decimal("0"),
        ]
        for customer_id, name, mobile, kind, group, status, first_contact, month_spend in values.iterator(
            chunk_size=2000
        )
    )
    return Sheet(
        title=_("Recovered customers"),
        headers=[
            *_target_headers(),
            _("Churn status when chosen"),
            _("First contact"),
            _("Spent this month"),
        ],
        rows=_counted(rows, export),
        formats={6: DATETIME, 7: MONEY},
        note=_cut_note(cut, MAX_EXPORT_ROWS),
    )


def _targets_sheet(user: Any, report: MonthlyReport, export: ReportExport) -> Sheet:
    targets = Target.objects.filter(
        visible_customers_q(user), round_id__in=[r.pk for r in report.rounds]
    )
    _rows, cut = _capped(targets, MAX_EXPORT_ROWS)
    kinds, groups, statuses = _labels(TaskKind), _labels(TargetGroup), _labels(Status)
    plans, reasons = _labels(PlanStatus), _labels(ChurnReason)
    values = targets.order_by("id").values_list(
        "customer_id",
        "customer__name",
        "customer__mobile",
        "kind",
        "group",
        "plan_status",
        "score_status",
        "churn_reason",
        "offer__name",
        "first_contact_at",
        "returned_1m",
        "returned_3m",
        "spend_3m",
        "offer_matched",
    )[:MAX_EXPORT_ROWS]
    rows = (
        [
            row[0],
            row[1],
            mask_value("mobile", row[2]),
            kinds.get(row[3], row[3]),
            groups.get(row[4], row[4]),
            plans.get(row[5], row[5]),
            statuses.get(row[6], row[6]),
            reasons.get(row[7], ""),
            row[8] or "",
            row[9],
            _yes_no(row[10]),
            _yes_no(row[11]),
            row[12],
            "" if row[8] is None else _yes_no(row[13]),
        ]
        for row in values.iterator(chunk_size=2000)
    )
    return Sheet(
        title=_("Targets of the month"),
        headers=[
            *_target_headers(),
            _("Plan status"),
            _("Churn status when chosen"),
            _("Churn reason"),
            _("Offer made"),
            _("First contact"),
            _("Came back within 1 month"),
            _("Came back within 3 months"),
            _("Spent within 3 months"),
            _("Spending matched the offer"),
        ],
        rows=_counted(rows, export),
        formats={9: DATETIME, 12: MONEY},
        note=_cut_note(cut, MAX_EXPORT_ROWS),
    )


def monthly_report_sheets(*, user: Any, report: MonthlyReport) -> ReportExport:
    """The Excel file of ``report``: summary, campaigns and work, trend, then the customers
    behind the figures (recovered customers, the month's targets with their outcome), contact
    data masked (:func:`customers.masking.mask_value`), each list cut at
    :data:`MAX_EXPORT_ROWS`. The customer rows are read while the file is written."""
    export = ReportExport(sheets=[])
    export.sheets = [
        _summary_sheet(report),
        _work_sheet(report),
        _trend_sheet(report),
        _recovered_sheet(user, report, export),
        _targets_sheet(user, report, export),
    ]
    return export
