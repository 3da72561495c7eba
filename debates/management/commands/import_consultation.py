"""Create a consultation from an interchange document (docs/interchange-format.md)."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from debates.counters import analyze
from debates.interchange import InterchangeError, import_consultation, load_file


class Command(BaseCommand):
    help = (
        "Importe une consultation depuis un fichier au format d'échange JSON. "
        "Tout le fichier est vérifié d'abord ; à la moindre erreur, rien n'est écrit."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help="le fichier JSON à importer")
        parser.add_argument(
            "--renumber",
            action="store_true",
            help=(
                "donner de nouveaux numéros aux contributions (ceux du fichier sont gardés "
                "dans original_number) au lieu de refuser des numéros déjà pris"
            ),
        )

    def handle(self, *args: Any, file: Path, renumber: bool, **options: Any) -> None:
        try:
            result = import_consultation(load_file(file), renumber=renumber)
        except InterchangeError as exc:
            raise CommandError(f"Import refusé, rien n'a été écrit. {exc}") from exc
        # Fresh planner statistics for the rows just written (debates/counters.py).
        analyze()
        self.stdout.write(self.style.SUCCESS(result.summary()))
