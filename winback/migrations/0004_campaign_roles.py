"""Give the roles their permissions on campaigns and the data access log (read-only: campaigns
are decided on their pages, the log is written only by the services)."""

from django.db import migrations

from accounts.roles import roles_sync


def sync_roles(apps, schema_editor):
    roles_sync(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("winback", "0003_campaigns"),
        ("customers", "0002_data_access_log"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
