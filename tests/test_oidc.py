"""Sign-in through OpenID Connect, end to end against identity providers faked in memory.

allauth makes every HTTP call (discovery, token, userinfo, keys) through
`get_requests_session()`; the tests hand it a `requests.Session` whose transport
is a fake provider, so the whole flow runs with no network: the login view
redirects to the provider, the test plays the citizen consenting there, and
the callback exchanges the code for tokens signed with a key made for the test.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
import requests
from allauth.account.models import EmailAddress
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialAccount
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.cache import cache
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from requests.adapters import BaseAdapter

from accounts.models import User, VerificationMethod
from consultation.settings import identity_providers
from debates.models import Consultation, Contribution
from tests.conftest import PASSWORD, proposal_of

CALLBACK = "http://testserver/comptes/oidc/{id}/login/callback/"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Start with an empty cache: allauth keeps its rate limits and used TOTP codes there."""
    cache.clear()


class FakeIdentityProvider(BaseAdapter):
    """An OpenID Connect provider that answers allauth's requests in memory."""

    def __init__(self, provider_id: str, claims: dict[str, Any]) -> None:
        super().__init__()
        self.provider_id = provider_id
        self.issuer = f"https://{provider_id}.idp.test"
        self.client_id = f"client-{provider_id}"
        self.secret = f"secret-{provider_id}"
        self.claims = claims
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.codes: set[str] = set()  # authorization codes not yet exchanged
        self.access_tokens: set[str] = set()
        self.token_requests: list[dict[str, list[str]]] = []

    def setting(self, verifies_identity: bool) -> dict[str, object]:
        """Return this provider as an OIDC_PROVIDERS entry."""
        return {
            "id": self.provider_id,
            "name": self.provider_id.capitalize(),
            "client_id": self.client_id,
            "secret": self.secret,
            "server_url": self.issuer,
            "verifies_identity": verifies_identity,
        }

    def consent(self, authorize_url: str) -> dict[str, str]:
        """Play the citizen accepting at the provider; return the callback's query."""
        assert authorize_url.startswith(f"{self.issuer}/authorize?"), authorize_url
        query = {k: v[0] for k, v in parse_qs(urlparse(authorize_url).query).items()}
        assert query["client_id"] == self.client_id
        assert query["response_type"] == "code"
        assert query["redirect_uri"] == CALLBACK.format(id=self.provider_id)
        assert "openid" in query["scope"].split()
        code = secrets.token_urlsafe(12)
        self.codes.add(code)
        return {"code": code, "state": query["state"]}

    def id_token(self) -> str:
        now = int(time.time())
        payload = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": self.claims["sub"],
            "iat": now,
            "exp": now + 60,
        }
        return jwt.encode(payload, self.key, algorithm="RS256", headers={"kid": "test-key"})

    def answer(self, request: requests.PreparedRequest) -> tuple[int, dict[str, Any]]:
        path = urlparse(request.url).path
        if (request.method, path) == ("GET", "/.well-known/openid-configuration"):
            return 200, {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "userinfo_endpoint": f"{self.issuer}/userinfo",
                "jwks_uri": f"{self.issuer}/jwks",
                "token_endpoint_auth_methods_supported": ["client_secret_post"],
            }
        if (request.method, path) == ("GET", "/jwks"):
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
            return 200, {"keys": [jwk | {"kid": "test-key", "alg": "RS256", "use": "sig"}]}
        if (request.method, path) == ("POST", "/token"):
            form = parse_qs(str(request.body))
            self.token_requests.append(form)
            code = form.get("code", [""])[0]
            if code not in self.codes or form.get("client_secret") != [self.secret]:
                return 400, {"error": "invalid_grant"}
            self.codes.remove(code)
            access_token = secrets.token_urlsafe(12)
            self.access_tokens.add(access_token)
            return 200, {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": 60,
                "id_token": self.id_token(),
            }
        if (request.method, path) == ("GET", "/userinfo"):
            bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
            if bearer not in self.access_tokens:
                return 401, {"error": "invalid_token"}
            return 200, self.claims
        raise AssertionError(f"unexpected request to the provider: {request.method} {request.url}")

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        status, body = self.answer(request)
        response = requests.Response()
        response.status_code = status
        response._content = json.dumps(body).encode()
        response.headers["Content-Type"] = "application/json"
        response.encoding = "utf-8"
        response.url = str(request.url)
        response.request = request
        return response

    def close(self) -> None:
        pass


