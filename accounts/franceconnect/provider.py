"""The FranceConnect provider: allauth's OpenID Connect provider with a nonce, `acr_values`
and a civil identity kept apart from the public account."""

from __future__ import annotations

import secrets
from typing import Any

from allauth.account.models import EmailAddress
from allauth.socialaccount.providers.openid_connect.provider import (
    OpenIDConnectProvider,
    OpenIDConnectProviderAccount,
)
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from accounts.franceconnect.conf import PROVIDER
from accounts.franceconnect.views import FranceConnectAdapter


class FranceConnectAccount(OpenIDConnectProviderAccount):
    def get_user_data(self) -> dict | None:
        return self.account.extra_data

    def to_str(self) -> str:
        # Never the civil name: that is what allauth would show in its lists.
        return self.account.get_provider().name


class FranceConnectProvider(OpenIDConnectProvider):
    id = PROVIDER
    name = "FranceConnect"
    account_class = FranceConnectAccount
    oauth2_adapter_class = FranceConnectAdapter
    supports_token_authentication = False

    def get_callback_url(self) -> str:
        return reverse(f"{PROVIDER}_callback", kwargs={"provider_id": self.app.provider_id})

    def get_default_scope(self) -> list[str]:
        return list(self.app.settings.get("scope") or ["openid"])

    @property
    def acr_values(self) -> list[str]:
        return list(self.app.settings.get("acr_values") or [])

    @property
    def verifies_identity(self) -> bool:
        return bool(self.app.settings.get("verifies_identity", True))

    def redirect(
        self,
        request: HttpRequest,
        process: str,
        next_url: str | None = None,
        data: Any = None,
        **kwargs: Any,
    ) -> HttpResponse:
        # A fresh nonce for each sign-in, kept server-side in the state (the
        # session) and compared with the one the ID token carries back.
        nonce = secrets.token_urlsafe(32)
        auth_params = kwargs.pop("auth_params", None) or self.get_auth_params()
        auth_params["nonce"] = nonce
        if self.acr_values:
            auth_params["acr_values"] = " ".join(self.acr_values)
        if self.app.settings.get("prompt"):
            auth_params["prompt"] = self.app.settings["prompt"]
        return super().redirect(
            request, process, next_url, data, auth_params=auth_params, nonce=nonce, **kwargs
        )

    def extract_uid(self, data: dict) -> str:
        return str(data["sub"])

    def extract_extra_data(self, data: dict) -> dict:
        return data

    def extract_common_fields(self, data: dict) -> dict:
        # Nothing of the civil identity reaches the User row (first_name,
        # last_name stay empty): the citizen chooses the public name.
        return {"email": data.get("email")}

    def extract_email_addresses(self, data: dict) -> list[EmailAddress]:
        email = data.get("email")
        return [EmailAddress(email=email, verified=True, primary=True)] if email else []


provider_classes = [FranceConnectProvider]
