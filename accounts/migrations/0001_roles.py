"""Create the four role groups with their model permissions (R7.1)."""

from django.db import migrations

from accounts.roles import roles_sync


def create_roles(apps, schema_editor):
    roles_sync(apps)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=["service_marketing", "manager", "sales_advisor", "dms_client"]
    ).delete()


class Migration(migrations.Migration):
    # The role groups were written by the project package's own migrations before the ground
    # moved into accounts/; a database that ran those counts this one as applied.
    replaces = [("dealercrm", "0001_roles")]

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("customers", "0001_initial"),
        ("vehicles", "0001_initial"),
        ("contacts", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
