"""Let the « Organisateurs » group into the answers and results admin pages.

Which consultations each organiser may answer is decided per object
(debates.rules.may_answer, asked by answers/admin.py).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = ["view_answer", "add_answer", "change_answer", "view_results", "add_results", "change_results"]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("answers")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Organisateurs")
    for codename in GRANTS:
        group.permissions.add(
            Permission.objects.get(content_type__app_label="answers", codename=codename)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("answers", "0001_initial"),
        ("debates", "0006_moderation_groups"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
