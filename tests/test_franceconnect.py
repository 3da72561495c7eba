"""FranceConnect end to end: Django's test client on our side, a real OpenID provider on the other.

The provider is the certified `oidc-provider` package configured like
FranceConnect v2 (tests/oidc/provider.js): ES256 and RS256 keys, signed
`/userinfo`, `acr` eidas1 to eidas3, RP-initiated logout, a login page with a
cancel button. The citizen's browser at the provider is a `requests` session;
every redirect back to our site goes through the Django test client.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse, urlunparse

import pytest
from allauth.socialaccount.models import SocialAccount
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts import actions
from accounts.franceconnect import conf
from accounts.franceconnect.identity import proposed_public_name
from accounts.franceconnect.models import IdentityVerification
from accounts.franceconnect.tokens import acr_satisfies
from accounts.models import User, VerificationMethod
from debates.models import Consultation
from tests import oidc
from tests.conftest import PASSWORD, proposal_of

SITE = "http://testserver"
LOGIN = "/comptes/franceconnect/{id}/login/"


@pytest.fixture(scope="module")
def provider() -> Iterator[oidc.Provider]:
    with oidc.running([SITE]) as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Cached keys and discovery documents belong to one provider process; rate limits too."""
    cache.clear()


@pytest.fixture
def configure(settings: Any, provider: oidc.Provider) -> Any:
    """Configure deployments as an operator would (conf.app); return a function to reconfigure."""

    def apply(*apps: dict[str, Any]) -> None:
        settings.SOCIALACCOUNT_PROVIDERS = conf.providers_setting(list(apps))

    apply(provider.app("franceconnect"), provider.app("franceconnect-plus"))
    return apply


class Citizen:
    """One person: a browser on our site (the test client) and at the provider."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.at_provider = oidc.AtProvider(SITE)

    def start(self, provider_id: str = "franceconnect", **params: str) -> str:
        response = self.client.post(LOGIN.format(id=provider_id), params)
        assert response.status_code == 302, response.content.decode()[-2000:]
        return response["Location"]

    def back(self, url: str) -> Any:
        assert url.startswith(SITE), url
        return self.client.get(oidc.path_of(url))

    def sign_in(self, username: str = "angela", provider_id: str = "franceconnect") -> Any:
        """Click the button, log in at the provider, come back: our callback's answer."""
        page = self.at_provider.go(self.start(provider_id))
        return self.back(self.at_provider.log_in(page, username))

    def choose_name(self, name: str | None = None) -> Any:
        page = self.client.get(reverse("socialaccount_signup"))
        assert page.status_code == 200
        form = page.context["form"]
        data = {
            "display_name": name or form.initial["display_name"],
            "email": form["email"].value(),
        }
        return self.client.post(reverse("socialaccount_signup"), data)

    @property
    def user(self) -> User | None:
        user_id = self.client.session.get("_auth_user_id")
        return User.objects.get(pk=user_id) if user_id else None


@pytest.fixture
def citizen(client: Client, configure: Any) -> Citizen:
    return Citizen(client)


def assert_nothing_created() -> None:
    assert not User.objects.exists()
    assert not SocialAccount.objects.exists()
    assert not IdentityVerification.objects.exists()


def refused(response: Any, status: int, code: str) -> str:
    body = response.content.decode()
    assert response.status_code == status, body[-2000:]
    assert f'data-code="{code}"' in body, body[-2000:]
    return body


# The request to the provider


def test_the_authorize_request_carries_a_fresh_nonce_state_and_acr(
    citizen: Citizen, provider: oidc.Provider, db: None
) -> None:
    first = urlparse(citizen.start())
    second = urlparse(citizen.start())
    assert f"{first.scheme}://{first.netloc}" == provider.issuer
    query = parse_qs(first.query)
    assert query["response_type"] == ["code"]
    assert query["client_id"] == ["client-franceconnect"]
    assert query["redirect_uri"] == [f"{SITE}/comptes/franceconnect/franceconnect/login/callback/"]
    assert sorted(query["scope"][0].split()) == ["email", "family_name", "given_name", "openid"]
    assert query["acr_values"] == ["eidas1"]
    assert len(query["nonce"][0]) >= 32
    assert len(query["state"][0]) >= 16
    other = parse_qs(second.query)
    assert other["nonce"] != query["nonce"]
    assert other["state"] != query["state"]
    assert parse_qs(citizen.start("franceconnect-plus").split("?")[1])["acr_values"] == ["eidas2"]


