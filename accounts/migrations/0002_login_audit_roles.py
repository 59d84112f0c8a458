"""Let managers read the sign-in audit and unlock locked-out users (django-axes' models)."""

from django.db import migrations

from accounts.roles import roles_sync


def sync_roles(apps, schema_editor):
    roles_sync(apps)


class Migration(migrations.Migration):
    replaces = [("dealercrm", "0002_login_audit_roles")]

    dependencies = [
        ("accounts", "0001_roles"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
