"""The custom user: a display name and a record of identity verification."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class VerificationMethod(models.TextChoices):
    """How an account's identity was checked."""

    ORGANISATION = "organisation", _("Organisation vérifiée")
    IDENTITY = "identity", _("Identité vérifiée")
    IDENTITY_PROVIDER = "identity_provider", _("Fournisseur d'identité")
    IMPORTED = "imported", _("Badge importé d'une consultation antérieure")


class User(AbstractUser):
    """A participant, moderator or organiser."""

    display_name = models.CharField(
        _("nom affiché"),
        max_length=150,
        blank=True,
        help_text=_("Le nom montré sur vos contributions."),
    )
    verified_at = models.DateTimeField(_("vérifié le"), null=True, blank=True)
    verification_method = models.CharField(
        _("méthode de vérification"),
        max_length=32,
        choices=VerificationMethod,
        blank=True,
    )
    verified_by = models.ForeignKey(
        "self",
        verbose_name=_("vérifié par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    deleted_at = models.DateTimeField(_("supprimé le"), null=True, blank=True, editable=False)
    blocked_at = models.DateTimeField(
        _("bloqué le"),
        null=True,
        blank=True,
        help_text=_("Un compte bloqué ne peut plus publier ni voter ; ses contributions restent."),
    )
    blocked_reason = models.CharField(_("motif du blocage"), max_length=300, blank=True)
    language = models.CharField(
        _("langue"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("La langue des courriels que la plateforme vous envoie."),
    )

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        constraints = [
            models.CheckConstraint(
                name="verification_has_method",
                condition=models.Q(verified_at__isnull=True) | ~models.Q(verification_method=""),
            ),
        ]

    def __str__(self) -> str:
        return self.public_name

    @property
    def public_name(self) -> str:
        """Return the name shown on contributions."""
        if self.deleted_at is not None:
            return gettext("Compte supprimé")
        return self.display_name or self.username

    @property
    def is_blocked(self) -> bool:
        return self.blocked_at is not None

    @property
    def is_verified(self) -> bool:
        """Return whether the « Compte vérifié » badge is shown."""
        return self.verified_at is not None


def public_name(user: User) -> str:
    """Return the name allauth shows for a user."""
    return user.public_name
