"""Create a consultation from a folder of Cap Collectif API answers (docs/imports.md)."""

from __future__ import annotations

import re
import time
from argparse import ArgumentParser, ArgumentTypeError
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from debates.counters import analyze
from debates.importers.capcollectif_api import read_folder, write_folder
from debates.importers.common import PARIS, SLUG_MAX, ImportRefused, Progress
from debates.models import Consultation

SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]+\Z")
TITLE_MAX = Consultation._meta.get_field("title").max_length or 200

# « Pour une République numérique », the consultation this API dump comes from.
DEFAULT_SLUG = "republique-numerique-2015"
DEFAULT_TITLE = "Pour une République numérique"
DEFAULT_OPENS = date(2015, 9, 26)
DEFAULT_LAST_DAY = date(2015, 10, 18)


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ArgumentTypeError(f"« {value} » n'est pas une date AAAA-MM-JJ") from exc


def _midnight(day: date) -> datetime:
    """Return the start of `day`, Paris time."""
    return datetime(day.year, day.month, day.day, tzinfo=PARIS)


class Command(BaseCommand):
    help = (
        "Importe un dossier de réponses de l'API Cap Collectif (opinions/<id>.json) : "
        "propositions, arguments, sources et décomptes de votes. Par défaut, la consultation "
        "« Pour une République numérique » (26 septembre – 18 octobre 2015). Tout le dossier "
        "est vérifié d'abord ; à la moindre erreur, rien n'est écrit. Relancé sur les mêmes "
        "fichiers, l'import ne change rien."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("folder", type=Path, help="le dossier qui contient opinions/")
        parser.add_argument("--slug", default=DEFAULT_SLUG, help=f"(par défaut : {DEFAULT_SLUG})")
        parser.add_argument(
            "--title", default=DEFAULT_TITLE, help=f"(par défaut : {DEFAULT_TITLE})"
        )
        parser.add_argument(
            "--opens",
            type=_day,
            default=DEFAULT_OPENS,
            metavar="AAAA-MM-JJ",
            help="premier jour, heure de Paris (par défaut : 2015-09-26)",
        )
        parser.add_argument(
            "--closes",
            type=_day,
            default=DEFAULT_LAST_DAY,
            metavar="AAAA-MM-JJ",
            help="dernier jour inclus, heure de Paris (par défaut : 2015-10-18)",
        )
        parser.add_argument(
            "--renumber",
            action="store_true",
            help=(
                "donner de nouveaux numéros à toutes les contributions (les identifiants "
                "d'origine sont gardés dans original_number) au lieu de refuser des numéros "
                "déjà pris"
            ),
        )
        parser.add_argument(
            "--author-prefix",
            default="rn2015",
            help="le début des identifiants de comptes, suivi de uniqueId (par défaut : rn2015)",
        )

    def handle(
        self,
        *args: Any,
        folder: Path,
        slug: str,
        title: str,
        opens: date,
        closes: date,
        renumber: bool,
        author_prefix: str,
        **options: Any,
    ) -> None:
        started = time.perf_counter()
        progress = Progress(self.stderr if self.stderr.isatty() else None)
        try:
            if not SLUG_RE.match(slug) or len(slug) > SLUG_MAX:
                raise ImportRefused(f"« {slug} » n'est pas une adresse valide (--slug)")
            title = title.strip()
            if not title or len(title) > TITLE_MAX:
                raise ImportRefused(f"le titre doit compter de 1 à {TITLE_MAX} caractères")
            if closes < opens:
                raise ImportRefused("le dernier jour (--closes) précède le premier (--opens)")
            dump = read_folder(folder, author_prefix=author_prefix, progress=progress)
            result = write_folder(
                dump,
                slug=slug,
                title=title,
                opens_at=_midnight(opens),
                closes_at=_midnight(closes + timedelta(days=1)),
                renumber=renumber,
                progress=progress,
            )
        except ImportRefused as exc:
            raise CommandError(f"Import refusé, rien n'a été écrit. {exc}") from exc
        finally:
            progress.close()
        # Fresh planner statistics for the rows just written (debates/counters.py).
        analyze()
        for line in result.summary():
            self.stdout.write(line)
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"Terminé en {elapsed:.1f} s.".replace(".", ",", 1)))
