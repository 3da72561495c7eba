"""The civil identity FranceConnect returns, kept private, and the « Compte vérifié » it grants.

What is kept: the linked account's `extra_data` holds `sub`, `iss`, `acr`, the
email, and `identity`, the identity-pivot claims returned (given_name,
family_name, birthdate, …). It is shown only to the citizen (/compte/), is part
of their data download, and goes with the linked account at account deletion.
Nothing of it reaches the User row, profiles, pages or exports: the public name
is the one the citizen chooses at the first sign-in (« Angela D. » proposed).
"""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from allauth.account.signals import user_logged_in
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.models import SocialAccount, SocialLogin
from allauth.socialaccount.providers.base.constants import AuthProcess
from allauth.socialaccount.signals import pre_social_login, social_account_added
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import actions
from accounts.franceconnect.conf import PROVIDER
from accounts.franceconnect.models import IdentityVerification
from accounts.models import User, VerificationMethod

#: The identity-pivot claims (and ProConnect's professional ones): the civil identity.
IDENTITY_CLAIMS = (
    "given_name",
    "family_name",
    "birthdate",
    "gender",
    "birthplace",
    "birthcountry",
    "usual_name",
    "siret",
    "organizational_unit",
)
#: Where the ID token waits for the sign-out (id_token_hint), in the server-side session.
SESSION_KEY = "franceconnect_logout"


def extra_data(id_token: dict[str, Any], userinfo: dict[str, Any]) -> dict[str, Any]:
    """Return what is kept of a sign-in: who (sub), how strongly (acr), the civil identity."""
    return {
        "sub": id_token["sub"],
        "iss": id_token["iss"],
        "acr": id_token.get("acr", ""),
        "email": userinfo.get("email", ""),
        "identity": {claim: userinfo[claim] for claim in IDENTITY_CLAIMS if claim in userinfo},
    }


def provider_ids() -> dict[str, str]:
    """Return the configured deployments: provider id -> name."""
    apps = settings.SOCIALACCOUNT_PROVIDERS.get(PROVIDER, {}).get("APPS", [])
    return {str(app["provider_id"]): str(app.get("name", app["provider_id"])) for app in apps}


def is_franceconnect(sociallogin: SocialLogin) -> bool:
    return sociallogin.provider.id == PROVIDER


def proposed_public_name(identity: dict[str, Any]) -> str:
    """« Angela D. »: the first given name and the initial of the family name."""
    given = str(identity.get("given_name") or "").split()
    family = str(identity.get("usual_name") or identity.get("family_name") or "").strip()
    first = given[0] if given else ""
    if first.isupper():
        first = first.title()
    initial = f"{family[0].upper()}." if family else ""
    return " ".join(part for part in (first, initial) if part)


def identities_of(user: User) -> list[dict[str, Any]]:
    """Return the civil identities FranceConnect gave for this account (for its owner only)."""
    names = provider_ids()
    accounts = SocialAccount.objects.filter(user=user, provider__in=names).order_by("pk")
    return [
        {
            "provider": names[account.provider],
            "identity": dict(account.extra_data.get("identity", {})),
            "acr": account.extra_data.get("acr", ""),
            "last_login": account.last_login.isoformat() if account.last_login else None,
        }
        for account in accounts
    ]


@transaction.atomic
def grant_verification(*, user: User, sociallogin: SocialLogin, request: HttpRequest) -> None:
    """Grant « Compte vérifié » on a FranceConnect sign-in or link, once.

    An account already verified (by a moderator, or earlier) keeps its first
    verification. An account FranceConnect verified before and that is no
    longer verified had its badge withdrawn by a moderator: it is not granted
    again silently; the citizen is told, and a moderator may verify it again.
    """
    provider = sociallogin.provider
    if not user.pk or not provider.verifies_identity:
        return
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_verified:
        return
    if IdentityVerification.objects.filter(user=user).exists():
        messages.warning(
            request,
            _(
                "Le badge « Compte vérifié » de votre compte a été retiré par la modération : "
                "%(provider)s ne le rétablit pas. Contactez la modération si vous pensez "
                "qu'il s'agit d'une erreur."
            )
            % {"provider": provider.name},
        )
        return
    now = timezone.now()
    actions.verify(user=user, method=VerificationMethod.IDENTITY_PROVIDER, when=now)
    IdentityVerification.objects.create(
        user=user,
        provider_id=provider.app.provider_id,
        provider_name=provider.name,
        acr=str(sociallogin.account.extra_data.get("acr", "")),
        verified_at=now,
    )


def remember_for_logout(request: HttpRequest, sociallogin: SocialLogin) -> None:
    id_token = (sociallogin.state or {}).get("id_token")
    if id_token:
        request.session[SESSION_KEY] = {
            "provider_id": sociallogin.provider.app.provider_id,
            "id_token": id_token,
        }


def _on_login(
    sender: object,
    request: HttpRequest,
    user: User,
    sociallogin: SocialLogin | None = None,
    **kwargs: Any,
) -> None:
    if sociallogin is not None and is_franceconnect(sociallogin):
        remember_for_logout(request, sociallogin)
        grant_verification(user=user, sociallogin=sociallogin, request=request)


def _on_link(sender: object, request: HttpRequest, sociallogin: SocialLogin, **kwargs: Any) -> None:
    if is_franceconnect(sociallogin):
        remember_for_logout(request, sociallogin)
        grant_verification(user=sociallogin.user, sociallogin=sociallogin, request=request)


def _email_taken(sociallogin: SocialLogin) -> str | None:
    email = (sociallogin.account.extra_data.get("email") or "").strip()
    if not email:
        return None
    taken = (
        EmailAddress.objects.filter(email__iexact=email).exists()
        or User.objects.filter(email__iexact=email).exists()
    )
    return email if taken else None


def _before_login(
    sender: object, request: HttpRequest, sociallogin: SocialLogin, **kwargs: Any
) -> None:
    """A first FranceConnect sign-in whose email belongs to a local account: a way forward.

    The address is not taken over (FranceConnect does not prove who owns the
    local account): the citizen signs in with the password, then links
    FranceConnect from « Mon compte ». Telling them the address has an account
    reveals nothing to anyone else: FranceConnect vouched that it is theirs.
    """
    if not is_franceconnect(sociallogin) or sociallogin.is_existing:
        return
    if (sociallogin.state or {}).get("process") == AuthProcess.CONNECT:
        return
    email = _email_taken(sociallogin)
    if email:
        response = render(
            request,
            "franceconnect/email_taken.html",
            {"email": email, "provider": sociallogin.provider},
            status=409,
        )
        raise ImmediateHttpResponse(response)


def connect_signals() -> None:
    user_logged_in.connect(_on_login, dispatch_uid="franceconnect.on_login")
    social_account_added.connect(_on_link, dispatch_uid="franceconnect.on_link")
    pre_social_login.connect(_before_login, dispatch_uid="franceconnect.before_login")
