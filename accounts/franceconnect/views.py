"""The FranceConnect sign-in and sign-out views, on allauth's OAuth2 machinery.

The callback checks, in this order: the `state` (one use, this browser), the
error the provider may return, the code exchanged for tokens, the ID token's
signature, `iss`, `aud`, `exp` and `nonce`, its `acr` against the level
requested, then the signed `/userinfo` answer (same checks, same `sub`).
Any failure renders its own message and nothing is written.
"""

from __future__ import annotations

from typing import Any

import requests
from allauth.account.internal.decorators import login_not_required
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.helpers import complete_social_login
from allauth.socialaccount.internal import statekit
from allauth.socialaccount.models import SocialApp, SocialLogin, SocialToken
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.contrib import messages
from django.core import signing
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from accounts.franceconnect import identity, tokens
from accounts.franceconnect.conf import PROVIDER
from accounts.franceconnect.errors import MESSAGES, FranceConnectError

DISCOVERY_TTL = 3600  # seconds


class FranceConnectAdapter(OpenIDConnectOAuth2Adapter):
    state: dict[str, Any] | None = None

    @property
    def openid_config(self) -> dict[str, Any]:
        # The discovery document, cached: sign-out needs it too.
        if not hasattr(self, "_openid_config"):
            provider = self.get_provider()
            key = f"franceconnect:discovery:{provider.server_url}"
            config = cache.get(key)
            if config is None:
                try:
                    with get_adapter().get_requests_session() as session:
                        response = session.get(provider.server_url)
                        response.raise_for_status()
                        config = response.json()
                except (requests.RequestException, ValueError) as error:
                    raise FranceConnectError("unavailable") from error
                cache.set(key, config, DISCOVERY_TTL)
            self._openid_config = config | provider.app.settings.get(
                "openid_configuration_overrides", {}
            )
        return self._openid_config

    def get_callback_url(self, request: HttpRequest, app: SocialApp) -> str:
        path = reverse(f"{PROVIDER}_callback", kwargs={"provider_id": self.provider_id})
        return request.build_absolute_uri(path)

    def _decode(self, app: SocialApp, token: str, require: tuple[str, ...]) -> dict[str, Any]:
        # Always verified, even over TLS: FranceConnect v2 requires it.
        config = self.openid_config
        return tokens.decode(
            token,
            jwks_uri=config["jwks_uri"],
            issuer=config["issuer"],
            audience=app.client_id,
            algorithms=list(app.settings.get("algorithms") or ["ES256", "RS256"]),
            require=require,
        )

    def _userinfo(self, app: SocialApp, access_token: str) -> dict[str, Any]:
        signed = app.settings.get("signed_userinfo", True)
        headers = {"Authorization": f"Bearer {access_token}"}
        headers["Accept"] = "application/jwt" if signed else "application/json"
        try:
            with get_adapter().get_requests_session() as session:
                response = session.get(self.profile_url, headers=headers)
                response.raise_for_status()
        except requests.RequestException as error:
            raise FranceConnectError("unavailable") from error
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        if signed:
            if content_type != "application/jwt":
                raise FranceConnectError("signature")
            return self._decode(app, response.text.strip(), require=("sub",))
        try:
            return response.json()
        except ValueError as error:
            raise FranceConnectError("unavailable") from error

    def complete_login(
        self, request: HttpRequest, app: SocialApp, token: SocialToken, **kwargs: Any
    ) -> SocialLogin:
        provider = self.get_provider()
        id_token_str = kwargs["response"].get("id_token")
        if not id_token_str:
            raise FranceConnectError("claims")
        claims = self._decode(app, id_token_str, require=("exp", "iat", "sub"))
        tokens.check_nonce(claims, (self.state or {}).get("nonce"))
        if not tokens.acr_satisfies(claims.get("acr"), provider.acr_values):
            raise FranceConnectError(
                "acr", required=" ".join(provider.acr_values), given=str(claims.get("acr", "—"))
            )
        userinfo = self._userinfo(app, token.token)
        if userinfo.get("sub") != claims["sub"]:
            raise FranceConnectError("claims")
        login = provider.sociallogin_from_response(request, identity.extra_data(claims, userinfo))
        # Kept for the sign-out (id_token_hint); stored in the session once signed in.
        self.state = (self.state or {}) | {"id_token": id_token_str}
        return login


