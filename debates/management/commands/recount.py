"""Rebuild the stored counters (debates/counters.py) and report any drift."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from debates.counters import rebuild
from debates.models import Consultation


class Command(BaseCommand):
    help = (
        "Recompte les compteurs stockés (arguments, sources, votes, masquages, accords, rangs) "
        "et signale les écarts. Avec --check, ne corrige rien et échoue s'il y en a."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slugs", nargs="*", help="consultations (toutes par défaut)")
        parser.add_argument(
            "--check", action="store_true", help="signaler sans corriger ; échouer en cas d'écart"
        )

    def handle(self, *args: Any, slugs: list[str], check: bool, **options: Any) -> None:
        consultations = Consultation.objects.order_by("pk")
        if slugs:
            consultations = consultations.filter(slug__in=slugs)
            missing = set(slugs) - set(consultations.values_list("slug", flat=True))
            if missing:
                raise CommandError(f"consultation inconnue : {', '.join(sorted(missing))}")
        drifted = 0
        for consultation in consultations:
            # --check runs the same rebuild and rolls it back: what it reports is
            # exactly what a rebuild would change.
            with transaction.atomic():
                drifts = rebuild(consultation)
                if check:
                    transaction.set_rollback(True)
            drifted += sum(drift.rows for drift in drifts)
            for drift in drifts:
                self.stdout.write(f"{consultation.slug}: {drift} ligne(s) en écart")
        verb = "en écart" if check else "corrigée(s)"
        self.stdout.write(f"{drifted} valeur(s) {verb}.")
        if check and drifted:
            raise CommandError(f"{drifted} compteur(s) en écart : lancez « manage.py recount ».")
