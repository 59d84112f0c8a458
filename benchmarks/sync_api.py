"""Benchmark of the sync API on PostgreSQL: service orders with lines pushed over HTTP to a real
gunicorn server, then replayed, against the floor of ``COPY``-ing the same rows.

Steps (only 4–6 are timed):

1. reference data: customers and vehicles written with ``COPY`` under the source ``bench``;
2. the request bodies, generated and JSON-encoded in advance so the client costs little;
3. a gunicorn server with ``workers`` processes, started as a child process;
4. the floor: the same order and line rows (ids resolved) ``COPY``-ed into the same tables in
   one transaction, timed, then rolled back (and the tables vacuumed);
5. every batch POSTed to ``/api/v1/sync/service-orders/`` by ``clients`` concurrent
   connections; every record must come back ``created``;
6. the first ``replay`` records POSTed again; every record must come back ``unchanged``.
"""

from __future__ import annotations

import datetime as dt
import http.client
import io
import json
import os
import queue
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction

from accounts.roles import Role
from api.tokens import api_token_create
from vehicles.models import Brand, VehicleModel

SOURCE = "bench"
_CATEGORIES = ("maintenance", "repair", "tyres", "accessories", "detailing", "insurance")
_VIN_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


@dataclass
class BenchReport:
    orders: int
    lines: int
    batches: int
    workers: int
    clients: int
    seconds: dict[str, float] = field(default_factory=dict)
    statuses: dict[str, dict[str, int]] = field(default_factory=dict)

    def rate(self, phase: str, records: int) -> float:
        return records / self.seconds[phase]


def _vin(n: int) -> str:
    chars = []
    for _ in range(9):
        n, r = divmod(n, len(_VIN_ALPHABET))
        chars.append(_VIN_ALPHABET[r])
    return "LBE" + "BENCH" + "".join(reversed(chars))


def _lines_of(i: int) -> list[dict[str, Any]]:
    count = 1 + (i * 7) % 4  # 1–4 lines, 2.5 on average
    return [
        {
            "line_no": n + 1,
            "category": _CATEGORIES[(i + n) % len(_CATEGORIES)],
            "description": "保养项目",
            "amount": f"{80 + (i * 13 + n * 31) % 2000}.00",
        }
        for n in range(count)
    ]


#: Days back over which the orders are spread by default (eight years of history).
HISTORY_DAYS = 3000


def order_record(
    i: int, customers: int, today: dt.date, days: int = HISTORY_DAYS
) -> dict[str, Any]:
    """The i-th service order of the benchmark: deterministic, valid, 1–4 lines, opened in the
    ``days`` days before today (``days=1``: all yesterday, a day of live workshop visits)."""
    c = i % customers
    opened = today - dt.timedelta(days=1 + (i * 37) % days)
    return {
        "source": SOURCE,
        "external_id": f"BO{i:09d}",
        "customer": f"BC{c:08d}",
        "vehicle": f"BV{c:08d}",
        "opened_on": opened.isoformat(),
        "closed_on": opened.isoformat(),
        "odometer_km": 1000 + (i * 97) % 150_000,
        "advisor_name": "李工",
        "lines": _lines_of(i),
    }


