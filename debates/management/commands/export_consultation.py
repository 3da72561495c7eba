"""Write a consultation as an interchange document (docs/interchange-format.md)."""

from __future__ import annotations

import codecs
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from debates.interchange import iter_export_consultation
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
        # Streamed chunk by chunk: memory stays flat whatever the consultation's size.
        chunks = iter_export_consultation(consultation)
        if output is None:
            decoder = codecs.getincrementaldecoder("utf-8")()  # a chunk may split a character
            for chunk in chunks:
                self.stdout.write(decoder.decode(chunk), ending="")
            self.stdout.write(decoder.decode(b"", final=True), ending="")
            return
        try:
            with output.open("wb") as file:
                for chunk in chunks:
                    file.write(chunk)
        except OSError as exc:
            raise CommandError(f"{output} : écriture impossible ({exc.strerror})") from exc
        self.stderr.write(f"Consultation « {slug} » exportée dans {output}.")
