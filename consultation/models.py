"""Infrastructure records: the ledger that makes email delivery idempotent."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DeliveredEmail(models.Model):
    """An email handed to the real email backend, by its idempotency key.

    The row is inserted in the same transaction as the hand-over
    (consultation.mail.deliver_email): a task that runs again finds it and
    sends nothing. No address or text is kept, only the key and the time.
    """

    key = models.CharField(_("clé d'idempotence"), max_length=64, primary_key=True)
    delivered_at = models.DateTimeField(_("remis le"), default=timezone.now)

    class Meta:
        verbose_name = _("courriel remis")
        verbose_name_plural = _("courriels remis")

    def __str__(self) -> str:
        return self.key
