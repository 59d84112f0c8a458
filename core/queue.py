"""Hand work to the Celery workers by task name: the one place a service starts a task.

A task module imports the service it runs, never the other way round; a service that must
start work names the task here instead of importing its app's ``tasks`` module, so the import
graph has no cycle. Apps whose services start tasks import their ``tasks`` module in
``AppConfig.ready``, so the names are registered in every process (web, commands, workers) and
an eager run (no broker) runs them in-process. An unknown name raises ``KeyError`` at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any

from celery import current_app, group
from django.db import transaction


def task_enqueue_on_commit(name: str, *args: Any) -> None:
    """Send task ``name`` with ``args`` once the current transaction commits (at once outside
    one), so a worker never reads rows the sender has not committed, nor work rolled back."""
    task = current_app.tasks[name]
    transaction.on_commit(partial(task.apply_async, args))


def tasks_run_and_wait(
    name: str, calls: Iterable[Sequence[Any]], *, timeout: float, queue: str = ""
) -> list[Any]:
    """Run task ``name`` once per argument tuple in ``calls`` on the workers (on ``queue``,
    the default queue when empty; in-process when eager) and return their results in order."""
    task = current_app.tasks[name]
    options = {"queue": queue} if queue else {}
    signatures = group(task.si(*args).set(**options) for args in calls)
    return signatures.apply_async().get(timeout=timeout, disable_sync_subtasks=False)