FRANCECONNECT_CLAIMS = {
    "sub": "fc-camille-0001",
    "given_name": "Camille",
    "family_name": "Dupont",
    "email": "camille.dupont@example.fr",
}


@pytest.fixture
def franceconnect() -> FakeIdentityProvider:
    return FakeIdentityProvider("franceconnect", FRANCECONNECT_CLAIMS)


@pytest.fixture
def other_idp() -> FakeIdentityProvider:
    return FakeIdentityProvider(
        "autre",
        {"sub": "autre-42", "name": "Dominique Autre", "email": "dominique@example.net"},
    )


@pytest.fixture(autouse=True)
def providers(
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    franceconnect: FakeIdentityProvider,
    other_idp: FakeIdentityProvider,
) -> None:
    """Configure FranceConnect (verifying) and another provider, both answered in memory."""
    settings.SOCIALACCOUNT_PROVIDERS = identity_providers(
        [franceconnect.setting(verifies_identity=True), other_idp.setting(verifies_identity=False)]
    )
    settings.IDENTITY_VERIFYING_PROVIDERS = {"franceconnect"}

    def session(adapter: DefaultSocialAccountAdapter) -> requests.Session:
        session = requests.Session()
        # Anything not sent to a fake provider fails loudly instead of reaching the network.
        session.adapters.clear()
        for fake in (franceconnect, other_idp):
            session.mount(fake.issuer, fake)
        return session

    monkeypatch.setattr(DefaultSocialAccountAdapter, "get_requests_session", session)


def sign_in_through(client: Client, fake: FakeIdentityProvider, **params: str) -> HttpResponse:
    """Start the sign-in on the site, consent at the provider, return the callback's answer."""
    response = client.post(f"/comptes/oidc/{fake.provider_id}/login/", params)
    assert response.status_code == 302, response.content.decode()[-1500:]
    return client.get(
        f"/comptes/oidc/{fake.provider_id}/login/callback/", fake.consent(response["Location"])
    )


