"""FranceConnect in Chromium, against a real OpenID provider (tests/oidc): the journeys a citizen
takes, the refusals, and axe on the new pages in French and English.

The provider is the certified `oidc-provider` package configured like
FranceConnect v2, on a free 127.0.0.1 port, with the live server's callback
and post-logout URLs registered.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse, urlunparse

import pytest
from allauth.socialaccount.models import SocialAccount
from django.core.cache import cache
from playwright.sync_api import expect

from accounts.franceconnect import conf
from accounts.franceconnect.models import IdentityVerification
from accounts.models import User
from tests import oidc
from tests.browser.conftest import assert_accessible, new_page
from tests.browser.helpers import screenshot_path
from tests.browser.test_html_validity import validate
from tests.conftest import make_user

BUTTON = "S’identifier avec FranceConnect"
WHAT_IS = "Qu’est-ce que FranceConnect ?"


@pytest.fixture(scope="module")
def provider(live_server: Any) -> Iterator[oidc.Provider]:
    with oidc.running([live_server.url]) as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


@pytest.fixture
def configure(settings: Any, provider: oidc.Provider, transactional_db: None) -> Any:
    def apply(*apps: dict[str, Any]) -> None:
        settings.SOCIALACCOUNT_PROVIDERS = conf.providers_setting(list(apps))

    apply(provider.app("franceconnect"))
    return apply


def assert_nothing_created() -> None:
    assert not User.objects.exists()
    assert not SocialAccount.objects.exists()
    assert not IdentityVerification.objects.exists()


def log_in_at_provider(page: Any, provider: oidc.Provider, username: str) -> None:
    expect(page).to_have_url(re.compile(rf"^{re.escape(provider.issuer)}/interaction/"))
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(oidc.ACCOUNTS[username]["password"])
    page.get_by_role("button", name="Se connecter").click()


def click_franceconnect(page: Any, base: str) -> None:
    page.goto(f"{base}/comptes/login/")
    page.locator(".fr-connect").click()


def test_a_citizen_signs_in_chooses_a_name_is_verified_and_signs_out(
    configure: Any, provider: oidc.Provider, page: Any, live_server: Any
) -> None:
    base = live_server.url
    page.goto(f"{base}/comptes/login/")
    expect(page.get_by_role("button", name=BUTTON, exact=True)).to_be_visible()
    what_is = page.get_by_role("link", name=WHAT_IS)
    expect(what_is).to_have_attribute("href", "https://franceconnect.gouv.fr/")
    expect(what_is).to_have_attribute("target", "_blank")
    expect(what_is).to_have_attribute("title", f"{WHAT_IS} - nouvelle fenêtre")
    # The button is drawn by the local stylesheet: its logo is the local SVG.
    logo = page.locator(".fr-connect").evaluate(
        "b => getComputedStyle(b, '::before').backgroundImage"
    )
    assert f"{base}/static/franceconnect/franceconnect-logo.svg" in logo
    page.screenshot(path=str(screenshot_path("franceconnect-sign-in.png")))

    page.get_by_role("button", name=BUTTON, exact=True).click()
    log_in_at_provider(page, provider, "angela")

    expect(page).to_have_url(f"{base}/comptes/3rdparty/signup/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Choisissez votre nom public")
    assert "DUBOIS" not in page.content()
    name = page.get_by_label(re.compile(r"^Nom public"))
    expect(name).to_have_value("Angela D.")
    assert not User.objects.exists()  # nothing before the name is chosen
    name.fill("Angela D.")
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.get_by_role("link", name=re.compile(r"^Mon compte"))).to_be_visible()

    angela = User.objects.get()
    assert angela.display_name == "Angela D."
    page.goto(f"{base}/profils/{angela.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Angela D.")
    expect(page.get_by_role("link", name="Compte vérifié")).to_be_visible()
    expect(page.get_by_text(re.compile(r"vérifié par FranceConnect le \d"))).to_be_visible()
    assert "DUBOIS" not in page.content()

    page.goto(f"{base}/compte/")
    expect(page.get_by_role("heading", name="Identité vérifiée (privée)")).to_be_visible()
    expect(page.get_by_text("DUBOIS", exact=True)).to_be_visible()

    # Signing out signs out of FranceConnect too (the provider's page submits itself).
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(f"{base}/")
    expect(page.get_by_text("Vous êtes aussi déconnecté de FranceConnect.")).to_be_visible()

    # The next person at this computer is asked for credentials, not signed in as Angela.
    click_franceconnect(page, base)
    expect(page).to_have_url(re.compile(rf"^{re.escape(provider.issuer)}/interaction/"))
    expect(page.get_by_label("Mot de passe")).to_be_visible()


def test_cancelling_at_franceconnect_explains_and_offers_a_way_back(
    configure: Any, provider: oidc.Provider, page: Any, live_server: Any
) -> None:
    click_franceconnect(page, live_server.url)
    page.get_by_role("button", name="Annuler et revenir au service").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Connexion avec FranceConnect annulée"
    )
    expect(page.get_by_text("Vous avez annulé la connexion avec FranceConnect.")).to_be_visible()
    expect(page.get_by_role("button", name=BUTTON, exact=True)).to_be_visible()
    expect(
        page.get_by_role(
            "link", name="Se connecter avec une adresse électronique et un mot de passe"
        )
    ).to_be_visible()
    assert_nothing_created()


def _tamper_nonce(page: Any, base: str) -> None:
    """Change the nonce on the way to the provider (our redirect's Location), as an attacker
    injecting an authorization request of their own would."""

    def tamper(route: Any) -> None:
        response = route.fetch(max_redirects=0)
        url = urlparse(response.headers["location"])
        query = parse_qs(url.query) | {"nonce": ["not-the-nonce-this-browser-sent"]}
        location = urlunparse(url._replace(query=urlencode(query, doseq=True)))
        route.fulfill(response=response, headers=response.headers | {"location": location})

    page.route(
        re.compile(rf"^{re.escape(base)}/comptes/franceconnect/[^/]+/login/(\?.*)?$"), tamper
    )


@pytest.mark.parametrize(
    ("attack", "status_text"),
    [
        ("nonce", "nonce invalide"),
        ("acr", "Niveau de garantie insuffisant"),
        ("signature", "La signature de la réponse de FranceConnect n’a pas pu être vérifiée"),
    ],
)
def test_a_forged_or_insufficient_answer_is_refused_and_creates_nothing(
    attack: str,
    status_text: str,
    configure: Any,
    provider: oidc.Provider,
    page: Any,
    live_server: Any,
) -> None:
    username = "angela"
    if attack == "nonce":
        _tamper_nonce(page, live_server.url)
    elif attack == "acr":
        # FranceConnect+ (eidas2) with an account that reaches eidas1 only.
        configure(provider.app("franceconnect-plus"))
        username = "basile"
    elif attack == "signature":
        wrong = {"jwks_uri": f"{provider.issuer}/test/wrong-jwks"}
        configure(provider.app("franceconnect", openid_configuration_overrides=wrong))
    click_franceconnect(page, live_server.url)
    log_in_at_provider(page, provider, username)
    expect(page.locator("#franceconnect-error")).to_be_visible()
    expect(page.locator("#franceconnect-error")).to_have_attribute("data-code", attack)
    text = page.locator("#franceconnect-error").inner_text().replace("'", "’")
    heading = page.get_by_role("heading", level=1).inner_text()
    assert status_text.replace("'", "’") in f"{heading} {text}".replace("'", "’")
    assert_nothing_created()


def test_a_replayed_callback_is_refused_and_creates_nothing(
    configure: Any, provider: oidc.Provider, page: Any, live_server: Any
) -> None:
    callbacks: list[str] = []
    page.on(
        "request",
        lambda request: (
            callbacks.append(request.url) if "/login/callback/?" in request.url else None
        ),
    )
    click_franceconnect(page, live_server.url)
    log_in_at_provider(page, provider, "angela")
    expect(page.get_by_role("heading", level=1)).to_have_text("Choisissez votre nom public")
    [callback] = callbacks
    page.goto(callback)
    expect(page.locator("#franceconnect-error")).to_have_attribute("data-code", "state")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Cette réponse de FranceConnect n’est plus valable".replace("’", "'")
    )
    assert_nothing_created()


def test_an_email_that_has_an_account_gets_a_way_forward(
    configure: Any, provider: oidc.Provider, page: Any, live_server: Any
) -> None:
    make_user("bob", "Bob Durand")
    click_franceconnect(page, live_server.url)
    log_in_at_provider(page, provider, "bob")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Un compte existe déjà avec cette adresse"
    )
    page.get_by_role(
        "link", name="Connectez-vous avec votre adresse électronique et votre mot de passe"
    ).click()
    expect(page).to_have_url(re.compile(r"/comptes/login/\?next=/compte/$"))
    assert User.objects.count() == 1 and not SocialAccount.objects.exists()


# Accessibility of the new pages, in French and English


LOCALES = {"fr-FR": "fr", "en-US": "en"}


@pytest.fixture
def localized(
    browser: Any, request: pytest.FixtureRequest, live_server: Any, tmp_path: Path
) -> Any:
    """A page in `locale`; every document our site serves it is then checked by the Nu
    HTML checker (tests/browser/test_html_validity.py)."""
    opened: list[Iterator[Any]] = []
    documents: list[Any] = []

    def keep(response: Any) -> None:
        if (
            response.request.resource_type == "document"
            and response.url.startswith(live_server.url)
            and response.status != 302
        ):
            documents.append((response.url, response.text()))

    def open_page(locale: str) -> Any:
        pages = new_page(browser, request, locale=locale)
        opened.append(pages)
        page = next(pages)
        page.on("response", keep)
        return page

    yield open_page
    files = []
    for number, (url, html) in enumerate(documents):
        path = tmp_path / f"{number}-{urlparse(url).path.strip('/').replace('/', '-')}.html"
        path.write_text(html, encoding="utf-8")
        files.append(path)
    for pages in opened:
        next(pages, None)
    assert files, "no page of the site was checked"
    errors = validate(files)
    assert not errors, f"invalid HTML ({len(errors)} errors):\n" + "\n".join(errors)


@pytest.mark.parametrize("locale", list(LOCALES))
def test_the_franceconnect_pages_are_accessible(
    locale: str, configure: Any, provider: oidc.Provider, localized: Any, live_server: Any
) -> None:
    base = live_server.url
    page = localized(locale)
    english = LOCALES[locale] == "en"
    button = "Sign in with FranceConnect" if english else BUTTON

    page.goto(f"{base}/comptes/login/")
    assert page.evaluate("document.documentElement.lang") == LOCALES[locale]
    expect(page.get_by_role("button", name=button, exact=True)).to_be_visible()
    assert_accessible(page, f"sign-in page with FranceConnect ({locale})")

    page.get_by_role("button", name=button, exact=True).click()
    page.get_by_role("button", name="Annuler et revenir au service").click()
    expect(page.locator("#franceconnect-error")).to_have_attribute("data-code", "cancelled")
    if english:
        expect(page.get_by_text("You cancelled signing in with FranceConnect.")).to_be_visible()
    assert_accessible(page, f"cancelled at FranceConnect ({locale})")

    page.get_by_role("button", name=button, exact=True).click()
    log_in_at_provider(page, provider, "angela")
    heading = "Choose your public name" if english else "Choisissez votre nom public"
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert_accessible(page, f"public name ({locale})")
    page.get_by_role("button", name="Create my account" if english else "Créer mon compte").click()
    expect(page.get_by_role("link", name=re.compile(r"^(My account|Mon compte)"))).to_be_visible()

    page.goto(f"{base}/compte/")
    heading = "Verified identity (private)" if english else "Identité vérifiée (privée)"
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    assert_accessible(page, f"account page with the civil identity ({locale})")
    page.goto(f"{base}/profils/{User.objects.get().pk}/")
    assert_accessible(page, f"profile verified by FranceConnect ({locale})")


@pytest.mark.parametrize("locale", list(LOCALES))
def test_the_email_taken_and_link_pages_are_accessible(
    locale: str, configure: Any, provider: oidc.Provider, localized: Any, live_server: Any
) -> None:
    page = localized(locale)
    make_user("bob", "Bob Durand")
    page.goto(f"{live_server.url}/comptes/login/")
    page.locator(".fr-connect").click()
    log_in_at_provider(page, provider, "bob")
    expect(page.locator("#franceconnect-error")).to_have_attribute("data-code", "email_taken")
    assert_accessible(page, f"email already has an account ({locale})")