def failure(request: HttpRequest, provider: Any, reason: str, **params: str) -> HttpResponse:
    status, title, text = MESSAGES[reason]
    params = {"provider": provider.name, "code": "", "required": "", "given": ""} | params
    return render(
        request,
        "franceconnect/error.html",
        {
            "title": title % params,
            "text": text % params,
            "code": reason,
            "provider": provider,
        },
        status=status,
    )


class CallbackView(OAuth2CallbackView):
    adapter: FranceConnectAdapter

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        provider = self.adapter.get_provider()
        state_id = request.GET.get("state", "")
        # One use: unstashing removes it, so a replayed callback finds nothing.
        state = (
            statekit.unstash_state(request, provider_id=provider.sub_id, state_id=state_id)
            if state_id
            else None
        )
        error = request.GET.get("error")
        if error == self.adapter.login_cancelled_error:
            return failure(request, provider, "cancelled")
        if state is None:
            return failure(request, provider, "state")
        if error or "code" not in request.GET:
            return failure(request, provider, "provider_error", code=error or "no code")
        self.adapter.state = state
        app = provider.app
        try:
            client = self.adapter.get_client(request, app)
            data = self.adapter.get_access_token_data(request, app, client)
            token = self.adapter.parse_token(data)
            login = self.adapter.complete_login(request, app, token, response=data)
        except FranceConnectError as refused:
            return failure(request, provider, refused.code, **refused.params)
        except (OAuth2Error, requests.RequestException, KeyError, ValueError):
            return failure(request, provider, "unavailable")
        login.token = token
        login.state = self.adapter.state
        return complete_social_login(request, login)


def _adapter_view(view_class: type, request: HttpRequest, provider_id: str) -> HttpResponse:
    try:
        view = view_class.adapter_view(FranceConnectAdapter(request, provider_id))
        return view(request)
    except SocialApp.DoesNotExist as missing:
        raise Http404 from missing
    except FranceConnectError as refused:
        provider = get_adapter().get_provider(request, provider_id)
        return failure(request, provider, refused.code, **refused.params)


@login_not_required
def login(request: HttpRequest, provider_id: str) -> HttpResponse:
    return _adapter_view(OAuth2LoginView, request, provider_id)


@login_not_required
def callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    return _adapter_view(CallbackView, request, provider_id)


# Sign-out: RP-initiated logout at the provider's end_session_endpoint.

LOGOUT_SALT = "accounts.franceconnect.logout"
LOGOUT_MAX_AGE = 3600  # seconds the provider has to send the citizen back


def end_session_url(request: HttpRequest) -> str | None:
    """Return the provider's sign-out URL for the signed-in citizen, or None.

    Called before the local session ends (allauth's logout redirect). The
    `state` is signed and timestamped: it survives the end of the session,
    and the return view checks it.
    """
    hint = request.session.get(identity.SESSION_KEY)
    if not hint:
        return None
    try:
        adapter = FranceConnectAdapter(request, hint["provider_id"])
        provider = adapter.get_provider()
        endpoint = adapter.openid_config.get("end_session_endpoint")
    except (SocialApp.DoesNotExist, FranceConnectError, KeyError):
        return None
    if not endpoint:
        return None
    back = provider.app.settings.get("post_logout_redirect_uri") or request.build_absolute_uri(
        reverse(f"{PROVIDER}_logout_callback", kwargs={"provider_id": provider.app.provider_id})
    )
    state = signing.dumps({"p": provider.app.provider_id}, salt=LOGOUT_SALT)
    query = {"id_token_hint": hint["id_token"], "state": state, "post_logout_redirect_uri": back}
    return requests.Request("GET", endpoint, params=query).prepare().url


@require_safe
@login_not_required
def logout_callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    try:
        provider = get_adapter().get_provider(request, provider_id)
    except SocialApp.DoesNotExist as missing:
        raise Http404 from missing
    try:
        signing.loads(request.GET.get("state", ""), salt=LOGOUT_SALT, max_age=LOGOUT_MAX_AGE)
    except signing.BadSignature:
        messages.warning(
            request,
            _("La déconnexion de %(provider)s n'a pas pu être confirmée.")
            % {"provider": provider.name},
        )
    else:
        messages.success(
            request, _("Vous êtes aussi déconnecté de %(provider)s.") % {"provider": provider.name}
        )
    return redirect("home")
