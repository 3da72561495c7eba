"""After the close: the organisers' official answers on proposals and a consultation's results.

An answer and a results page each carry a publication time (`publish_at`):
organisers may write them in advance and schedule when they become public.
Until then only the consultation's organisers see them (as a preview). Both
keep every change in their history (django-simple-history).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from debates.models import Consultation, Proposal


class AnswerState(models.TextChoices):
    """What the organisers decided about a proposal."""

    ADOPTED = "adopted", _("Retenue")
    PARTLY_ADOPTED = "partly_adopted", _("Retenue en partie")
    REJECTED = "rejected", _("Non retenue")
    UNDER_STUDY = "under_study", _("À l'étude")
    ALREADY_PLANNED = "already_planned", _("Déjà prévue")


# The public address parameter of each state (?reponse=retenue on a debate page).
STATE_SLUGS = {
    AnswerState.ADOPTED: "retenue",
    AnswerState.PARTLY_ADOPTED: "retenue-en-partie",
    AnswerState.REJECTED: "non-retenue",
    AnswerState.UNDER_STUDY: "a-l-etude",
    AnswerState.ALREADY_PLANNED: "deja-prevue",
}


class AnswerQuerySet(models.QuerySet["Answer"]):
    def published(self, now: datetime | None = None) -> AnswerQuerySet:
        """Return the answers the public may read at `now`."""
        return self.filter(publish_at__lte=now or timezone.now())

    def of_consultation(self, consultation: Consultation) -> AnswerQuerySet:
        return self.filter(proposal__debate__consultation=consultation)


class Answer(models.Model):
    """The organisers' official answer on a proposal: one current answer, its history kept."""

    proposal = models.OneToOneField(
        Proposal,
        verbose_name=_("proposition"),
        on_delete=models.PROTECT,
        related_name="answer",
    )
    state = models.CharField(_("état"), max_length=20, choices=AnswerState)
    text = models.TextField(_("réponse"))
    answered_on = models.DateField(_("date de la réponse"), default=timezone.localdate)
    link = models.URLField(
        _("lien"),
        max_length=2000,
        blank=True,
        help_text=_("Où la proposition a mené : un article du projet de loi, une décision…"),
    )
    publish_at = models.DateTimeField(
        _("publication"),
        default=timezone.now,
        help_text=_("La réponse reste invisible du public jusqu'à cette date."),
    )
    # Empty for an answer imported from an interchange file (its writer is not in it).
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rédigée par"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        null=True,
    )
    created_at = models.DateTimeField(_("créée le"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("modifiée le"), default=timezone.now, editable=False)
    history = HistoricalRecords()

    objects = AnswerQuerySet.as_manager()

    class Meta:
        verbose_name = _("réponse officielle")
        verbose_name_plural = _("réponses officielles")
        ordering = ["-publish_at", "-pk"]
        indexes = [models.Index(fields=["state", "publish_at"], name="answer_state_publication")]
        constraints = [
            models.CheckConstraint(
                name="answer_state_valid", condition=Q(state__in=AnswerState.values)
            ),
            models.CheckConstraint(
                name="answer_link_is_http", condition=Q(link="") | Q(link__regex=r"^https?://")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_state_display()} #{self.proposal_id}"

    @property
    def is_published(self) -> bool:
        return self.publish_at <= timezone.now()

    @property
    def state_slug(self) -> str:
        return STATE_SLUGS[AnswerState(self.state)]


class Results(models.Model):
    """A consultation's results page (« Synthèse »): the organisers' text and its publication."""

    consultation = models.OneToOneField(
        Consultation,
        verbose_name=_("consultation"),
        on_delete=models.PROTECT,
        related_name="results",
    )
    text = models.TextField(_("synthèse des organisateurs"))
    publish_at = models.DateTimeField(
        _("publication"),
        default=timezone.now,
        help_text=_("La synthèse est publique après la clôture, à partir de cette date."),
    )
    # Empty for an answer imported from an interchange file (its writer is not in it).
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rédigée par"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        null=True,
    )
    updated_at = models.DateTimeField(_("modifiée le"), default=timezone.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("synthèse")
        verbose_name_plural = _("synthèses")

    def __str__(self) -> str:
        return str(self.consultation)

    def is_public_at(self, now: datetime | None = None) -> bool:
        """Return whether the public may read it: after the close and its publication time."""
        now = now or timezone.now()
        return self.consultation.is_closed and self.publish_at <= now

    @property
    def is_public(self) -> bool:
        return self.is_public_at()