def signed_in_user(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def test_signing_in_starts_at_the_providers_authorize_url_with_a_state(
    client: Client, franceconnect: FakeIdentityProvider, db: None
) -> None:
    assert reverse("openid_connect_login", kwargs={"provider_id": "franceconnect"}) == (
        "/comptes/oidc/franceconnect/login/"
    )
    response = client.post("/comptes/oidc/franceconnect/login/")
    assert response.status_code == 302
    query = parse_qs(urlparse(response["Location"]).query)
    assert response["Location"].startswith("https://franceconnect.idp.test/authorize?")
    assert query["client_id"] == ["client-franceconnect"]
    assert query["redirect_uri"] == [CALLBACK.format(id="franceconnect")]
    assert len(query["state"][0]) >= 8


def test_a_get_on_the_login_url_only_asks_to_confirm(client: Client, db: None) -> None:
    # SOCIALACCOUNT_LOGIN_ON_GET is off: a link alone cannot start a sign-in.
    response = client.get("/comptes/oidc/franceconnect/login/")
    assert response.status_code == 200
    assert "<form" in response.content.decode()


def test_a_citizen_signing_up_through_franceconnect_is_verified_and_may_post(
    open_consultation: Consultation, client: Client, franceconnect: FakeIdentityProvider
) -> None:
    response = sign_in_through(client, franceconnect)
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert response["Location"] == "/"

    camille = signed_in_user(client)
    assert camille is not None
    assert camille.email == "camille.dupont@example.fr"
    assert camille.display_name == "Camille Dupont"
    assert camille.verified_at is not None
    assert camille.verification_method == VerificationMethod.IDENTITY_PROVIDER
    assert camille.verified_by is None
    assert EmailAddress.objects.get(user=camille).verified
    account = SocialAccount.objects.get(user=camille)
    assert (account.provider, account.uid) == ("franceconnect", "fc-camille-0001")
    # The code went to the token endpoint with the client's secret in the body.
    [token_request] = franceconnect.token_requests
    assert token_request["client_id"] == ["client-franceconnect"]
    assert token_request["grant_type"] == ["authorization_code"]

    response = client.post(
        f"{proposal_of(open_consultation).get_page_url()}arguments/",
        {"stance": "for", "body": "Vérifiée par FranceConnect"},
    )
    assert response.status_code == 302
    assert Contribution.objects.filter(author=camille).count() == 1
    profile = client.get(f"/profils/{camille.pk}/").content.decode()
    assert "Compte vérifié" in profile
    assert "(Fournisseur d&#x27;identité)" in profile or "(Fournisseur d'identité)" in profile


def test_a_provider_that_does_not_verify_identity_creates_an_unverified_account(
    open_consultation: Consultation, client: Client, other_idp: FakeIdentityProvider
) -> None:
    response = sign_in_through(client, other_idp)
    assert response.status_code == 302, response.content.decode()[-2000:]
    dominique = signed_in_user(client)
    assert dominique is not None
    assert dominique.display_name == "Dominique Autre"
    assert dominique.verified_at is None
    assert dominique.verification_method == ""
    assert SocialAccount.objects.get(user=dominique).provider == "autre"

    # The provider's email counts as confirmed: Dominique may post, but not
    # where verified accounts are required.
    url = f"{proposal_of(open_consultation).get_page_url()}arguments/"
    assert client.post(url, {"stance": "for", "body": "x"}).status_code == 302
    open_consultation.requires_verified_accounts = True
    open_consultation.save()
    response = client.post(url, {"stance": "for", "body": "y"})
    assert response.status_code == 403
    assert "réservée aux comptes vérifiés" in response.content.decode()


def test_a_provider_name_that_impersonates_the_platform_is_not_taken(
    client: Client, other_idp: FakeIdentityProvider, db: None
) -> None:
    """A provider that calls its user « Modération »: the signup form asks for another name."""
    other_idp.claims = other_idp.claims | {"name": "Modération"}
    response = sign_in_through(client, other_idp)
    assert response.status_code == 302
    assert response["Location"] == reverse("socialaccount_signup")
    assert not User.objects.exists()
    response = client.post(
        reverse("socialaccount_signup"),
        {"email": "dominique@example.net", "display_name": "Modération"},
    )
    assert response.status_code == 200
    assert "est un nom que la plateforme utilise elle-même" in response.content.decode()
    assert not User.objects.exists()
    response = client.post(
        reverse("socialaccount_signup"),
        {"email": "dominique@example.net", "display_name": "Dominique"},
    )
    assert response.status_code == 302
    assert User.objects.get().display_name == "Dominique"


def test_a_linked_account_signing_in_again_through_franceconnect_becomes_verified(
    bob: User, client: Client, franceconnect: FakeIdentityProvider
) -> None:
    SocialAccount.objects.create(user=bob, provider="franceconnect", uid="fc-camille-0001")
    assert not bob.is_verified

    response = sign_in_through(client, franceconnect)
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert signed_in_user(client) == bob
    bob.refresh_from_db()
    assert bob.verified_at is not None
    assert bob.verification_method == VerificationMethod.IDENTITY_PROVIDER
    assert User.objects.count() == 1


def test_signing_in_again_keeps_the_first_verification(
    vera: User, client: Client, franceconnect: FakeIdentityProvider
) -> None:
    SocialAccount.objects.create(user=vera, provider="franceconnect", uid="fc-camille-0001")
    verified_at = vera.verified_at
    sign_in_through(client, franceconnect)
    vera.refresh_from_db()
    assert vera.verified_at == verified_at
    assert vera.verification_method == VerificationMethod.IDENTITY


def test_linking_franceconnect_to_an_existing_account_verifies_it(
    bob: User, client: Client, franceconnect: FakeIdentityProvider
) -> None:
    response = client.post(
        reverse("account_login"), {"login": "bob@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    # Linking an identity provider is a sensitive change: the password again first.
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302
    response = sign_in_through(client, franceconnect, process="connect")
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert SocialAccount.objects.get(provider="franceconnect").user == bob
    bob.refresh_from_db()
    assert bob.verification_method == VerificationMethod.IDENTITY_PROVIDER


def test_a_stolen_session_cannot_link_an_identity_provider(
    bob: User, client: Client, franceconnect: FakeIdentityProvider
) -> None:
    """The attack: link one's own FranceConnect to the victim's account, to sign in later."""
    client.force_login(bob)  # a copy of the session cookie, no password
    response = sign_in_through(client, franceconnect, process="connect")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not SocialAccount.objects.exists()
    bob.refresh_from_db()
    assert not bob.is_verified


def test_linking_a_provider_that_does_not_verify_leaves_the_account_unverified(
    bob: User, client: Client, other_idp: FakeIdentityProvider
) -> None:
    client.post(reverse("account_login"), {"login": "bob@example.org", "password": PASSWORD})
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    response = sign_in_through(client, other_idp, process="connect")
    assert response.status_code == 302
    assert SocialAccount.objects.get(provider="autre").user == bob
    bob.refresh_from_db()
    assert not bob.is_verified


def test_linking_then_signing_in_through_franceconnect_verifies_the_account(
    bob: User, client: Client, franceconnect: FakeIdentityProvider
) -> None:
    client.post(reverse("account_login"), {"login": "bob@example.org", "password": PASSWORD})
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    sign_in_through(client, franceconnect, process="connect")
    assert SocialAccount.objects.get(provider="franceconnect").user == bob
    client.post(reverse("account_logout"))
    assert signed_in_user(client) is None

    response = sign_in_through(client, franceconnect)
    assert response.status_code == 302
    assert signed_in_user(client) == bob
    bob.refresh_from_db()
    assert bob.verification_method == VerificationMethod.IDENTITY_PROVIDER


def test_franceconnect_with_the_email_of_an_existing_account_does_not_take_it_over(
    bob: User, client: Client, franceconnect: FakeIdentityProvider
) -> None:
    franceconnect.claims = FRANCECONNECT_CLAIMS | {"email": "bob@example.org"}
    response = sign_in_through(client, franceconnect)
    # allauth hides that the address is taken (enumeration prevention) and
    # answers as if a confirmation email had gone out.
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert signed_in_user(client) is None
    assert User.objects.count() == 1
    assert not SocialAccount.objects.filter(user=bob).exists()
    bob.refresh_from_db()
    assert not bob.is_verified


def test_a_callback_with_a_forged_state_signs_nobody_in(
    client: Client, franceconnect: FakeIdentityProvider, db: None
) -> None:
    response = client.post("/comptes/oidc/franceconnect/login/")
    query = franceconnect.consent(response["Location"]) | {"state": "forged"}
    response = client.get("/comptes/oidc/franceconnect/login/callback/", query)
    assert response.status_code == 401
    assert "Échec de la connexion" in response.content.decode()
    assert signed_in_user(client) is None
    assert not User.objects.exists()
    assert franceconnect.token_requests == []


def test_a_code_the_provider_refuses_signs_nobody_in(
    client: Client, franceconnect: FakeIdentityProvider, db: None
) -> None:
    response = client.post("/comptes/oidc/franceconnect/login/")
    query = franceconnect.consent(response["Location"]) | {"code": "not-issued"}
    response = client.get("/comptes/oidc/franceconnect/login/callback/", query)
    assert response.status_code == 401
    assert "Échec de la connexion" in response.content.decode()
    assert signed_in_user(client) is None
    assert not User.objects.exists()
