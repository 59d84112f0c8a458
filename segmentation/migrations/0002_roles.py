"""Give the roles their permissions on scoring runs, results and settings."""

from django.db import migrations

from accounts.roles import roles_sync


def sync_roles(apps, schema_editor):
    roles_sync(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("segmentation", "0001_initial"),
        ("accounts", "0001_roles"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