def test_a_get_on_the_login_url_does_not_start_a_sign_in(citizen: Citizen, db: None) -> None:
    response = citizen.client.get(LOGIN.format(id="franceconnect"))
    assert response.status_code == 200
    assert "<form" in response.content.decode()


def test_an_unknown_deployment_is_not_found(citizen: Citizen, db: None) -> None:
    assert citizen.client.post(LOGIN.format(id="inconnu")).status_code == 404


def test_each_deployment_gets_the_button_the_dsfr_draws_for_it(
    citizen: Citizen, configure: Any, provider: oidc.Provider, db: None
) -> None:
    configure(
        provider.app("franceconnect"), provider.app("franceconnect-plus"), provider.app("plain")
    )
    html = citizen.client.get(reverse("account_login")).content.decode()
    assert html.count('<button type="submit" class="fr-connect') == 3
    assert 'class="fr-connect fr-connect--plus"' in html
    assert 'class="fr-connect fr-connect--pro"' in html
    assert '<span class="fr-connect__login">S’identifier avec</span>' in html
    assert '<span class="fr-connect__brand">ProConnect</span>' in html
    for url, name in [
        ("https://franceconnect.gouv.fr/", "FranceConnect"),
        ("https://franceconnect.gouv.fr/france-connect-plus", "FranceConnect+"),
        ("https://www.proconnect.gouv.fr/", "ProConnect"),
    ]:
        assert (
            f'<a href="{url}" target="_blank" rel="noopener" '
            f'title="Qu’est-ce que {name}\u00a0? - nouvelle fenêtre">'
            f"Qu’est-ce que {name}\u00a0?</a>"
        ) in html
    # Served by the site itself: the CSP allows no other origin, no inline style.
    assert '<link rel="stylesheet" href="/static/franceconnect/connect.css">' in html
    assert "style=" not in html.split('<div class="fr-connect-group">', 1)[1]
    for action in ("/comptes/franceconnect/franceconnect/login/?process=login",
                   "/comptes/franceconnect/plain/login/?process=login"):  # fmt: skip
        assert f'<form method="post" action="{action}">' in html


# A first sign-in


def test_a_first_sign_in_asks_for_the_public_name_before_creating_anything(
    citizen: Citizen, db: None
) -> None:
    response = citizen.sign_in()
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert response["Location"] == reverse("socialaccount_signup")
    assert_nothing_created()

    page = citizen.client.get(reverse("socialaccount_signup"))
    html = page.content.decode()
    assert "Choisissez votre nom public" in html
    assert 'value="Angela D."' in html
    assert "DUBOIS" not in html and "Claire" not in html

    response = citizen.choose_name()
    assert response.status_code == 302, response.content.decode()[-2000:]
    angela = citizen.user
    assert angela is not None
    assert angela.display_name == "Angela D."
    assert angela.email == "angela.dubois@example.fr"
    assert (angela.first_name, angela.last_name) == ("", "")
    assert angela.verification_method == VerificationMethod.IDENTITY_PROVIDER
    assert angela.verified_at is not None and angela.verified_by is None
    record = IdentityVerification.objects.get(user=angela)
    assert (record.provider_id, record.provider_name, record.acr) == (
        "franceconnect",
        "FranceConnect",
        "eidas1",
    )
    account = SocialAccount.objects.get(user=angela)
    assert (account.provider, account.uid) == ("franceconnect", "fc-angela-0001")
    # The signed /userinfo answer was verified and read: the identity-pivot claims.
    assert account.extra_data["identity"] == {
        "given_name": "Angela Claire Louise",
        "family_name": "DUBOIS",
    }
    assert account.extra_data["acr"] == "eidas1"


def test_the_public_name_is_the_citizens_choice(citizen: Citizen, db: None) -> None:
    citizen.sign_in()
    response = citizen.choose_name("Une citoyenne de Lyon")
    assert response.status_code == 302
    assert citizen.user is not None
    assert citizen.user.display_name == "Une citoyenne de Lyon"


def test_an_empty_public_name_is_refused_and_nothing_is_created(citizen: Citizen, db: None) -> None:
    citizen.sign_in()
    response = citizen.client.post(
        reverse("socialaccount_signup"),
        {"display_name": "", "email": "angela.dubois@example.fr"},
    )
    assert response.status_code == 200
    assert "display_name" in response.context["form"].errors
    assert_nothing_created()


