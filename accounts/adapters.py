"""allauth adapters: identity providers that verify, and the signup display name."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal.ratelimit import get_ip
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language

from accounts import actions
from accounts.display_names import is_valid_display_name
from accounts.franceconnect import identity as franceconnect
from accounts.models import User, VerificationMethod


class AccountAdapter(DefaultAccountAdapter):
    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        """Count failed sign-ins per account *and client* (ACCOUNT_RATE_LIMITS "key").

        allauth keys them by account alone, so five wrong passwords typed by
        anyone anywhere lock the owner out too. With the client's address in
        the key, an attacker exhausts only their own tries; the address comes
        from X-Forwarded-For only behind a trusted proxy (TRUSTED_PROXY_COUNT).
        """
        return f"{super()._get_login_attempts_cache_key(request, **credentials)}:{get_ip(request)}"

    def save_user(self, request: HttpRequest, user: User, form: Any, commit: bool = True) -> User:
        # Emails go out later (moderation notices): remember the signup's language.
        user.language = get_language() or settings.LANGUAGE_CODE
        return super().save_user(request, user, form, commit)

    def get_logout_redirect_url(self, request: HttpRequest) -> str:
        # Signed in through FranceConnect: end that session too (RP-initiated logout).
        from accounts.franceconnect.views import end_session_url

        return end_session_url(request) or super().get_logout_redirect_url(request)


def provider_of(sociallogin: SocialLogin) -> str:
    """Return the provider id (for OpenID Connect apps, the app's own id)."""
    return sociallogin.account.provider


def mark_verified_if_trusted(user: User, sociallogin: SocialLogin) -> None:
    """Verify an account that signed in through an identity-verifying provider."""
    if (
        user.pk
        and not user.is_verified
        and provider_of(sociallogin) in (settings.IDENTITY_VERIFYING_PROVIDERS)
    ):
        actions.verify(user=user, method=VerificationMethod.IDENTITY_PROVIDER)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def populate_user(self, request: HttpRequest, sociallogin: SocialLogin, data: dict) -> User:
        user = super().populate_user(request, sociallogin, data)
        name = " ".join(
            part for part in (data.get("first_name"), data.get("last_name")) if part
        ) or data.get("name", "")
        # A provider's name passes the same rules as a typed one; otherwise the
        # signup form asks for one (accounts/forms.py), see is_auto_signup_allowed.
        if name and not user.display_name:
            if is_valid_display_name(name[:150]):
                user.display_name = name[:150]
            else:
                user._provider_name_refused = True  # type: ignore[attr-defined]
        return user

    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form: Any = None) -> User:
        user = super().save_user(request, sociallogin, form)
        mark_verified_if_trusted(user, sociallogin)
        return user

    def is_auto_signup_allowed(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        # FranceConnect: the citizen chooses the public name before anything is published.
        if franceconnect.is_franceconnect(sociallogin):
            return False
        # A provider's name that breaks the display-name rules: the form asks for one.
        if getattr(sociallogin.user, "_provider_name_refused", False):
            return False
        return super().is_auto_signup_allowed(request, sociallogin)

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        # An existing account signing in again through a verifying provider.
        if sociallogin.is_existing:
            mark_verified_if_trusted(sociallogin.user, sociallogin)


def verify_on_link(
    sender: object, request: HttpRequest, sociallogin: SocialLogin, **kwargs: Any
) -> None:
    """Verify an account when an identity-verifying provider is linked to it."""
    mark_verified_if_trusted(sociallogin.user, sociallogin)
