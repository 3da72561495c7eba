"""Every email leaves through the task queue, sent once by a worker.

`TaskQueueEmailBackend` is the `EMAIL_BACKEND`: instead of talking to a mail
server inside the request, it serialises each message with a fresh
idempotency key and enqueues `deliver_email`. A worker runs that task: in one
database transaction it records the key in `DeliveredEmail` and hands the
message to the real backend (`EMAIL_DELIVERY_BACKEND`: SMTP or the console).
If the hand-over fails, the transaction rolls back, the key is not recorded,
and the task is enqueued again later; if the task runs again after a
success (a worker killed after commit, a retry), the key is found and
nothing is sent.

What « once » means with SMTP: the mail server takes responsibility for a
message when it answers 250 to the end of DATA; our COMMIT follows a few
milliseconds later. A worker killed between those two moments leaves the key
unrecorded and the task re-runs, so that message goes out a second time. No
protocol closes this gap (SMTP has no two-phase commit), so delivery is at
least once and exactly once outside that window. Both copies carry the same
Message-ID, made from the key at enqueue time, so mail clients and many
servers fold them into one. A kill at any other moment (before the 250, or
after the COMMIT) sends exactly one message.

With the database task backend, enqueuing writes a row in the request's own
transaction: a request that rolls back sends nothing (a transactional
outbox). With another backend (RQ) the task is enqueued on commit.
"""

from __future__ import annotations

import base64
import logging
import uuid
from collections.abc import Sequence
from datetime import timedelta
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.utils import timezone

from consultation.models import DeliveredEmail
from consultation.tasks import task

logger = logging.getLogger(__name__)

# Attempts to hand a message to the mail server before giving up, and the
# wait before the attempt n+1 (doubling: 30 s, 1 min, 2 min…).
MAX_ATTEMPTS = 8
FIRST_RETRY_DELAY = timedelta(seconds=30)


def serialise(message: EmailMessage, key: str) -> dict[str, Any]:
    """Return a JSON-ready copy of a message, stamped with a Message-ID from its key."""
    headers = dict(message.extra_headers)
    headers.setdefault("Message-ID", make_msgid(idstring=key, domain=_domain(message)))
    attachments = []
    for attachment in message.attachments:
        if not isinstance(attachment, tuple):
            raise TypeError("Only (filename, content, mimetype) attachments can be queued.")
        filename, content, mimetype = attachment
        data = content.encode() if isinstance(content, str) else content
        attachments.append([filename, base64.b64encode(data).decode("ascii"), mimetype])
    return {
        "subject": str(message.subject),
        "body": str(message.body),
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": headers,
        "alternatives": [
            [str(content), mimetype] for content, mimetype in getattr(message, "alternatives", [])
        ],
        "attachments": attachments,
        "content_subtype": message.content_subtype,
    }


def deserialise(data: dict[str, Any]) -> EmailMultiAlternatives:
    """Return the message that `serialise` recorded."""
    message = EmailMultiAlternatives(
        subject=data["subject"],
        body=data["body"],
        from_email=data["from_email"],
        to=data["to"],
        cc=data["cc"],
        bcc=data["bcc"],
        reply_to=data["reply_to"],
        headers=data["headers"],
    )
    message.content_subtype = data["content_subtype"]
    for content, mimetype in data["alternatives"]:
        message.attach_alternative(content, mimetype)
    for filename, content, mimetype in data["attachments"]:
        message.attach(filename, base64.b64decode(content), mimetype)
    return message


def _domain(message: EmailMessage) -> str:
    sender = message.from_email or settings.DEFAULT_FROM_EMAIL
    return sender.rpartition("@")[2].strip("> ") or "localhost"


@task(queue_name="emails")
def deliver_email(*, key: str, message: dict[str, Any], attempt: int = 1) -> str:
    """Hand a queued message to the real email backend once; return what happened."""
    try:
        with transaction.atomic():
            # A second worker running the same key waits here on the primary
            # key until the first commits, then finds the row.
            _, created = DeliveredEmail.objects.get_or_create(key=key)
            if not created:
                return "already delivered"
            connection = get_connection(settings.EMAIL_DELIVERY_BACKEND, fail_silently=False)
            connection.send_messages([deserialise(message)])
    except IntegrityError:
        return "already delivered"
    except Exception:
        if attempt >= MAX_ATTEMPTS:
            logger.exception("Email %s not delivered after %d attempts: given up", key, attempt)
            raise
        delay = FIRST_RETRY_DELAY * 2 ** (attempt - 1)
        logger.warning("Email %s not delivered (attempt %d), retried in %s", key, attempt, delay)
        enqueue_delivery(key=key, message=message, attempt=attempt + 1, delay=delay)
        return f"retry {attempt + 1} scheduled"
    return "delivered"


def enqueue_delivery(
    *, key: str, message: dict[str, Any], attempt: int = 1, delay: timedelta | None = None
) -> None:
    """Enqueue the delivery of a serialised message (later by `delay` if the backend can)."""
    delivery = deliver_email
    if delay is not None and delivery.get_backend().supports_defer:
        delivery = delivery.using(run_after=timezone.now() + delay)
    enqueue = lambda: delivery.enqueue(key=key, message=message, attempt=attempt)  # noqa: E731
    if type(delivery.get_backend()).__name__ == "DatabaseBackend":
        enqueue()  # in the caller's transaction: rolled back with it
    else:
        transaction.on_commit(enqueue)


class TaskQueueEmailBackend(BaseEmailBackend):
    """An email backend that enqueues each message for a worker to deliver."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        count = 0
        for message in email_messages:
            if not message.recipients():
                continue
            key = uuid.uuid4().hex
            try:
                enqueue_delivery(key=key, message=serialise(message, key))
            except Exception:
                if not self.fail_silently:
                    raise
                continue
            count += 1
        return count