@pytest.mark.parametrize(
    ("identity", "proposed"),
    [
        ({"given_name": "Angela Claire Louise", "family_name": "DUBOIS"}, "Angela D."),
        ({"given_name": "JEAN-PIERRE", "family_name": "de la Fontaine"}, "Jean-Pierre D."),
        ({"given_name": "Chloé", "family_name": "élan"}, "Chloé É."),
        ({"given_name": "Sam", "family_name": "MARTIN", "usual_name": "LEROY"}, "Sam L."),
        ({"family_name": "DUBOIS"}, "D."),
        ({}, ""),
    ],
)
def test_the_proposed_public_name_is_the_first_given_name_and_an_initial(
    identity: dict[str, str], proposed: str
) -> None:
    assert proposed_public_name(identity) == proposed


def test_the_civil_identity_stays_private(
    citizen: Citizen, open_consultation: Consultation, tmp_path: Any
) -> None:
    citizen.sign_in()
    citizen.choose_name()
    angela = citizen.user
    assert angela is not None
    response = citizen.client.post(
        f"{proposal_of(open_consultation).get_page_url()}arguments/",
        {"stance": "for", "body": "Un argument vérifié par FranceConnect"},
    )
    assert response.status_code == 302

    profile = Client().get(f"/profils/{angela.pk}/").content.decode()
    assert "Angela D." in profile
    assert "Compte vérifié" in profile
    assert "vérifié par FranceConnect le" in profile
    proposal_page = Client().get(proposal_of(open_consultation).get_page_url()).content.decode()
    assert "Angela D." in proposal_page
    out = tmp_path / "export.json"
    call_command("export_consultation", open_consultation.slug, "-o", str(out))
    exported = out.read_text(encoding="utf-8")
    assert "Angela D." in exported
    for page in (profile, proposal_page, exported):
        assert "DUBOIS" not in page and "Claire" not in page

    # Shown to the citizen only, on « Mon compte », and in their data download.
    mine = citizen.client.get(reverse("account")).content.decode()
    assert "Identité vérifiée (privée)" in mine
    assert "Angela Claire Louise" in mine and "DUBOIS" in mine
    data = json.loads(citizen.client.get(reverse("account_data")).content)
    [identity] = data["account"]["civil_identity"]
    assert identity["identity"]["family_name"] == "DUBOIS"
    assert identity["provider"] == "FranceConnect"

    # Gone with the account.
    actions.delete_account(user=angela)
    assert not SocialAccount.objects.filter(user=angela).exists()
    angela.refresh_from_db()
    assert "DUBOIS" not in json.dumps(actions.personal_data(angela))


