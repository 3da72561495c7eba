"""Emails and frozen exports go through the task queue, run by a real db_worker, once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives, send_mail
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from consultation.mail import deserialise, serialise
from consultation.models import DeliveredEmail
from consultation.tasks import TaskResultStatus
from debates import moderation
from debates.models import Consultation
from debates.opendata.exports import export_files, frozen_checksum, frozen_folder, storage
from debates.opendata.tasks import freeze_exports
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.database_tasks]


@pytest.fixture(autouse=True)
def _queued_email(settings: Any, tmp_path: Path) -> None:
    """Mail goes through the queue; the worker delivers it to Django's outbox."""
    settings.EMAIL_BACKEND = "consultation.mail.TaskQueueEmailBackend"
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = tmp_path / "media"


def run_worker() -> None:
    """Run a real database worker until the queue is empty."""
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0, queue_name="*")


def test_an_email_is_queued_in_the_request_and_sent_by_the_worker() -> None:
    send_mail("Objet", "Texte", None, ["chloe@example.org"])
    assert mail.outbox == []  # nothing left inside the request
    queued = DBTaskResult.objects.get()
    assert queued.queue_name == "emails"
    assert queued.status == TaskResultStatus.READY
    run_worker()
    assert [m.to for m in mail.outbox] == [["chloe@example.org"]]
    assert mail.outbox[0].subject == "Objet"
    assert DeliveredEmail.objects.count() == 1
    queued.refresh_from_db()
    assert queued.status == TaskResultStatus.SUCCESSFUL
    assert queued.return_value == "delivered"


def test_the_signup_confirmation_is_sent_by_the_worker(open_consultation: Consultation) -> None:
    response = Client().post(
        reverse("account_signup"),
        {
            "email": "chloe@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "display_name": "Chloé Petit",
        },
    )
    assert response.status_code == 302
    assert mail.outbox == []
    run_worker()
    assert len(mail.outbox) == 1
    assert "Confirmez votre adresse e-mail" in mail.outbox[0].subject
    assert "/comptes/confirm-email/" in mail.outbox[0].body


def test_a_task_run_again_after_its_worker_died_sends_nothing_more() -> None:
    send_mail("Objet", "Texte", None, ["chloe@example.org"])
    run_worker()
    # As if the worker had been killed after its commit but before it marked
    # the task done: the task is RUNNING under that worker's id.
    DBTaskResult.objects.update(status=TaskResultStatus.RUNNING, worker_ids=["worker-1"])
    call_command("requeue_orphaned_tasks", worker_id="worker-1", verbosity=0)
    assert DBTaskResult.objects.get().status == TaskResultStatus.READY
    run_worker()
    assert len(mail.outbox) == 1
    result = DBTaskResult.objects.get()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == "already delivered"


def test_a_failed_handover_records_nothing_and_is_retried_later(settings: Any) -> None:
    # Nothing listens on port 1: the SMTP connection is refused.
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    send_mail("Objet", "Texte", None, ["chloe@example.org"])
    run_worker()
    assert DeliveredEmail.objects.count() == 0
    first, retry = DBTaskResult.objects.order_by("enqueued_at")
    assert first.return_value == "retry 2 scheduled"
    assert retry.status == TaskResultStatus.READY
    assert retry.run_after > timezone.now() + timedelta(seconds=20)
    assert retry.args_kwargs["kwargs"]["key"] == first.args_kwargs["kwargs"]["key"]

    # The mail server is back and the delay has passed.
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    run_worker()
    assert len(mail.outbox) == 1
    assert DeliveredEmail.objects.count() == 1


def test_a_request_that_rolls_back_sends_nothing() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        send_mail("Objet", "Texte", None, ["chloe@example.org"])
        raise RuntimeError("the write failed")
    assert DBTaskResult.objects.count() == 0
    run_worker()
    assert mail.outbox == []


