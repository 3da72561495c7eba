"""The record of « Compte vérifié » granted by FranceConnect."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class IdentityVerification(models.Model):
    """FranceConnect verified this account once.

    It outlives a moderator's withdrawal of the badge on purpose: a record
    whose account is no longer verified means « withdrawn », and the next
    FranceConnect sign-in does not grant the badge again (only a moderator may).
    It holds no civil identity (that stays with the linked account, private).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="identity_verification",
        verbose_name=_("compte"),
    )
    provider_id = models.CharField(_("fournisseur"), max_length=64)
    provider_name = models.CharField(_("nom du fournisseur"), max_length=100)
    acr = models.CharField(_("niveau de garantie"), max_length=200, blank=True)
    verified_at = models.DateTimeField(_("vérifié le"))

    class Meta:
        verbose_name = _("vérification par FranceConnect")
        verbose_name_plural = _("vérifications par FranceConnect")

    def __str__(self) -> str:
        return f"{self.provider_name} ({self.verified_at:%Y-%m-%d})"
