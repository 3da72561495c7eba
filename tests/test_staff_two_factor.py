"""Staff reach the admin only with two-factor authentication (TOTP), through allauth's sign-in."""

from __future__ import annotations

import time

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.conftest import PASSWORD, make_user

TWO_FACTOR_MESSAGE = "L&#x27;administration demande l&#x27;authentification à deux facteurs"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Start with an empty cache: allauth keeps its rate limits and used TOTP codes there."""
    cache.clear()


@pytest.fixture
def sabine(db: None) -> User:
    """Sabine administers the platform: a superuser with a confirmed email."""
    return make_user("sabine", "Sabine Admin", is_staff=True, is_superuser=True)


def with_totp(user: User) -> str:
    """Give `user` a TOTP authenticator; return its secret."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def current_code(secret: str) -> str:
    """Return the code an authenticator app would show now."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD))


def signed_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def test_staff_without_totp_are_sent_to_set_it_up(olga: User, client: Client) -> None:
    client.force_login(olga)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    assert reverse("mfa_activate_totp") == "/comptes/2fa/totp/activate/"
    # The message waits for the next page shown.
    shown = client.get(reverse("account_email")).content.decode()
    assert TWO_FACTOR_MESSAGE in shown


def test_every_admin_page_is_guarded_not_only_the_index(sabine: User, client: Client) -> None:
    client.force_login(sabine)
    for url in ("/admin/accounts/user/", f"/admin/accounts/user/{sabine.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == reverse("mfa_activate_totp"), url
    response = client.post(
        "/admin/accounts/user/", {"action": "verify_identity", "_selected_action": [sabine.pk]}
    )
    assert response.status_code == 302
    sabine.refresh_from_db()
    assert not sabine.is_verified


def test_staff_without_totp_still_use_the_rest_of_the_site(olga: User, client: Client) -> None:
    client.force_login(olga)
    assert client.get("/").status_code == 200
    assert client.get("/compte/").status_code == 200


def test_a_superuser_with_totp_reaches_the_admin(sabine: User, client: Client) -> None:
    with_totp(sabine)
    client.force_login(sabine)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/accounts/user/").status_code == 200


def test_recovery_codes_alone_do_not_open_the_admin(sabine: User, client: Client) -> None:
    Authenticator.objects.create(
        user=sabine, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "00", "used_mask": 0}
    )
    client.force_login(sabine)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_a_citizen_is_not_asked_for_two_factor(bob: User, client: Client) -> None:
    client.force_login(bob)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/"
    # allauth's admin login refuses a signed-in non-staff account.
    assert client.get("/admin/login/?next=/admin/").status_code == 403


def test_staff_reach_the_admin_without_totp_when_the_rule_is_off(
    sabine: User, client: Client, settings: object
) -> None:
    settings.STAFF_REQUIRE_2FA = False  # type: ignore[attr-defined]
    client.force_login(sabine)
    assert client.get("/admin/").status_code == 200


def test_the_admin_login_goes_through_allauth(client: Client, db: None) -> None:
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/"
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/comptes/login/?next=%2Fadmin%2F"
    response = client.get("/admin/login/")
    assert response.status_code == 302
    assert response["Location"] == "/comptes/login/?next=%2Fadmin%2Flogin%2F"


def test_staff_with_totp_sign_in_with_their_code_and_reach_the_admin(
    sabine: User, client: Client
) -> None:
    secret = with_totp(sabine)
    response = client.post(
        "/comptes/login/?next=/admin/", {"login": "sabine@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert reverse("mfa_authenticate") == "/comptes/2fa/authenticate/"
    assert signed_in_user_id(client) is None
    assert client.get("/comptes/2fa/authenticate/").status_code == 200

    response = client.post("/comptes/2fa/authenticate/", {"code": current_code(secret)})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert signed_in_user_id(client) == str(sabine.pk)
    assert client.get("/admin/").status_code == 200


def test_a_wrong_code_does_not_sign_staff_in(sabine: User, client: Client) -> None:
    secret = with_totp(sabine)
    client.post("/comptes/login/", {"login": "sabine@example.org", "password": PASSWORD})
    wrong = f"{(int(current_code(secret)) + 1) % 10**6:06d}"
    response = client.post("/comptes/2fa/authenticate/", {"code": wrong})
    assert response.status_code == 200
    assert signed_in_user_id(client) is None
    assert client.get("/admin/").status_code == 302


def test_a_code_serves_once(sabine: User, client: Client) -> None:
    secret = with_totp(sabine)
    client.post("/comptes/login/", {"login": "sabine@example.org", "password": PASSWORD})
    code = current_code(secret)
    client.post("/comptes/2fa/authenticate/", {"code": code})
    assert signed_in_user_id(client) == str(sabine.pk)

    again = Client()
    again.post("/comptes/login/", {"login": "sabine@example.org", "password": PASSWORD})
    response = again.post("/comptes/2fa/authenticate/", {"code": code})
    assert response.status_code == 200
    assert signed_in_user_id(again) is None


def test_a_citizen_signs_in_without_a_code(bob: User, client: Client) -> None:
    response = client.post("/comptes/login/", {"login": "bob@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_user_id(client) == str(bob.pk)


def test_the_rule_holds_when_the_site_is_served_under_a_prefix(
    sabine: User, client: Client
) -> None:
    client.force_login(sabine)
    response = client.get("/admin/", SCRIPT_NAME="/consultation")
    assert response.status_code == 302
    assert response["Location"].endswith("/comptes/2fa/totp/activate/")
