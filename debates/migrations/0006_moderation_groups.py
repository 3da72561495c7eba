"""Create the « Modérateurs » and « Organisateurs » groups with their permissions.

Object-level limits (an organiser only sees their own consultations) are
enforced in the admin classes; these are the model-level permissions that
let each group into the admin pages it needs.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODERATORS = {
    "debates": {
        "consultation": ["view"],
        "debate": ["view"],
        "contribution": ["view", "moderate"],
        "proposal": ["view", "change"],
        "argument": ["view", "change"],
        "source": ["view", "change"],
        "report": ["view", "change"],
        "moderationevent": ["view"],
        "vote": ["view"],
        "endorsement": ["view"],
        "calendarchange": ["view"],
    },
    "accounts": {"user": ["view", "change"]},
}
ORGANISERS = {
    "debates": {
        "consultation": ["view", "change", "add"],
        "debate": ["view", "change", "add"],
        "contribution": ["view", "moderate"],
        "proposal": ["view"],
        "argument": ["view"],
        "source": ["view"],
        "report": ["view", "change"],
        "moderationevent": ["view"],
        "calendarchange": ["view"],
    },
}


def codename(action: str, model: str) -> str:
    return "moderate_contribution" if action == "moderate" else f"{action}_{model}"


def create_groups(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, grants in (("Modérateurs", MODERATORS), ("Organisateurs", ORGANISERS)):
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, models in grants.items():
            for model, actions in models.items():
                for action in actions:
                    group.permissions.add(
                        Permission.objects.get(
                            content_type__app_label=app_label,
                            codename=codename(action, model),
                        )
                    )


class Migration(migrations.Migration):
    dependencies = [
        ("debates", "0005_moderation_permission"),
        ("accounts", "0003_user_blocked"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
