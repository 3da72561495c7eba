"""Write a consultation as an interchange document (docs/interchange-format.md)."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from debates.interchange import dumps, export_consultation
from debates.models import Consultation


class Command(BaseCommand):
    help = "Exporte une consultation entière au format d'échange JSON (sur la sortie standard)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("slug", help="l'adresse (slug) de la consultation")
        parser.add_argument(
            "-o", "--output", type=Path, help="écrire dans ce fichier (UTF-8) plutôt qu'à l'écran"
        )

    def handle(self, *args: Any, slug: str, output: Path | None, **options: Any) -> None:
        consultation = Consultation.objects.filter(slug=slug).first()
        if consultation is None:
            raise CommandError(f"Aucune consultation n'a l'adresse « {slug} ».")
        text = dumps(export_consultation(consultation))
        if output is None:
            self.stdout.write(text, ending="")
            return
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"{output} : écriture impossible ({exc.strerror})") from exc
        self.stderr.write(f"Consultation « {slug} » exportée dans {output}.")
