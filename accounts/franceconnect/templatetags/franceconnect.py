"""The FranceConnect button's brand, the civil identity on « Mon compte », the verification line."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from accounts.franceconnect import identity
from accounts.franceconnect.conf import PROVIDER
from accounts.models import User, VerificationMethod

register = template.Library()

#: The claims shown to the citizen on « Mon compte », with their labels.
CLAIM_LABELS = {
    "given_name": _("Prénoms"),
    "family_name": _("Nom de naissance"),
    "usual_name": _("Nom d'usage"),
    "birthdate": _("Date de naissance"),
    "gender": _("Sexe"),
    "birthplace": _("Lieu de naissance (code INSEE)"),
    "birthcountry": _("Pays de naissance (code INSEE)"),
    "siret": _("SIRET de l'organisation"),
    "organizational_unit": _("Service"),
}


@register.filter
def is_franceconnect(provider: Any) -> bool:
    return getattr(provider, "id", None) == PROVIDER


@register.simple_tag
def franceconnect_brand(provider: Any) -> dict[str, str]:
    """Return how the DSFR draws this button: FranceConnect, FranceConnect+ or ProConnect."""
    name = str(provider.name)
    if "proconnect" in name.lower():
        return {"css": " fr-connect--pro", "brand": "ProConnect", "label": "ProConnect",
                "info_url": "https://www.proconnect.gouv.fr/"}  # fmt: skip
    levels = set(provider.app.settings.get("acr_values") or [])
    if name.endswith("+") or levels & {"eidas2", "eidas3"}:
        return {"css": " fr-connect--plus", "brand": "FranceConnect", "label": "FranceConnect+",
                "info_url": "https://franceconnect.gouv.fr/france-connect-plus"}  # fmt: skip
    return {"css": "", "brand": "FranceConnect", "label": "FranceConnect",
            "info_url": "https://franceconnect.gouv.fr/"}  # fmt: skip


@register.simple_tag
def civil_identities(user: User) -> list[dict[str, Any]]:
    """The civil identities of the signed-in citizen, labelled (their own page only)."""
    rows = []
    for item in identity.identities_of(user):
        claims = [
            (CLAIM_LABELS[claim], item["identity"][claim])
            for claim in CLAIM_LABELS
            if item["identity"].get(claim)
        ]
        rows.append({"provider": item["provider"], "acr": item["acr"], "claims": claims})
    return rows


@register.simple_tag
def linkable_franceconnect(request: Any, user: User) -> list[Any]:
    """The deployments this account may still link to (none linked yet of that id)."""
    from allauth.socialaccount.adapter import get_adapter
    from allauth.socialaccount.models import SocialAccount

    linked = set(
        SocialAccount.objects.filter(user=user, provider__in=identity.provider_ids()).values_list(
            "provider", flat=True
        )
    )
    return [
        provider
        for provider in get_adapter().list_providers(request)
        if provider.id == PROVIDER and provider.app.provider_id not in linked
    ]


@register.simple_tag
def verified_by_franceconnect(person: User) -> Any:
    """The FranceConnect record behind this account's badge, or None (a moderator's, say)."""
    if person.verification_method != VerificationMethod.IDENTITY_PROVIDER:
        return None
    return getattr(person, "identity_verification", None)
