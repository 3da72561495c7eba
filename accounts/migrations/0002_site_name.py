"""Name the site: allauth's emails say it (« Bonjour, c'est … »)."""

import os

from django.db import migrations


def name_site(apps, schema_editor):
    Site = apps.get_model("sites", "Site")
    Site.objects.update_or_create(
        pk=1,
        defaults={
            "domain": os.environ.get("SITE_DOMAIN", "127.0.0.1:8000"),
            "name": os.environ.get("SITE_NAME", "Consultation citoyenne"),
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("sites", "0002_alter_domain_unique"),
    ]

    operations = [migrations.RunPython(name_site, migrations.RunPython.noop)]
