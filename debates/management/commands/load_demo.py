"""Load the demonstration consultations of debates/demo/, once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from debates.demo import DEMO_FILES
from debates.interchange import (
    InterchangeError,
    NumberCollision,
    import_consultation,
    load_file,
)
from debates.models import Consultation


class Command(BaseCommand):
    help = (
        "Charge les consultations de démonstration (debates/demo/). "
        "Une consultation déjà présente est laissée telle quelle : relancer ne change rien."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for path in DEMO_FILES:
            try:
                document = load_file(path)
                consultation = document.get("consultation")
                slug = consultation.get("slug") if isinstance(consultation, dict) else None
                if Consultation.objects.filter(slug=slug).exists():
                    self.stdout.write(f"« {slug} » est déjà chargée : rien à faire.")
                    continue
                try:
                    result = import_consultation(document)
                except NumberCollision as exc:
                    # Contributions posted before the demo hold some of its
                    # numbers; the demo then takes fresh ones rather than fail.
                    self.stdout.write(
                        f"« {slug} » : {len(exc.numbers)} numéro(s) déjà pris, "
                        "import avec de nouveaux numéros."
                    )
                    result = import_consultation(document, renumber=True)
            except InterchangeError as exc:
                raise CommandError(f"{path.name} : {exc}") from exc
            self.stdout.write(self.style.SUCCESS(result.summary()))
