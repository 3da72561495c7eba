"""Following and email notifications.

A citizen follows a proposal, a debate or a consultation (`Follow`); what
happens to what they follow is an `Event`, created once (its `key` is unique)
and fanned out by background tasks to its recipients in batches. Each email
owed to one person for one event is a `Delivery`, unique per event and user:
the row is written in the same transaction as the send, so a batch that runs
again after a worker died skips those already sent (see followups/tasks.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from debates.models import Consultation, Contribution, Debate, Proposal


class Follow(models.Model):
    """A citizen follows one proposal, debate or consultation.

    Stopping keeps the row with `stopped_at`: the author of a proposal follows
    it automatically, and one who stopped is not followed again behind their back.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("abonné"),
        on_delete=models.CASCADE,
        related_name="follows",
    )
    proposal = models.ForeignKey(
        Proposal, verbose_name=_("proposition"), on_delete=models.CASCADE, null=True, blank=True
    )
    debate = models.ForeignKey(
        Debate, verbose_name=_("débat"), on_delete=models.CASCADE, null=True, blank=True
    )
    consultation = models.ForeignKey(
        Consultation,
        verbose_name=_("consultation"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("suivi depuis le"), default=timezone.now)
    stopped_at = models.DateTimeField(_("arrêté le"), null=True, blank=True)

    class Meta:
        verbose_name = _("suivi")
        verbose_name_plural = _("suivis")
        constraints = [
            models.CheckConstraint(
                name="follow_has_one_target",
                condition=(
                    Q(proposal__isnull=False, debate__isnull=True, consultation__isnull=True)
                    | Q(proposal__isnull=True, debate__isnull=False, consultation__isnull=True)
                    | Q(proposal__isnull=True, debate__isnull=True, consultation__isnull=False)
                ),
            ),
            models.UniqueConstraint(fields=["user", "proposal"], name="one_follow_per_proposal"),
            models.UniqueConstraint(fields=["user", "debate"], name="one_follow_per_debate"),
            models.UniqueConstraint(
                fields=["user", "consultation"], name="one_follow_per_consultation"
            ),
        ]
        # Fan-out reads followers of one target, in user order.
        indexes = [
            models.Index(fields=["proposal", "user"], name="follow_proposal_user"),
            models.Index(fields=["debate", "user"], name="follow_debate_user"),
            models.Index(fields=["consultation", "user"], name="follow_consultation_user"),
        ]

    def __str__(self) -> str:
        target = self.proposal_id or self.debate_id or self.consultation_id
        return f"{self.user_id} → {target}"

    @property
    def is_active(self) -> bool:
        return self.stopped_at is None


class Frequency(models.TextChoices):
    IMMEDIATE = "immediate", _("Un courriel à chaque fois")
    DAILY = "daily", _("Un résumé par jour")


class Channel(models.TextChoices):
    """The switches of the account page; each notification kind belongs to one."""

    REPLIES = (
        "replies",
        _("Un nouvel argument ou une nouvelle source sur une proposition que je suis"),
    )
    MODERATION = "moderation", _("Ma contribution masquée ou rétablie par la modération")
    ANSWERS = (
        "answers",
        _("Une réponse officielle sur une proposition que je suis ou que j'ai écrite"),
    )
    CALENDAR = "calendar", _("Une consultation que je suis ferme dans trois jours, ou ferme")
    RESULTS = "results", _("Une consultation que je suis publie sa synthèse")


class NotificationSettings(models.Model):
    """A citizen's choices of emails; no row means every switch on, one email each time."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("utilisateur"),
        on_delete=models.CASCADE,
        related_name="notification_settings",
    )
    replies = models.BooleanField(Channel.REPLIES.label, default=True)
    moderation = models.BooleanField(Channel.MODERATION.label, default=True)
    answers = models.BooleanField(Channel.ANSWERS.label, default=True)
    calendar = models.BooleanField(Channel.CALENDAR.label, default=True)
    results = models.BooleanField(Channel.RESULTS.label, default=True)
    frequency = models.CharField(
        _("fréquence"), max_length=16, choices=Frequency, default=Frequency.IMMEDIATE
    )
    updated_at = models.DateTimeField(_("modifié le"), default=timezone.now)

    class Meta:
        verbose_name = _("préférences de notification")
        verbose_name_plural = _("préférences de notification")

    def __str__(self) -> str:
        return str(self.user_id)


class EventKind(models.TextChoices):
    REPLY = "reply", _("Nouvel argument ou nouvelle source")
    HIDDEN = "hidden", _("Contribution masquée")
    RESTORED = "restored", _("Contribution rétablie")
    ANSWER = "answer", _("Réponse officielle")
    CLOSING_SOON = "closing_soon", _("Clôture dans trois jours")
    CLOSED = "closed", _("Clôture")
    RESULTS = "results", _("Synthèse publiée")


# Which switch of the account page governs each kind.
CHANNEL_OF = {
    EventKind.REPLY: Channel.REPLIES,
    EventKind.HIDDEN: Channel.MODERATION,
    EventKind.RESTORED: Channel.MODERATION,
    EventKind.ANSWER: Channel.ANSWERS,
    EventKind.CLOSING_SOON: Channel.CALENDAR,
    EventKind.CLOSED: Channel.CALENDAR,
    EventKind.RESULTS: Channel.RESULTS,
}


class Event(models.Model):
    """Something followers hear of, recorded once: its key names it uniquely."""

    kind = models.CharField(_("type"), max_length=16, choices=EventKind)
    key = models.CharField(_("clé"), max_length=120, unique=True)
    consultation = models.ForeignKey(
        Consultation, verbose_name=_("consultation"), on_delete=models.CASCADE
    )
    proposal = models.ForeignKey(
        Proposal,
        verbose_name=_("proposition"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    contribution = models.ForeignKey(
        Contribution,
        verbose_name=_("contribution"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("le"), default=timezone.now)
    # Set when every batch of recipients is recorded (followups.tasks.fan_out).
    fanned_out_at = models.DateTimeField(_("réparti le"), null=True, blank=True)

    class Meta:
        verbose_name = _("événement notifié")
        verbose_name_plural = _("événements notifiés")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.key

    @property
    def channel(self) -> Channel:
        return CHANNEL_OF[EventKind(self.kind)]


class Batch(models.Model):
    """One batch of an event's recipients (ids from `first` to `last`), sent by one task.

    `done_at` stays empty until the task finished: a batch whose worker died
    is found by `manage.py send_notifications` and sent again (each email at
    most once, by its Delivery row).
    """

    event = models.ForeignKey(
        Event, verbose_name=_("événement"), on_delete=models.CASCADE, related_name="batches"
    )
    first = models.PositiveBigIntegerField(_("premier destinataire"))
    last = models.PositiveBigIntegerField(_("dernier destinataire"))
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    done_at = models.DateTimeField(_("terminé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("lot d'envoi")
        verbose_name_plural = _("lots d'envoi")
        constraints = [
            models.UniqueConstraint(fields=["event", "first"], name="one_batch_per_start")
        ]
        indexes = [
            models.Index(
                fields=["created_at"], condition=Q(done_at__isnull=True), name="batch_pending"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_id} [{self.first}, {self.last}]"


class Delivery(models.Model):
    """One email owed to one person for one event; `sent_at` once it left."""

    event = models.ForeignKey(
        Event, verbose_name=_("événement"), on_delete=models.CASCADE, related_name="deliveries"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("destinataire"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    digest = models.BooleanField(_("dans le résumé du jour"), default=False)
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)
    sent_at = models.DateTimeField(_("envoyée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("envoi")
        verbose_name_plural = _("envois")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "user"], name="one_delivery_per_event_and_user"
            )
        ]
        indexes = [
            models.Index(
                fields=["user"],
                condition=Q(digest=True, sent_at__isnull=True),
                name="delivery_pending_digest",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.user_id}"