def test_the_admin_shows_the_linked_account_but_not_the_civil_identity(
    citizen: Citizen, settings: Any, db: None
) -> None:
    citizen.sign_in()
    citizen.choose_name()
    account = SocialAccount.objects.get()
    settings.STAFF_REQUIRE_2FA = False
    staff = Client()
    staff.force_login(User.objects.create_superuser("root", "root@example.org", PASSWORD))
    page = staff.get(f"/admin/socialaccount/socialaccount/{account.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "fc-angela-0001" in html
    assert "DUBOIS" not in html and "Claire" not in html


def test_signing_in_again_signs_in_the_same_account_without_asking(
    citizen: Citizen, db: None
) -> None:
    citizen.sign_in()
    citizen.choose_name()
    angela = citizen.user
    citizen.client.logout()
    # A fresh browser at the provider too: the provider asks for the password again.
    again = Citizen(Client())
    response = again.sign_in()
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert again.user == angela
    assert User.objects.count() == 1


def test_france_connect_plus_accepts_a_higher_level(citizen: Citizen, db: None) -> None:
    response = citizen.sign_in("chloe", "franceconnect-plus")
    assert response.status_code == 302, response.content.decode()[-2000:]
    citizen.choose_name()
    chloe = citizen.user
    assert chloe is not None and chloe.is_verified
    assert IdentityVerification.objects.get(user=chloe).acr == "eidas2"


def test_a_provider_with_plain_json_userinfo_works_when_so_configured(
    citizen: Citizen, configure: Any, provider: oidc.Provider, db: None
) -> None:
    configure(provider.app("plain"))
    response = citizen.sign_in("chloe", "plain")
    assert response.status_code == 302, response.content.decode()[-2000:]
    citizen.choose_name()
    assert citizen.user is not None
    assert SocialAccount.objects.get().extra_data["identity"]["family_name"] == "PETIT"


# Refusals: nothing is created


def test_cancelling_at_the_provider_says_so_and_creates_nothing(citizen: Citizen, db: None) -> None:
    page = citizen.at_provider.go(citizen.start())
    response = citizen.back(citizen.at_provider.cancel(page))
    body = refused(response, 200, "cancelled")
    assert "Vous avez annulé la connexion avec FranceConnect" in body
    assert "Échec de la connexion" not in body
    assert citizen.user is None
    assert_nothing_created()


def test_another_error_from_the_provider_is_explained(citizen: Citizen, db: None) -> None:
    # prompt=none without a session at the provider: it answers error=login_required.
    url = urlparse(citizen.start())
    query = parse_qs(url.query) | {"prompt": ["none"]}
    back = citizen.at_provider.go(urlunparse(url._replace(query=urlencode(query, doseq=True))))
    assert "error=login_required" in back
    body = refused(citizen.back(back), 400, "provider_error")
    assert "FranceConnect a répondu par une erreur (« login_required »)" in body
    assert_nothing_created()


def test_a_tampered_nonce_is_refused(citizen: Citizen, db: None) -> None:
    url = urlparse(citizen.start())
    query = parse_qs(url.query) | {"nonce": ["a-nonce-this-browser-never-asked-for"]}
    page = citizen.at_provider.go(urlunparse(url._replace(query=urlencode(query, doseq=True))))
    body = refused(citizen.back(citizen.at_provider.log_in(page, "angela")), 401, "nonce")
    assert "nonce invalide" in body
    assert citizen.user is None
    assert_nothing_created()


def test_a_level_below_the_one_requested_is_refused(citizen: Citizen, db: None) -> None:
    response = citizen.sign_in("basile", "franceconnect-plus")
    body = refused(response, 403, "acr")
    assert "« eidas2 »" in body and "« eidas1 »" in body
    assert citizen.user is None
    assert_nothing_created()


def test_a_signature_that_does_not_verify_is_refused(
    citizen: Citizen, configure: Any, provider: oidc.Provider, db: None
) -> None:
    # Keys with the provider's key ids but other key material: as if the
    # tokens had been forged or the keys substituted.
    wrong = {"jwks_uri": f"{provider.issuer}/test/wrong-jwks"}
    configure(provider.app("franceconnect", openid_configuration_overrides=wrong))
    body = refused(citizen.sign_in(), 401, "signature")
    assert "signature" in body
    assert_nothing_created()


def test_keys_are_fetched_again_when_the_cached_ones_do_not_verify(
    citizen: Citizen, provider: oidc.Provider, db: None
) -> None:
    import requests

    stale = requests.get(f"{provider.issuer}/test/wrong-jwks", timeout=5).json()
    cache.set(f"franceconnect:jwks:{provider.issuer}/jwks", stale)
    response = citizen.sign_in()
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert response["Location"] == reverse("socialaccount_signup")
    assert cache.get(f"franceconnect:jwks:{provider.issuer}/jwks") != stale


def test_keys_are_fetched_again_for_an_unknown_key_id(
    citizen: Citizen, provider: oidc.Provider, db: None
) -> None:
    import requests

    keys = requests.get(f"{provider.issuer}/jwks", timeout=5).json()
    renamed = {"keys": [key | {"kid": f"old-{key['kid']}"} for key in keys["keys"]]}
    cache.set(f"franceconnect:jwks:{provider.issuer}/jwks", renamed)
    response = citizen.sign_in()
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert cache.get(f"franceconnect:jwks:{provider.issuer}/jwks") == keys


def test_an_empty_cached_key_set_is_fetched_again(
    citizen: Citizen, provider: oidc.Provider, db: None
) -> None:
    cache.set(f"franceconnect:jwks:{provider.issuer}/jwks", {"keys": []})
    assert citizen.sign_in().status_code == 302


def test_a_wrong_issuer_is_refused(
    citizen: Citizen, configure: Any, provider: oidc.Provider, db: None
) -> None:
    overrides = {"issuer": "https://franceconnect.example"}
    configure(provider.app("franceconnect", openid_configuration_overrides=overrides))
    refused(citizen.sign_in(), 401, "claims")
    assert_nothing_created()


def test_unsigned_userinfo_is_refused_when_signatures_are_required(
    citizen: Citizen, configure: Any, provider: oidc.Provider, db: None
) -> None:
    configure(provider.app("plain", signed_userinfo=True))
    refused(citizen.sign_in("chloe", "plain"), 401, "signature")
    assert_nothing_created()


def test_a_replayed_callback_is_refused(citizen: Citizen, db: None) -> None:
    page = citizen.at_provider.go(citizen.start())
    callback = citizen.at_provider.log_in(page, "angela")
    assert citizen.back(callback).status_code == 302
    citizen.choose_name()
    assert User.objects.count() == 1

    # The same browser, and another one (a stolen URL): the state was used up.
    refused(citizen.back(callback), 400, "state")
    intruder = Citizen(Client())
    refused(intruder.back(callback), 400, "state")
    assert intruder.user is None
    assert User.objects.count() == 1 and SocialAccount.objects.count() == 1


def test_a_callback_replayed_before_the_name_is_chosen_creates_nothing(
    citizen: Citizen, db: None
) -> None:
    page = citizen.at_provider.go(citizen.start())
    callback = citizen.at_provider.log_in(page, "angela")
    assert citizen.back(callback).status_code == 302
    refused(Citizen(Client()).back(callback), 400, "state")
    assert_nothing_created()


def test_messages_are_in_english_too(citizen: Citizen, db: None) -> None:
    citizen.client.cookies["django_language"] = "en"
    page = citizen.at_provider.go(citizen.start())
    body = refused(citizen.back(citizen.at_provider.cancel(page)), 200, "cancelled")
    assert "You cancelled signing in with FranceConnect" in body


# An email that already has an account


def test_an_email_with_a_local_account_gets_a_way_forward(citizen: Citizen, bob: User) -> None:
    response = citizen.sign_in("bob")
    body = response.content.decode()
    assert response.status_code == 409, body[-2000:]
    assert "Un compte existe déjà avec cette adresse" in body
    assert "bob@example.org" in body
    assert f'href="{reverse("account_login")}?next={reverse("account")}"' in body
    assert "terminer l&#x27;inscription" not in body.lower()
    assert citizen.user is None
    assert User.objects.count() == 1
    assert not SocialAccount.objects.exists()

    # The way forward: sign in with the password, then link FranceConnect.
    citizen.client.post(
        reverse("account_login"), {"login": "bob@example.org", "password": PASSWORD}
    )
    assert citizen.user == bob
    # Linking is a sensitive change: allauth asks for the password again first.
    citizen.client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    account_page = citizen.client.get(reverse("account")).content.decode()
    assert "S’identifier avec" in account_page
    # Still signed in at the provider: it answers at once, without asking again.
    back = citizen.at_provider.go(citizen.start(process="connect"))
    assert isinstance(back, str), back.text[:1000]
    response = citizen.back(back)
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert SocialAccount.objects.get().user == bob
    bob.refresh_from_db()
    assert bob.verification_method == VerificationMethod.IDENTITY_PROVIDER
    assert bob.display_name == "Bob Durand"
    assert "vérifié par FranceConnect le" in Client().get(f"/profils/{bob.pk}/").content.decode()


def test_linking_keeps_an_earlier_verification(citizen: Citizen, vera: User) -> None:
    verified_at = vera.verified_at
    citizen.client.force_login(vera)
    citizen.client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = citizen.at_provider.go(citizen.start(process="connect"))
    citizen.back(citizen.at_provider.log_in(page, "angela"))
    assert SocialAccount.objects.get().user == vera
    vera.refresh_from_db()
    assert vera.verified_at == verified_at
    assert vera.verification_method == VerificationMethod.IDENTITY
    assert not IdentityVerification.objects.exists()


def test_a_moderators_withdrawal_is_not_undone_by_the_next_sign_in(
    citizen: Citizen, db: None
) -> None:
    citizen.sign_in()
    citizen.choose_name()
    angela = citizen.user
    assert angela is not None and angela.is_verified
    actions.unverify(user=angela)
    citizen.client.logout()

    again = Citizen(Client())
    response = again.sign_in()
    assert response.status_code == 302
    assert again.user == angela
    angela.refresh_from_db()
    assert not angela.is_verified
    home = again.client.get("/").content.decode()
    assert "a été retiré par la modération" in home

    # The record deleted (a moderator's decision, in the admin): verified again.
    IdentityVerification.objects.filter(user=angela).delete()
    again.client.logout()
    third = Citizen(Client())
    assert third.sign_in().status_code == 302
    angela.refresh_from_db()
    assert angela.is_verified


# Signing out


def test_signing_out_ends_the_session_at_the_provider(citizen: Citizen, db: None) -> None:
    citizen.sign_in()
    citizen.choose_name()
    response = citizen.client.post(reverse("account_logout"))
    assert citizen.user is None
    end_session = urlparse(response["Location"])
    query = parse_qs(end_session.query)
    assert end_session.path == "/session/end"
    assert query["id_token_hint"][0].count(".") == 2
    assert query["post_logout_redirect_uri"] == [
        f"{SITE}/comptes/franceconnect/franceconnect/logout/callback/"
    ]
    back = citizen.at_provider.confirm_logout(citizen.at_provider.go(response["Location"]))
    assert parse_qs(urlparse(back).query)["state"] == query["state"]
    response = citizen.back(back)
    assert response.status_code == 302 and response["Location"] == "/"
    assert "Vous êtes aussi déconnecté de FranceConnect" in citizen.client.get("/").content.decode()

    # The next click on the button asks for the password again.
    page = citizen.at_provider.go(citizen.start())
    assert not isinstance(page, str), page
    assert 'name="password"' in page.text


def test_without_the_provider_sign_out_the_next_click_signs_in_silently(
    citizen: Citizen, db: None
) -> None:
    # The control for the test above: the provider keeps its own session.
    citizen.sign_in()
    citizen.choose_name()
    citizen.client.logout()
    back = citizen.at_provider.go(citizen.start())
    assert isinstance(back, str) and "code=" in back


def test_a_forged_sign_out_return_is_only_a_warning(citizen: Citizen, db: None) -> None:
    response = citizen.client.get(
        "/comptes/franceconnect/franceconnect/logout/callback/", {"state": "forged"}
    )
    assert response.status_code == 302
    assert "n&#x27;a pas pu être confirmée" in citizen.client.get("/").content.decode()


def test_a_password_sign_out_goes_home_as_before(client: Client, bob: User) -> None:
    client.force_login(bob)
    response = client.post(reverse("account_logout"))
    assert response["Location"] == "/"


# Configuration


def test_one_deployment_from_plain_variables_with_franceconnect_defaults() -> None:
    [app] = conf.from_environment(
        {
            "FRANCECONNECT_CLIENT_ID": "abc",
            "FRANCECONNECT_SECRET": "s3cret",
            "FRANCECONNECT_ISSUER": "https://fcp-low.sbx.dev-franceconnect.fr/api/v2/",
        }
    )
    assert app["provider_id"] == "franceconnect"
    assert app["name"] == "FranceConnect"
    assert (app["client_id"], app["secret"]) == ("abc", "s3cret")
    assert app["settings"]["server_url"] == "https://fcp-low.sbx.dev-franceconnect.fr/api/v2"
    assert app["settings"]["scope"] == ["openid", "given_name", "family_name", "email"]
    assert app["settings"]["acr_values"] == ["eidas1"]
    assert app["settings"]["signed_userinfo"] is True
    assert app["settings"]["verifies_identity"] is True


def test_several_deployments_from_a_json_list() -> None:
    apps = conf.from_environment(
        {
            "FRANCECONNECT_PROVIDERS": json.dumps(
                [
                    {"id": "fcplus", "name": "FranceConnect+", "client_id": "a",
                     "issuer": "https://fc.example", "acr_values": "eidas2",
                     "scope": "openid given_name family_name birthdate"},
                    {"id": "proconnect", "name": "ProConnect", "client_id": "b",
                     "issuer": "https://pc.example", "signed_userinfo": False,
                     "verifies_identity": False,
                     "post_logout_redirect_uri": "https://site.example/bye"},
                ]
            )
        }
    )  # fmt: skip
    assert [a["provider_id"] for a in apps] == ["fcplus", "proconnect"]
    assert apps[0]["settings"]["acr_values"] == ["eidas2"]
    assert apps[0]["settings"]["scope"] == ["openid", "given_name", "family_name", "birthdate"]
    assert apps[1]["settings"]["signed_userinfo"] is False
    assert apps[1]["settings"]["verifies_identity"] is False
    assert apps[1]["settings"]["post_logout_redirect_uri"] == "https://site.example/bye"


@pytest.mark.parametrize(
    "items",
    [
        [{"id": "fc", "issuer": "https://fc.example"}],  # no client id
        [{"id": "fc", "client_id": "a"}],  # no issuer
        [{"id": "fc", "client_id": "a", "issuer": "https://x", "scopes": "openid"}],  # a typo
        [{"id": "fc", "client_id": "a", "issuer": "https://x"}] * 2,  # the same id twice
        [{"id": "fc", "client_id": "a", "issuer": "https://x", "scope": "openid address"}],
        [{"id": "fc", "client_id": "a", "issuer": "https://x", "scope": "openid phone"}],
    ],
)
def test_a_configuration_that_cannot_work_is_refused_at_start(items: list[dict]) -> None:
    with pytest.raises(conf.ConfigurationError):
        conf.from_environment({"FRANCECONNECT_PROVIDERS": json.dumps(items)})


@pytest.mark.parametrize(
    ("acr", "requested", "ok"),
    [
        ("eidas1", ["eidas1"], True),
        ("eidas2", ["eidas1"], True),
        ("eidas1", ["eidas2"], False),
        ("eidas3", ["eidas2"], True),
        (None, ["eidas1"], False),
        ("", ["eidas1"], False),
        ("https://proconnect.gouv.fr/assurance/self-asserted", ["eidas1"], False),
        ("https://proconnect.gouv.fr/assurance/self-asserted",
         ["https://proconnect.gouv.fr/assurance/self-asserted"], True),
        ("anything", [], True),
    ],
)  # fmt: skip
def test_the_level_reached_must_be_at_least_the_level_requested(
    acr: str | None, requested: list[str], ok: bool
) -> None:
    assert acr_satisfies(acr, requested) is ok


# Query budgets of the pages FranceConnect adds or changes


def queries(client: Client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code in (200, 400)
    return len(captured)


def test_a_profile_verified_by_franceconnect_costs_no_extra_query(
    citizen: Citizen, vera: User
) -> None:
    citizen.sign_in()
    citizen.choose_name()
    angela = citizen.user
    assert angela is not None
    reader = Client()
    # The person (who verified, and FranceConnect's record, by joins), the
    # COUNT of contributions (none: no page to read): 2, like any profile.
    assert queries(reader, f"/profils/{angela.pk}/") == queries(reader, f"/profils/{vera.pk}/")
    assert queries(reader, f"/profils/{angela.pk}/") == 2


def test_the_pages_of_a_sign_in_have_fixed_query_counts(citizen: Citizen, db: None) -> None:
    # A refused callback (no session yet): the site and the deployment (allauth
    # looks for apps in the database too, then in the settings).
    assert queries(citizen.client, "/comptes/franceconnect/franceconnect/login/callback/") == 2
    citizen.sign_in()
    # The public-name form: the session (the pending sign-in), the deployment
    # twice (allauth's form, then the page's wording).
    signup = queries(citizen.client, reverse("socialaccount_signup"))
    citizen.choose_name()
    # « Mon compte »: the session, the user, the linked accounts (the civil
    # identity), their ids and the deployments (the buttons to link others).
    account = queries(citizen.client, reverse("account"))
    assert (signup, account) == (3, 5)


@pytest.mark.parametrize("alg", ["none", "HS256"])
def test_a_token_not_signed_with_the_providers_keys_is_refused(
    alg: str, provider: oidc.Provider, db: None
) -> None:
    """Algorithm confusion: `none`, or an HMAC keyed with the provider's public key."""
    import jwt
    import requests

    from accounts.franceconnect.errors import FranceConnectError
    from accounts.franceconnect.tokens import decode

    # The HMAC key: public material anyone can read (the provider's key, as PEM-less text).
    public = requests.get(f"{provider.issuer}/jwks", timeout=5).json()["keys"][0]["x"]
    claims = {"iss": provider.issuer, "aud": "client-franceconnect", "sub": "x", "exp": 2**31}
    token = jwt.encode(
        claims, None if alg == "none" else public, algorithm=alg, headers={"kid": "es256-key"}
    )
    with pytest.raises(FranceConnectError) as refused:
        decode(
            token,
            jwks_uri=f"{provider.issuer}/jwks",
            issuer=provider.issuer,
            audience="client-franceconnect",
            algorithms=["ES256", "RS256"],
        )
    assert refused.value.code == "signature"
