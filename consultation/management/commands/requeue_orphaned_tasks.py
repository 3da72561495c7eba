"""Put back in the queue the tasks whose worker died while running them.

django-tasks' database worker marks a task RUNNING when it claims it and
never looks at it again if the worker is killed. Every task here is
idempotent (consultation/mail.py, debates/opendata/tasks.py), so running such
a task again is safe: this command returns it to READY. Run it before a
worker starts, with that worker's id (a task still RUNNING under the id of a
worker that is starting cannot be running anywhere), and periodically with
`--older-than` for workers that never come back.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from consultation.tasks import TaskResultStatus


class Command(BaseCommand):
    help = "Return to the queue the tasks left RUNNING by a worker that died."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--worker-id", help="the id of a worker about to start (its RUNNING tasks are orphans)"
        )
        parser.add_argument(
            "--older-than",
            type=int,
            metavar="SECONDS",
            help="also requeue tasks RUNNING for longer than this, whatever their worker",
        )

    def handle(
        self, *args: Any, worker_id: str | None, older_than: int | None, **options: Any
    ) -> None:
        if worker_id is None and older_than is None:
            self.stderr.write("Give --worker-id, --older-than or both.")
            raise SystemExit(2)
        with transaction.atomic():
            running = DBTaskResult.objects.select_for_update(skip_locked=True).filter(
                status=TaskResultStatus.RUNNING
            )
            orphans = []
            for result in running:
                mine = worker_id is not None and result.worker_ids[-1:] == [worker_id]
                stale = (
                    older_than is not None
                    and result.started_at is not None
                    and (result.started_at < timezone.now() - timedelta(seconds=older_than))
                )
                if mine or stale:
                    orphans.append(result.pk)
            # DBTaskResult keeps no history: a plain update is the right write.
            count = DBTaskResult.objects.filter(pk__in=orphans).update(
                status=TaskResultStatus.READY, started_at=None
            )
        self.stdout.write(f"{count} orphaned task(s) returned to the queue")
