"""Create a consultation from a Cap Collectif step's CSV export (docs/imports.md)."""

from __future__ import annotations

import csv
import re
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify

from debates.counters import analyze
from debates.importers.capcollectif_csv import read_export, write_export
from debates.importers.common import SLUG_MAX, ImportRefused, Progress
from debates.models import Consultation

SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]+\Z")
TITLE_MAX = Consultation._meta.get_field("title").max_length or 200


class Command(BaseCommand):
    help = (
        "Importe l'export CSV (séparé par des « ; ») d'une étape de consultation Cap Collectif : "
        "propositions, arguments, sources, votes et signalements, auteurs pseudonymisés. "
        "Tout le fichier est vérifié d'abord ; à la moindre erreur, rien n'est écrit. "
        "Relancé sur le même fichier, l'import ne change rien."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help="le fichier CSV exporté")
        parser.add_argument(
            "--slug", help="l'adresse de la consultation (par défaut : tirée de son titre)"
        )
        parser.add_argument(
            "--title",
            help=(
                "le titre de la consultation "
                "(par défaut : la colonne contributions_consultation_title)"
            ),
        )
        parser.add_argument(
            "--author-prefix",
            default="capco",
            help="le début des identifiants des comptes pseudonymes (par défaut : capco)",
        )
        parser.add_argument(
            "--map",
            type=Path,
            metavar="FICHIER",
            help="écrire la correspondance identifiant d'origine → numéro dans ce fichier CSV",
        )

    def handle(
        self,
        *args: Any,
        file: Path,
        slug: str | None,
        title: str | None,
        author_prefix: str,
        map: Path | None,  # noqa: A002 - the option's name
        **options: Any,
    ) -> None:
        started = time.perf_counter()
        progress = Progress(self.stderr if self.stderr.isatty() else None)
        try:
            export = read_export(file, progress=progress)
            title = (title or export.consultation_title).strip()
            if not title:
                raise ImportRefused("titre de consultation absent : donnez-le avec --title")
            if len(title) > TITLE_MAX:
                raise ImportRefused(
                    f"titre trop long ({len(title)} caractères, {TITLE_MAX} au plus)"
                )
            slug = slug or slugify(title)[:SLUG_MAX].strip("-")
            if not SLUG_RE.match(slug) or len(slug) > SLUG_MAX:
                raise ImportRefused(f"« {slug} » n'est pas une adresse valide (--slug)")
            result = write_export(
                export, slug=slug, title=title, author_prefix=author_prefix, progress=progress
            )
        except ImportRefused as exc:
            raise CommandError(f"Import refusé, rien n'a été écrit. {exc}") from exc
        finally:
            progress.close()
        # Fresh planner statistics for the rows just written (debates/counters.py).
        analyze()
        for line in result.summary():
            self.stdout.write(line)
        if map is not None:
            if result.unchanged:
                self.stdout.write(f"Correspondance non écrite : rien n'a été importé ({map}).")
            else:
                with map.open("w", encoding="utf-8", newline="") as out:
                    writer = csv.writer(out)
                    writer.writerow(["type", "identifiant_origine", "numero"])
                    writer.writerows(sorted(result.mapping, key=lambda row: row[2]))
                self.stdout.write(f"Correspondance des numéros écrite dans {map}.")
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"Terminé en {elapsed:.1f} s.".replace(".", ",", 1)))
