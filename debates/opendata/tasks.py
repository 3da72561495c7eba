"""Freezing a consultation's exports at its close, by a worker."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

from django.utils import timezone

from consultation.tasks import task
from debates.models import Consultation
from debates.opendata.exports import export_files, freeze, frozen_folder, storage

# A `.part` file older than this was left by a worker or request that died
# mid-write (a live writer finishes a file well within it).
STALE_PART_SECONDS = 600


@task()
def freeze_exports(*, consultation_id: int, closes_at: str) -> int:
    """Freeze every export file of a closed consultation; return how many are frozen.

    Idempotent: `freeze()` writes a file only when it is absent and links it
    into place atomically, so a task run again (a worker killed mid-task)
    writes what is missing and leaves the rest. A task enqueued for a closing
    date that has since moved does nothing.
    """
    consultation = Consultation.objects.filter(pk=consultation_id).first()
    if consultation is None or consultation.closes_at != datetime.fromisoformat(closes_at):
        return 0
    if not consultation.is_closed:
        return 0
    _remove_stale_parts(Path(storage().path(frozen_folder(consultation))))
    for export in export_files():
        freeze(consultation, export)
    return len(export_files())


def _remove_stale_parts(folder: Path) -> None:
    if not folder.is_dir():
        return
    limit = time.time() - STALE_PART_SECONDS
    for part in folder.glob(".*.part"):
        try:
            if part.stat().st_mtime < limit:
                part.unlink()
        except FileNotFoundError:
            pass


def schedule_freezing(consultation: Consultation) -> None:
    """Enqueue the freezing of a consultation's exports for its closing date.

    A backend that can defer runs it at `closes_at`; one that cannot (the
    tests' immediate backend) runs it now when the consultation is closed.
    """
    freezing = freeze_exports
    if freezing.get_backend().supports_defer:
        if consultation.closes_at > timezone.now():
            freezing = freezing.using(run_after=consultation.closes_at)
    elif consultation.closes_at > timezone.now():
        return
    freezing.enqueue(consultation_id=consultation.pk, closes_at=consultation.closes_at.isoformat())


@task()
def refreeze_exports(consultation_id: int) -> int | None:
    """Redo the frozen files of a closed consultation; return the new generation, if any.

    A task, not the request: writing nine files of a national consultation
    takes seconds, and the moderator's page should not wait for them.
    """
    from debates.opendata.exports import refreeze

    consultation = Consultation.objects.get(pk=consultation_id)
    done = refreeze(consultation)
    return done.generation if done else None
