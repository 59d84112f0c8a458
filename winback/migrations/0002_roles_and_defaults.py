"""Give the roles their permissions on the win-back models; install the default plans, rules
and offers."""

from django.db import migrations

from accounts.roles import roles_sync
from winback.defaults import winback_defaults_install


def forwards(apps, schema_editor):
    roles_sync(apps)
    winback_defaults_install(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("winback", "0001_initial"),
        ("accounts", "0001_roles"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
