"""Background tasks of the notifications: fan an event out in batches, send, digest.

Nothing here loads every recipient: `fan_out` reads the recipients' ids in
keyset batches (`pk > last`, BATCH at a time), records each as a `Batch` row
and enqueues one `deliver_batch` per batch; each batch reads its users again
by id range. A batch left undone by a dead worker is enqueued again by
`manage.py send_notifications` (`resume_stalled`). A batch that runs
again (its worker died, a retry) sends nothing twice: each email is sent in
the transaction that inserts its `Delivery` row, unique per event and user,
so a second run finds the row and skips; a send that failed rolls its row
back and is sent by the next run. With the database task backend and an
email backend that enqueues (one task per email), row and email commit
together; with SMTP inside the task, only a crash between the server's
acceptance and the commit (microseconds) could repeat one email.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from consultation.tasks import task
from followups.emails import digest_email, event_email
from followups.models import Batch, Delivery, Event, Frequency
from followups.recipients import reachable, recipients


def batch_size() -> int:
    return int(getattr(settings, "NOTIFICATION_BATCH_SIZE", 500))


def _event(event_id: int) -> Event:
    return Event.objects.select_related(
        "consultation", "proposal__debate__consultation", "proposal__author"
    ).get(pk=event_id)


@task(queue_name="emails")
def fan_out(event_id: int) -> int:
    """Record and enqueue one batch per BATCH recipients of the event; return how many.

    Runs again safely: a batch already recorded is enqueued again only if it
    is not done, and its task skips what was sent.
    """
    event = _event(event_id)
    ids = recipients(event).order_by("pk").values_list("pk", flat=True)
    last, batches = 0, 0
    while chunk := list(ids.filter(pk__gt=last)[: batch_size()]):
        batch, _created = Batch.objects.get_or_create(
            event=event, first=chunk[0], defaults={"last": chunk[-1]}
        )
        if batch.done_at is None:
            deliver_batch.enqueue(batch.pk)
        last = batch.last if batch.last >= chunk[-1] else chunk[-1]
        batches += 1
    Event.objects.filter(pk=event_id).update(fanned_out_at=timezone.now())
    return batches


@task(queue_name="emails")
def deliver_batch(batch_id: int) -> int:
    """Send the batch's event to its recipients; return how many were sent now.

    Daily-digest readers get a pending delivery instead, sent by `send_digest_batch`.
    """
    batch = Batch.objects.get(pk=batch_id)
    event = _event(batch.event_id)
    done = set(
        Delivery.objects.filter(
            event=event, user_id__gte=batch.first, user_id__lte=batch.last
        ).values_list("user_id", flat=True)
    )
    sent = 0
    users = recipients(event).filter(pk__gte=batch.first, pk__lte=batch.last).order_by("pk")
    for user in users.iterator(chunk_size=batch_size()):
        if user.pk in done:
            continue  # sent (or set aside for the digest) by an earlier run
        if user.frequency == Frequency.DAILY:  # type: ignore[attr-defined]
            Delivery.objects.get_or_create(event=event, user=user, defaults={"digest": True})
            continue
        sent += send_once(event, user)
    Batch.objects.filter(pk=batch_id).update(done_at=timezone.now())
    return sent


def resume_stalled(stale: timedelta, since: timedelta) -> tuple[int, int]:
    """Enqueue again what a dead worker left: fan-outs and batches not done after `stale`.

    Return (fan-outs, batches) enqueued. Looks back `since` at most.
    """
    now = timezone.now()
    events = Event.objects.filter(
        fanned_out_at__isnull=True, created_at__lte=now - stale, created_at__gte=now - since
    ).values_list("pk", flat=True)
    fan_outs = 0
    for event_id in events.iterator():
        fan_out.enqueue(event_id)
        fan_outs += 1
    batches = Batch.objects.filter(
        done_at__isnull=True, created_at__lte=now - stale, created_at__gte=now - since
    ).values_list("pk", flat=True)
    resumed = 0
    for batch_id in batches.iterator():
        deliver_batch.enqueue(batch_id)
        resumed += 1
    return fan_outs, resumed


def send_once(event: Event, user: User) -> bool:
    """Send `event` to `user` unless a delivery row says it was; return whether it was sent now."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                Delivery.objects.create(event=event, user=user, sent_at=timezone.now())
        except IntegrityError:
            return False  # sent by an earlier run of this batch
        # Inside the transaction: if sending fails, the row goes too and a re-run sends it.
        event_email(event, user).send()
    return True


def enqueue_digests() -> int:
    """Enqueue one digest task per batch of users with pending deliveries; return how many."""
    users = (
        Delivery.objects.filter(digest=True, sent_at__isnull=True)
        .order_by("user_id")
        .values_list("user_id", flat=True)
        .distinct()
    )
    last, batches = 0, 0
    while chunk := list(users.filter(user_id__gt=last)[: batch_size()]):
        send_digest_batch.enqueue(chunk)
        last = chunk[-1]
        batches += 1
    return batches


@task(queue_name="emails")
def send_digest_batch(user_ids: list[int]) -> int:
    """Send each of these users one email gathering their pending deliveries."""
    sent = 0
    for user in reachable(User.objects.filter(pk__in=user_ids)).order_by("pk"):
        with transaction.atomic():
            pending = list(
                # of=self: PostgreSQL locks no row of the nullable joined tables.
                Delivery.objects.select_for_update(of=("self",))
                .filter(user=user, digest=True, sent_at__isnull=True)
                .select_related("event__consultation", "event__proposal__debate__consultation")
                .order_by("event__created_at", "pk")
            )
            if not pending:
                continue  # sent by an earlier run
            digest_email(user, [delivery.event for delivery in pending]).send()
            # Delivery rows have no history: a bulk update is the record.
            Delivery.objects.filter(pk__in=[d.pk for d in pending]).update(sent_at=timezone.now())
            sent += 1
    return sent
