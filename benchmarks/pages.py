"""Server time of the staff pages at scale: the dealership to measure and the measuring.

The dealership is the one ``bench_scoring`` and ``bench_winback`` use (the demo generator's
bulk load of N customers), with the current and the previous month scored and the current
month's win-back round generated through the services. Pages are requested through Django's
test ``Client`` as a signed-in manager and as the advisor with the most open tasks: a few
warm-up requests, then ``repeat`` timed ones (the whole request: middleware, view, queries,
template), and one more under a query counter. The floor is ``/healthz`` (one ``SELECT 1``)
requested through the same client in the same run, so a page's ratio to it is the page's own
cost, comparable across machines.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import Count
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.roles import Role
from core.months import month_start, previous_month
from customers.models import DataAccessAction, DataAccessLog
from demo import seeding
from segmentation.models import CustomerScore, RunKind, ScoringRun
from segmentation.selectors import scoring_run_current
from segmentation.services import scoring_run_execute
from winback.models import Round, Task, TaskStatus
from winback.services import round_generate

#: Server-time targets (p95, ms): every page 150 ms, the advisor's day 50 ms.
TARGET_MS = 150.0
TODAY_TARGET_MS = 50.0
FLOOR_URL = "/healthz"
#: Query-string keys a keyset pager's "next" link may carry.
_CURSOR_KEYS = ("after", "cursor", "before", "page", "from")
_LINK = re.compile(r"<a\b[^>]*>", re.IGNORECASE)
_HREF = re.compile(r'href="([^"]*)"', re.IGNORECASE)


@dataclass
class PageTiming:
    """One page as one role saw it: p50/p95 in ms, queries of one request, or an error."""

    role: str
    name: str
    url: str
    status: int = 0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    queries: int = 0
    error: str = ""
    #: The first request's time: a cold cache (a page may cache what it computes).
    first_ms: float = 0.0
    slowest_ms: float = 0.0
    slowest_sql: str = ""
    plan: str = ""

    @property
    def target_ms(self) -> float:
        return TODAY_TARGET_MS if self.name == "/today/" else TARGET_MS

    @property
    def passed(self) -> bool:
        return not self.error and self.p95_ms <= self.target_ms

    @property
    def not_for_role(self) -> bool:
        """The role may not open the page (403): no figure, and no failure either."""
        return self.status == 403


@dataclass
class BenchData:
    """What the pages are asked about: who asks, and which month, customer and cell."""

    manager: AbstractBaseUser
    advisor: AbstractBaseUser
    advisor_open_tasks: int
    month: dt.date
    customer_id: int
    nine_cell: str


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (``share`` in 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def bench_dealership_ensure(
    *, customers: int, seed: int, say: Callable[[str], None] = lambda _m: None
) -> None:
    """The benchmarks' dealership of ``customers`` customers (bulk-loaded when the database
    holds another number), this month and last month scored, this month's round generated,
    and some data-access log rows for the log page."""
    if seeding.demo_dealership_ensure(customers=customers, seed=seed):
        say(f"Loaded {customers:,} customers with the bulk generator.")
    month = month_start(timezone.localdate())
    for scored in (previous_month(month), month):
        if scoring_run_current(scored) is None:
            say(f"Scoring {scored:%Y-%m}…")
            scoring_run_execute(month=scored, kind=RunKind.MONTHLY)
    # Last month's round too: its work started this month, so the monthly report has a month.
    for scored in (previous_month(month), month):
        run = scoring_run_current(scored)
        if not Round.objects.filter(run=run).exists():
            say(f"Generating the round of {scored:%Y-%m}…")
            round_generate(run=run)
    _access_log_ensure(rows=max(100, customers // 100))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _access_log_ensure(*, rows: int) -> None:
    """Reveals spread over the staff and the last 90 days, so the log page has rows to list."""
    if DataAccessLog.objects.exists():
        return
    staff = list(get_user_model().objects.filter(is_staff=True).values_list("pk", flat=True))
    customer_ids = list(Task.objects.values_list("customer_id", flat=True)[:rows])
    if not staff or not customer_ids:
        return
    now = timezone.now()
    DataAccessLog.objects.bulk_create(
        [
            DataAccessLog(
                user_id=staff[i % len(staff)],
                at=now - dt.timedelta(minutes=13 * i),
                action=DataAccessAction.REVEAL,
                what="mobile",
                customer_id=customer_ids[i % len(customer_ids)],
                rows=1,
            )
            for i in range(rows)
        ],
        batch_size=5_000,
    )


def bench_data() -> BenchData:
    """The manager, the busiest advisor, the latest scored month, one of the advisor's
    customers with a task and the advisor's most common 9-cell."""
    users = get_user_model().objects
    manager = users.filter(groups__name=Role.MANAGER, is_active=True).order_by("pk").first()
    if manager is None:
        raise LookupError("No manager in the database.")
    busiest = (
        Task.objects.filter(status=TaskStatus.OPEN, assignee__groups__name=Role.SALES_ADVISOR)
        .values("assignee")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    if busiest is None:
        raise LookupError("No advisor has open tasks.")
    advisor = users.get(pk=busiest["assignee"])
    run = ScoringRun.objects.latest_monthly()
    if run is None:
        raise LookupError("No monthly scoring run.")
    customer_id = (
        Task.objects.filter(assignee=advisor, status=TaskStatus.OPEN)
        .order_by("pk")
        .values_list("customer_id", flat=True)
        .first()
    )
    cell = (
        CustomerScore.objects.filter(run=run, nine_cell__isnull=False)
        .values("nine_cell")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    return BenchData(
        manager=manager,
        advisor=advisor,
        advisor_open_tasks=busiest["n"],
        month=run.month,
        customer_id=customer_id,
        nine_cell=cell["nine_cell"] if cell else "7+/low",
    )


def page_urls(data: BenchData) -> list[tuple[str, str]]:
    """(name, url) of the pages measured; the customer list's second keyset page is found
    from the first page's "next" link when measuring."""
    return [
        ("/today/", "/today/"),
        ("/customers/", "/customers/"),
        ("/customers/?nine_cell", "/customers/?" + urlencode({"nine_cell": data.nine_cell})),
        ("/customers/ page 2", ""),
        ("/customers/<id>/", f"/customers/{data.customer_id}/"),
        ("/segments/", "/segments/"),
        ("/campaigns/", "/campaigns/"),
        ("/reports/monthly/<month>/", f"/reports/monthly/{data.month:%Y-%m}/"),
        ("/dashboard/", "/dashboard/"),
        ("/access-log/", "/access-log/"),
    ]


def next_page_url(page: str, path: str) -> str:
    """The "next" link of a keyset pager in ``page`` (an ``<a rel="next">``, or a link whose
    query carries a cursor key), as a URL under ``path``; "" when there is none."""
    for tag in _LINK.findall(page):
        href = _HREF.search(tag)
        if href is None:
            continue
        url = html.unescape(href.group(1))
        query = url.partition("?")[2]
        keys = {part.partition("=")[0] for part in query.split("&") if part}
        if 'rel="next"' in tag.lower() or keys & set(_CURSOR_KEYS):
            return path + url if url.startswith("?") else url
    return ""


def timed_get(client: Client, url: str, *, repeat: int, warmup: int) -> PageTiming:
    """Time ``repeat`` GETs of ``url`` after ``warmup`` ones; count one request's queries.

    Anything but 200 is an error line (a 404 placeholder, a 500, a redirect to the login),
    not an exception: pages land one by one.
    """
    timing = PageTiming(role="", name=url, url=url)
    for attempt in range(max(1, warmup)):
        started = time.perf_counter()
        response = client.get(url)
        if attempt == 0:
            timing.first_ms = (time.perf_counter() - started) * 1000
        timing.status = response.status_code
        if response.status_code != 200:
            timing.error = _error(response)
            return timing
    times = []
    for _attempt in range(repeat):
        started = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    timing.p50_ms = statistics.median(times) * 1000
    timing.p95_ms = percentile(times, 0.95) * 1000
    timing.queries = len(queries.captured_queries)
    return timing


def slowest_query_explain(client: Client, url: str) -> tuple[float, str, str]:
    """The slowest query of one request of ``url`` (ms, SQL) and its ``EXPLAIN ANALYZE``
    (PostgreSQL), to say why a page misses its target."""
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    if not queries.captured_queries:
        return 0.0, "", ""
    slowest = max(queries.captured_queries, key=lambda query: float(query["time"]))
    sql = slowest["sql"]
    plan = ""
    if connection.vendor == "postgresql" and sql.lstrip().upper().startswith("SELECT"):
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
    return float(slowest["time"]) * 1000, sql, plan


def _error(response) -> str:
    raised = getattr(response, "exc_info", None)
    if raised:
        return f"HTTP {response.status_code}: {raised[0].__name__}: {str(raised[1])[:160]}"
    if response.status_code in (301, 302):
        return f"HTTP {response.status_code} to {response.get('Location', '?')}"
    return f"HTTP {response.status_code}"


def pages_measure(
    data: BenchData, *, repeat: int, warmup: int, explain: bool = False
) -> tuple[PageTiming, list[PageTiming]]:
    """The floor and every page for the manager and the advisor, in one run.

    Debug is off while measuring, so queries are not logged (as in production); the request
    log is quiet, since a missing page is reported in its line.
    """
    results = []
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.CRITICAL)
    try:
        with override_settings(DEBUG=False):
            _pages_measure(data, repeat, warmup, results, explain)
    finally:
        request_log.setLevel(level)
    return results[0], results[1:]


def _pages_measure(data: BenchData, repeat: int, warmup: int, results: list, explain: bool) -> None:
    """Append the floor, then each role's pages, to ``results``."""
    floor_client = Client(raise_request_exception=False)
    floor = timed_get(floor_client, FLOOR_URL, repeat=repeat, warmup=warmup)
    floor.role, floor.name = "-", "floor /healthz"
    results.append(floor)
    for role, user in (("manager", data.manager), ("advisor", data.advisor)):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        first_list = ""
        for name, url in page_urls(data):
            if name == "/customers/ page 2":
                url = next_page_url(first_list, "/customers/")
                if not url:
                    results.append(
                        PageTiming(role, name, "", error="no next-page link on /customers/")
                    )
                    continue
            if name == "/reports/monthly/<month>/":
                url = _latest_report_url(client) or url
            timing = timed_get(client, url, repeat=repeat, warmup=warmup)
            timing.role, timing.name = role, name
            if name == "/customers/" and not timing.error:
                first_list = client.get(url).content.decode()
            if explain and not timing.error and not timing.passed:
                timing.slowest_ms, timing.slowest_sql, timing.plan = slowest_query_explain(
                    client, url
                )
            results.append(timing)


def _latest_report_url(client: Client) -> str:
    """Where ``/reports/monthly/`` sends this user: the latest month with results."""
    response = client.get("/reports/monthly/")
    return response.get("Location", "") if response.status_code == 302 else ""


def report_lines(floor: PageTiming, results: list[PageTiming]) -> list[str]:
    """The table the command prints: p50/p95, queries, ratio to the floor, PASS/FAIL."""
    lines = [
        f"{'role':<8} {'page':<28} {'p50 ms':>8} {'p95 ms':>8} {'queries':>7} "
        f"{'x floor':>8} {'target':>7}  result {'first ms':>9}   "
        "(x floor: p50 / floor p50; first: the first, cold request)",
        f"{'-':<8} {'floor /healthz':<28} {floor.p50_ms:8.2f} {floor.p95_ms:8.2f} "
        f"{floor.queries:7d}",
    ]
    floor_p50 = floor.p50_ms or 1e-9
    for row in results:
        if row.not_for_role:
            lines.append(f"{row.role:<8} {row.name:<28} n/a   not for this role (HTTP 403)")
        elif row.error:
            lines.append(f"{row.role:<8} {row.name:<28} ERROR {row.error}  {row.url}")
        else:
            lines.append(
                f"{row.role:<8} {row.name:<28} {row.p50_ms:8.2f} {row.p95_ms:8.2f} "
                f"{row.queries:7d} {row.p50_ms / floor_p50:8.1f} {row.target_ms:7.0f}  "
                f"{'PASS' if row.passed else 'FAIL':<6} {row.first_ms:9.2f}"
            )
    for row in results:
        if row.slowest_sql:
            lines += [
                "",
                f"{row.role} {row.name}: slowest query {row.slowest_ms:.1f} ms",
                row.slowest_sql,
                row.plan,
            ]
    measured = [row for row in results if not row.not_for_role]
    failed = [f"{row.role} {row.name}" for row in measured if not row.passed]
    lines.append(
        f"{len(measured) - len(failed)} of {len(measured)} pages pass"
        + (f"; failing or missing: {', '.join(failed)}" if failed else "")
    )
    return lines