def _copy(cursor: Any, table: str, columns: list[str], rows: list[tuple]) -> None:
    text = io.StringIO()
    for row in rows:
        text.write("\t".join("\\N" if v is None else str(v) for v in row))
        text.write("\n")
    text.seek(0)
    cursor.copy_expert(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN', text)


def orders_delete() -> None:
    """Remove the service orders of earlier runs, so every pushed record is new."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM vehicles_serviceorderline WHERE order_id IN "
            "(SELECT id FROM vehicles_serviceorder WHERE source = %s)",
            [SOURCE],
        )
        cursor.execute("DELETE FROM vehicles_serviceorder WHERE source = %s", [SOURCE])


def reference_data_create(*, customers: int) -> None:
    """Customers BC…, each with one vehicle BV…, unless the database already has them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM customers_customer WHERE source = %s", [SOURCE])
        if cursor.fetchone()[0] == customers:
            return
        cursor.execute("DELETE FROM vehicles_vehicle WHERE source = %s", [SOURCE])
        cursor.execute("DELETE FROM customers_customer WHERE source = %s", [SOURCE])
    brand, _ = Brand.objects.get_or_create(name="基准品牌", defaults={"name_en": "Bench"})
    model, _ = VehicleModel.objects.get_or_create(
        brand=brand, name="基准车型", defaults={"price_tier": "mid"}
    )
    now = "2024-01-01 00:00:00+00"
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor
        _copy(
            raw,
            "customers_customer",
            [
                "source",
                "external_id",
                "created_at",
                "updated_at",
                "name",
                "mobile",
                "phone_alt",
                "wechat_id",
                "email",
                "address",
                "region",
                "gender",
                "character",
                "buying_habits",
                "liked_brands",
                "driving_experience",
                "notes",
            ],
            [
                (
                    SOURCE,
                    f"BC{c:08d}",
                    now,
                    now,
                    f"基准客户{c}",
                    f"139{c:08d}",
                    "",
                    "",
                    "",
                    "",
                    "广东省深圳市",
                    "unknown",
                    "unknown",
                    "",
                    "[]",
                    "unknown",
                    "",
                )
                for c in range(customers)
            ],
        )
        cursor.execute("SELECT external_id, id FROM customers_customer WHERE source = %s", [SOURCE])
        ids = dict(cursor.fetchall())
        _copy(
            raw,
            "vehicles_vehicle",
            [
                "source",
                "external_id",
                "created_at",
                "updated_at",
                "vin",
                "plate",
                "model_id",
                "trim",
                "color",
                "owner_id",
            ],
            [
                (SOURCE, f"BV{c:08d}", now, now, _vin(c), "", model.pk, "", "", ids[f"BC{c:08d}"])
                for c in range(customers)
            ],
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer; ANALYZE vehicles_vehicle")


def batch_bodies(
    *, orders: int, customers: int, batch_size: int, today: dt.date, days: int = HISTORY_DAYS
) -> list[bytes]:
    """The request bodies, JSON-encoded in advance (not timed)."""
    bodies = []
    for start in range(0, orders, batch_size):
        records = [
            order_record(i, customers, today, days)
            for i in range(start, min(orders, start + batch_size))
        ]
        bodies.append(json.dumps({"records": records}, ensure_ascii=False).encode())
    return bodies


def floor_seconds(
    *, orders: int, customers: int, today: dt.date, days: int = HISTORY_DAYS
) -> float:
    """Seconds to COPY the same order and line rows into the same tables (rolled back)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT external_id, id FROM customers_customer WHERE source = %s", [SOURCE])
        customer_ids = dict(cursor.fetchall())
        cursor.execute("SELECT external_id, id FROM vehicles_vehicle WHERE source = %s", [SOURCE])
        vehicle_ids = dict(cursor.fetchall())
        cursor.execute("SELECT coalesce(max(id), 0) + 1000 FROM vehicles_serviceorder")
        first_id = cursor.fetchone()[0]
    order_rows, line_rows = [], []
    now = "2024-01-01 00:00:00+00"
    necessity = {
        "maintenance": "necessary",
        "repair": "necessary",
        "tyres": "necessary",
        "insurance": "necessary",
        "accessories": "discretionary",
        "detailing": "discretionary",
    }
    for i in range(orders):
        r = order_record(i, customers, today, days)
        pk = first_id + i
        order_rows.append(
            (
                pk,
                SOURCE,
                r["external_id"],
                now,
                now,
                customer_ids[r["customer"]],
                vehicle_ids[r["vehicle"]],
                r["opened_on"],
                r["closed_on"],
                r["odometer_km"],
                r["advisor_name"],
                "",
            )
        )
        for line in r["lines"]:
            line_rows.append(
                (
                    pk,
                    line["line_no"],
                    line["category"],
                    line["description"],
                    line["amount"],
                    necessity[line["category"]],
                )
            )
    order_text = _copy_text(order_rows)
    line_text = _copy_text(line_rows)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
        raw = cursor.cursor
        raw.copy_expert(
            'COPY "vehicles_serviceorder" (id, source, external_id, created_at, updated_at, '
            "customer_id, vehicle_id, opened_on, closed_on, odometer_km, advisor_name, note) "
            "FROM STDIN",
            order_text,
        )
        raw.copy_expert(
            'COPY "vehicles_serviceorderline" (order_id, line_no, category, description, amount, '
            "necessity) FROM STDIN",
            line_text,
        )
        elapsed = time.perf_counter() - started
        cursor.execute("ROLLBACK")
    return elapsed


def _copy_text(rows: list[tuple]) -> io.StringIO:
    text = io.StringIO(
        "".join("\t".join("\\N" if v is None else str(v) for v in row) + "\n" for row in rows)
    )
    text.seek(0)
    return text


def vacuum(tables: list[str]) -> None:
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'VACUUM ANALYZE "{table}"')


def dms_token() -> str:
    user, _ = get_user_model().objects.get_or_create(
        username="bench_dms", defaults={"is_staff": False}
    )
    user.groups.add(Group.objects.get(name=Role.DMS_CLIENT))
    return api_token_create(user=user, name="bench_api")[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn serving this project on a free local port, in production settings (static
    files collected into a temporary directory first, as a release does)."""

    def __init__(self, workers: int):
        self.port = _free_port()
        self.static_root = tempfile.TemporaryDirectory(prefix="bench-api-static-")
        env = dict(os.environ)
        env.update(
            DJANGO_DEBUG="0",
            SECRET_KEY=env.get("SECRET_KEY") or "bench-api-not-secret-" + "x" * 40,
            SECURE_SSL_REDIRECT="0",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            API_SYNC_RATE="100000/min",
            LOG_LEVEL="WARNING",
            STATIC_ROOT=self.static_root.name,
        )
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=Path(settings.BASE_DIR),
            env=env,
            check=True,
        )
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "dealercrm.wsgi:application",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "600",
                "--log-level",
                "warning",
            ],
            cwd=Path(settings.BASE_DIR),
            env=env,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.static_root.cleanup()


def post_all(
    *, port: int, key: str, bodies: list[bytes], clients: int
) -> tuple[float, dict[str, int]]:
    """POST every body with ``clients`` keep-alive connections; (seconds, status counts)."""
    work: queue.Queue[bytes] = queue.Queue()
    for body in bodies:
        work.put(body)
    totals: dict[str, int] = {}
    lock = threading.Lock()
    failures: list[str] = []

    def run() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        headers = {"Authorization": f"Token {key}", "Content-Type": "application/json"}
        while True:
            try:
                body = work.get_nowait()
            except queue.Empty:
                return
            conn.request("POST", "/api/v1/sync/service-orders/", body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            if response.status != 200:
                failures.append(f"{response.status}: {data[:500]!r}")
                return
            counts = json.loads(data)["counts"]
            with lock:
                for name, n in counts.items():
                    totals[name] = totals.get(name, 0) + n

    threads = [threading.Thread(target=run) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(failures[0])
    return elapsed, totals