def test_a_message_survives_serialisation_with_a_stable_message_id() -> None:
    message = EmailMultiAlternatives(
        "Sujet « accentué »",
        "Corps",
        "moderation@example.org",
        ["a@example.org"],
        cc=["b@example.org"],
        reply_to=["r@example.org"],
        headers={"X-Tag": "t"},
    )
    message.attach_alternative("<p>Corps</p>", "text/html")
    message.attach("note.txt", "pièce jointe", "text/plain")
    data = serialise(message, "k" * 32)
    copy = deserialise(data)
    assert (copy.subject, copy.body, copy.from_email) == (
        "Sujet « accentué »",
        "Corps",
        "moderation@example.org",
    )
    assert (copy.to, copy.cc, copy.reply_to) == (
        ["a@example.org"],
        ["b@example.org"],
        ["r@example.org"],
    )
    assert copy.alternatives[0][:2] == ("<p>Corps</p>", "text/html")
    assert copy.attachments[0][:2] == ("note.txt", "pièce jointe")
    message_id = copy.message()["Message-ID"]
    assert "k" * 32 in message_id and message_id.endswith("@example.org>")
    # A second delivery of the same data carries the same Message-ID.
    assert deserialise(data).message()["Message-ID"] == message_id


def test_requeue_leaves_other_workers_tasks_unless_they_are_stale() -> None:
    send_mail("Objet", "Texte", None, ["chloe@example.org"])
    DBTaskResult.objects.update(
        status=TaskResultStatus.RUNNING,
        worker_ids=["worker-2"],
        started_at=timezone.now() - timedelta(minutes=5),
    )
    call_command("requeue_orphaned_tasks", worker_id="worker-1", verbosity=0)
    assert DBTaskResult.objects.get().status == TaskResultStatus.RUNNING
    call_command("requeue_orphaned_tasks", older_than=600, verbosity=0)
    assert DBTaskResult.objects.get().status == TaskResultStatus.RUNNING
    call_command("requeue_orphaned_tasks", older_than=60, verbosity=0)
    assert DBTaskResult.objects.get().status == TaskResultStatus.READY


# Freezing exports at the close


def frozen_files(consultation: Consultation) -> list[str]:
    folder = Path(storage().path(frozen_folder(consultation)))
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def test_closing_now_freezes_every_export_through_the_worker(
    open_consultation: Consultation, olga: Any
) -> None:
    moderation.close_now(consultation=open_consultation, by=olga)
    open_consultation.refresh_from_db()
    assert not Path(storage().path(frozen_folder(open_consultation))).exists()
    run_worker()
    result = DBTaskResult.objects.get(task_path__endswith="freeze_exports")
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == len(export_files())
    assert all(frozen_checksum(open_consultation, export) for export in export_files())
    assert len(frozen_files(open_consultation)) == 2 * len(export_files())  # file + .sha256


def test_a_freezing_run_again_changes_nothing(closed_consultation: Consultation) -> None:
    arguments = {
        "consultation_id": closed_consultation.pk,
        "closes_at": closed_consultation.closes_at.isoformat(),
    }
    freeze_exports.enqueue(**arguments)
    run_worker()
    before = {e.stored_name: frozen_checksum(closed_consultation, e) for e in export_files()}
    folder = Path(storage().path(frozen_folder(closed_consultation)))
    # A worker killed mid-write left a .part file and no checksum for one file.
    (folder / ".votes.csv.part").write_bytes(b"half")
    (folder / "votes.csv.sha256").unlink()
    freeze_exports.enqueue(**arguments)
    run_worker()
    after = {e.stored_name: frozen_checksum(closed_consultation, e) for e in export_files()}
    assert after == before
    assert len(frozen_files(closed_consultation)) == 2 * len(export_files())


def test_a_freezing_scheduled_for_a_moved_closing_does_nothing(
    open_consultation: Consultation, olga: Any
) -> None:
    closes_at = open_consultation.closes_at
    moderation.reschedule(
        consultation=open_consultation,
        opens_at=open_consultation.opens_at,
        closes_at=closes_at + timedelta(days=1),
        by=olga,
    )
    scheduled = DBTaskResult.objects.get(task_path__endswith="freeze_exports")
    assert scheduled.run_after == closes_at + timedelta(days=1)  # waits for the close
    moderation.close_now(consultation=open_consultation, by=olga)
    DBTaskResult.objects.update(run_after=timezone.now())
    run_worker()
    returns = sorted(r.return_value for r in DBTaskResult.objects.all())
    assert returns == [0, len(export_files())]  # the stale one froze nothing
