"""The role groups' migrations moved from the project package into accounts/: a database
migrated before the move (its history names ``dealercrm`` migrations, none of ``accounts``)
migrates cleanly after it, with nothing re-run and every role's permissions intact."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

from accounts.roles import Role

pytestmark = pytest.mark.django_db

MOVED = ("0001_roles", "0002_login_audit_roles")


def _history_before_the_move() -> None:
    """Rewrite the migration history as a database migrated before the move has it."""
    recorder = MigrationRecorder(connection)
    recorder.migration_qs.filter(app="accounts").delete()
    for name in MOVED:
        recorder.record_applied("dealercrm", name)


def test_a_database_migrated_before_the_move_has_nothing_to_run():
    _history_before_the_move()
    executor = MigrationExecutor(connection)
    targets = executor.loader.graph.leaf_nodes()
    assert executor.migration_plan(targets) == []
    for name in MOVED:
        assert ("accounts", name) in executor.loader.applied_migrations


def test_migrate_after_the_move_keeps_the_roles_and_records_the_new_names():
    permissions = {
        g.name: set(g.permissions.values_list("pk", flat=True)) for g in Group.objects.all()
    }
    _history_before_the_move()
    call_command("migrate", verbosity=0)
    applied = set(MigrationRecorder(connection).applied_migrations())
    assert {("accounts", name) for name in MOVED} <= applied
    assert {
        g.name: set(g.permissions.values_list("pk", flat=True)) for g in Group.objects.all()
    } == permissions
    assert set(Group.objects.values_list("name", flat=True)) >= {role.value for role in Role}


def test_a_new_database_records_the_moved_migrations_under_both_names():
    """So an older checkout's migrations, pointed at a database made after the move, find
    their own history too."""
    applied = set(MigrationRecorder(connection).applied_migrations())
    for name in MOVED:
        assert ("dealercrm", name) in applied
        assert ("accounts", name) in applied
