"""`createsuperuser`, whose account can sign in at once: its email address counts as confirmed.

Email confirmation is mandatory on this site, and the operator who creates the
first account from a shell has no reason to wait for a confirmation email
(the site may not even send mail yet). Everything else is Django's command.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.management.commands import createsuperuser

from accounts.actions import confirm_email
from accounts.models import User


class Command(createsuperuser.Command):
    help = "Crée un compte superutilisateur ; son adresse électronique est tenue pour confirmée."

    def handle(self, *args: Any, **options: Any) -> None:
        database = options["database"]
        before = set(
            User.objects.using(database).filter(is_superuser=True).values_list("pk", flat=True)
        )
        super().handle(*args, **options)
        created = User.objects.using(database).filter(is_superuser=True).exclude(pk__in=before)
        for user in created.exclude(email=""):
            confirm_email(user=user)
