"""The workers' liveness task (its name, ``dealercrm.ping``, is what monitoring calls)."""

from celery import shared_task
from django.db import connection


@shared_task(name="dealercrm.ping")
def ping() -> dict[str, str]:
    """Liveness probe for workers: proves a worker is consuming and can reach the database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"status": "ok", "database": connection.vendor}
