"""Enqueue the notifications the calendar made due, and optionally the daily digests.

Run it often (every ten minutes) from cron or a systemd timer, and once a day
with --digests; see docs/notifications.md. It only enqueues: the worker
(`manage.py db_worker`) sends.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from followups.events import LOOKBACK, record_due
from followups.tasks import enqueue_digests, resume_stalled

# A fan-out or batch not done after this long lost its worker (or waits in a
# long queue: sending it again costs work, never a second email).
STALE = timedelta(minutes=15)


class Command(BaseCommand):
    help = (
        "Enregistre les notifications dues (clôture dans trois jours, clôture, réponses et "
        "synthèses programmées) et les met en file ; --digests envoie aussi les résumés du jour."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--digests", action="store_true", help="met aussi en file les résumés quotidiens"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = record_due()
        line = ", ".join(f"{name} : {count}" for name, count in counts.items())
        self.stdout.write(f"Nouveaux événements — {line}.")
        fan_outs, batches = resume_stalled(stale=STALE, since=LOOKBACK)
        if fan_outs or batches:
            self.stdout.write(
                f"Repris après l'arrêt d'un worker : {fan_outs} répartition(s), {batches} lot(s)."
            )
        if options["digests"]:
            batches = enqueue_digests()
            self.stdout.write(f"Résumés du jour : {batches} lot(s) en file.")
