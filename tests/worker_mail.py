"""An email backend for the worker test: each message a file in $WORKER_OUTBOX, slowly.

The worker runs in another process, so Django's in-memory outbox cannot be
read from the test; one file per message, named after its recipient, can.
The pause leaves time to kill the worker in the middle of a batch.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend


class FilePerMessage(BaseEmailBackend):
    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        folder = Path(os.environ["WORKER_OUTBOX"])
        for message in messages:
            time.sleep(float(os.environ.get("WORKER_MAIL_DELAY", "0.05")))
            name = f"{message.to[0]}.{uuid.uuid4().hex}.eml"
            (folder / f".{name}").write_bytes(message.message().as_bytes())
            (folder / f".{name}").rename(folder / name)  # whole or absent
        return len(messages)
