"""A fault for the tests of resumed sends: Django's in-memory email backend whose
connection drops once, at the Nth message (as an SMTP server that goes away)."""

from __future__ import annotations

import smtplib
from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.locmem import EmailBackend


class DropsOnce(EmailBackend):
    """Deliver to django.core.mail.outbox, but fail the message number `fail_at` (once)."""

    fail_at = 0
    sent = 0

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        for _message in messages:
            DropsOnce.sent += 1
            if DropsOnce.sent == DropsOnce.fail_at:
                raise smtplib.SMTPServerDisconnected("connection unexpectedly closed")
        return super().send_messages(messages)
