"""Accounts under attack: a stolen session, guessed passwords, impersonating names, caches.

Each test performs the attack and checks that it is refused and that nothing
was written.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from allauth.usersessions.models import UserSession
from django.contrib.auth.hashers import MD5PasswordHasher
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from tests.conftest import PASSWORD, make_user

NEW_PASSWORD = "un autre mot de passe bien long"  # noqa: S105


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """allauth keeps its rate limits and used TOTP codes in the cache: start clean."""
    cache.clear()


def sign_in(client: Client, email: str, password: str = PASSWORD) -> None:
    """Sign in through allauth's form, as a browser does (so the session is recorded)."""
    response = client.post(reverse("account_login"), {"login": email, "password": password})
    assert response.status_code == 302, response.content.decode()[-2000:]


def reauthenticate(client: Client, password: str = PASSWORD) -> None:
    response = client.post(reverse("account_reauthenticate"), {"password": password})
    assert response.status_code == 302, response.content.decode()[-2000:]


def emails_of(user: User) -> list[tuple[str, bool, bool]]:
    return list(
        EmailAddress.objects.filter(user=user)
        .order_by("email")
        .values_list("email", "primary", "verified")
    )


# --- re-authentication before sensitive changes ----------------------------------


def test_a_stolen_session_cannot_add_an_email_address(
    bob: User, client: Client, mailoutbox: list[EmailMessage]
) -> None:
    client.force_login(bob)  # the thief's copy of the session cookie
    before = emails_of(bob)
    response = client.post(
        reverse("account_email"), {"action_add": "", "email": "voleur@example.net"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert emails_of(bob) == before
    assert mailoutbox == []


def test_a_stolen_session_cannot_make_another_address_primary(bob: User, client: Client) -> None:
    EmailAddress.objects.create(user=bob, email="bob.bis@example.org", verified=True)
    client.force_login(bob)
    before = emails_of(bob)
    response = client.post(
        reverse("account_email"), {"action_primary": "", "email": "bob.bis@example.org"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert emails_of(bob) == before
    bob.refresh_from_db()
    assert bob.email == "bob@example.org"


def test_a_stolen_session_cannot_delete_the_account(bob: User, client: Client) -> None:
    client.force_login(bob)
    response = client.post(reverse("account_delete"), {"confirm": "SUPPRIMER"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    bob.refresh_from_db()
    assert bob.deleted_at is None
    assert bob.is_active
    assert emails_of(bob) == [("bob@example.org", True, True)]


def test_a_stolen_session_cannot_change_the_password_without_the_current_one(
    bob: User, client: Client
) -> None:
    client.force_login(bob)
    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": "je ne le connais pas",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 200
    bob.refresh_from_db()
    assert bob.check_password(PASSWORD)
    assert not bob.check_password(NEW_PASSWORD)


def test_a_wrong_password_does_not_reauthenticate(bob: User, client: Client) -> None:
    client.force_login(bob)
    response = client.post(reverse("account_reauthenticate"), {"password": "faux mot de passe"})
    assert response.status_code == 200
    client.post(reverse("account_delete"), {"confirm": "SUPPRIMER"})
    bob.refresh_from_db()
    assert bob.deleted_at is None


def test_the_owner_types_the_password_again_and_then_adds_an_address(
    bob: User, client: Client, mailoutbox: list[EmailMessage]
) -> None:
    client.force_login(bob)
    reauthenticate(client)
    response = client.post(
        reverse("account_email"), {"action_add": "", "email": "bob.nouveau@example.org"}
    )
    assert response.status_code == 302
    assert ("bob.nouveau@example.org", False, False) in emails_of(bob)
    assert [m.to for m in mailoutbox] == [["bob.nouveau@example.org"]]


def test_a_fresh_totp_code_also_reauthenticates(bob: User, client: Client) -> None:
    secret = generate_totp_secret()
    TOTP.activate(bob, secret)
    client.force_login(bob)
    code = format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD))
    response = client.post(reverse("mfa_reauthenticate"), {"code": code})
    assert response.status_code == 302, response.content.decode()[-2000:]
    response = client.post(reverse("account_delete"), {"confirm": "SUPPRIMER"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    bob.refresh_from_db()
    assert bob.deleted_at is not None


def test_reauthentication_expires_after_five_minutes(bob: User, client: Client) -> None:
    client.force_login(bob)
    reauthenticate(client)
    with time_machine.travel(timezone.now() + timedelta(minutes=6), tick=False):
        response = client.post(reverse("account_delete"), {"confirm": "SUPPRIMER"})
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    bob.refresh_from_db()
    assert bob.deleted_at is None


# --- sessions ----------------------------------------------------------------------


def test_staff_sessions_end_after_thirty_idle_minutes(olga: User, client: Client) -> None:
    client.force_login(olga)
    assert client.get(reverse("account")).status_code == 200
    assert client.session.get_expiry_age() == 30 * 60
    with time_machine.travel(timezone.now() + timedelta(minutes=20), tick=False):
        assert client.get(reverse("account")).status_code == 200  # activity pushes it on
    with time_machine.travel(timezone.now() + timedelta(minutes=49), tick=False):
        assert client.get(reverse("account")).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=80), tick=False):
        response = client.get(reverse("account"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_citizens_keep_their_session_for_two_weeks(bob: User, client: Client) -> None:
    client.force_login(bob)
    assert client.get(reverse("account")).status_code == 200
    assert client.session.get_expiry_age() == 14 * 24 * 3600
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        assert client.get(reverse("account")).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=15), tick=False):
        assert client.get(reverse("account")).status_code == 302


def test_the_account_page_links_the_sessions_page_which_signs_out_other_devices(
    bob: User, db: None
) -> None:
    laptop, phone = Client(HTTP_USER_AGENT="Portable"), Client(HTTP_USER_AGENT="Téléphone")
    sign_in(laptop, "bob@example.org")
    sign_in(phone, "bob@example.org")
    assert UserSession.objects.filter(user=bob).count() == 2
    account = laptop.get(reverse("account")).content.decode()
    assert f'href="{reverse("usersessions_list")}"' in account
    page = laptop.get(reverse("usersessions_list")).content.decode()
    assert "Portable" in page and "Téléphone" in page
    assert laptop.post(reverse("usersessions_list")).status_code == 302
    assert phone.get(reverse("account")).status_code == 302  # signed out
    assert laptop.get(reverse("account")).status_code == 200  # still in
    assert UserSession.objects.filter(user=bob).count() == 1


@pytest.fixture
def superuser_client(client: Client, settings: object, db: None) -> Client:
    settings.STAFF_REQUIRE_2FA = False  # type: ignore[attr-defined]
    client.force_login(User.objects.create_superuser("sabine", "sabine@example.org", PASSWORD))
    return client


def test_an_admin_action_ends_every_session_of_a_user(
    bob: User, alice: User, superuser_client: Client
) -> None:
    bobs = Client()
    alices = Client()
    sign_in(bobs, "bob@example.org")
    sign_in(alices, "alice@example.org")
    response = superuser_client.post(
        "/admin/accounts/user/", {"action": "end_sessions", "_selected_action": [bob.pk]}
    )
    assert response.status_code == 302
    assert bobs.get(reverse("account")).status_code == 302
    assert alices.get(reverse("account")).status_code == 200
    assert not UserSession.objects.filter(user=bob).exists()


def test_a_moderator_cannot_sign_out_a_superuser(
    bob: User, settings: object, client: Client
) -> None:
    settings.STAFF_REQUIRE_2FA = False  # type: ignore[attr-defined]
    moderator = make_user("martin", "Martin Modérateur", is_staff=True)
    moderator.groups.add(Group.objects.get(name="Modérateurs"))
    boss = make_user("sabine", "Sabine Admin", is_staff=True, is_superuser=True)
    boss_client = Client()
    sign_in(boss_client, "sabine@example.org")
    client.force_login(moderator)
    client.post("/admin/accounts/user/", {"action": "end_sessions", "_selected_action": [boss.pk]})
    assert UserSession.objects.filter(user=boss).count() == 1
    assert boss_client.get(reverse("account")).status_code == 200


# --- signup gives nothing away ---------------------------------------------------


def test_signup_hashes_the_password_whether_or_not_the_email_has_an_account(
    bob: User, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """0.10 s for a taken email against 1.9 s for a new one told which addresses exist."""
    calls: list[str] = []
    encode = MD5PasswordHasher.encode

    def counting(self: MD5PasswordHasher, password: str, salt: str) -> str:
        calls.append(password)
        return encode(self, password, salt)

    monkeypatch.setattr(MD5PasswordHasher, "encode", counting)
    answers = []
    for email in ("bob@example.org", "nouvelle@example.org"):
        calls.clear()
        response = client.post(
            reverse("account_signup"),
            {
                "email": email,
                "password1": NEW_PASSWORD,
                "password2": NEW_PASSWORD,
                "display_name": "Quelqu'un",
            },
        )
        answers.append((response.status_code, response["Location"], calls.copy()))
    taken, new = answers
    assert taken == new == (302, reverse("account_email_verification_sent"), [NEW_PASSWORD])
    bob.refresh_from_db()
    assert bob.check_password(PASSWORD)  # the taken account is untouched
    assert User.objects.filter(email="bob@example.org").count() == 1


# --- password policy ---------------------------------------------------------------


def signup(client: Client, password: str, email: str = "chloe@example.org") -> str:
    response = client.post(
        reverse("account_signup"),
        {"email": email, "password1": password, "password2": password, "display_name": "Chloé"},
    )
    assert response.status_code == 200
    return response.content.decode()


TOO_COMMON_FR = "Ce mot de passe est trop courant"
TOO_SHORT_FR = "Il doit contenir au minimum 12 caractères."


@pytest.mark.parametrize("password", ["soleil123", "motdepasse", "Azerty12"])
def test_short_common_passwords_are_refused_for_both_reasons(
    client: Client, db: None, password: str
) -> None:
    page = signup(client, password)
    assert TOO_SHORT_FR in page
    assert TOO_COMMON_FR in page
    assert not User.objects.filter(email="chloe@example.org").exists()


@pytest.mark.parametrize(
    "password",
    ["soleil123456", "Motdepasse2024!", "M0tDeP4sse!!!!", "mot de passe 2025", "123azerty456"],
)
def test_a_common_password_lengthened_with_digits_or_symbols_is_still_refused(
    client: Client, db: None, password: str
) -> None:
    page = signup(client, password)
    assert TOO_COMMON_FR in page
    assert TOO_SHORT_FR not in page
    assert not User.objects.filter(email="chloe@example.org").exists()


def test_the_refusal_is_explained_in_english_too(client: Client, db: None) -> None:
    with translation.override("en"):
        response = client.post(
            "/comptes/signup/",
            {
                "email": "chloe@example.org",
                "password1": "soleil123456",
                "password2": "soleil123456",
                "display_name": "Chloé",
            },
            HTTP_ACCEPT_LANGUAGE="en",
        )
    page = response.content.decode()
    assert "This password is too common" in page
    assert not User.objects.filter(email="chloe@example.org").exists()


def test_a_long_passphrase_is_accepted(client: Client, db: None) -> None:
    response = client.post(
        reverse("account_signup"),
        {
            "email": "chloe@example.org",
            "password1": "le chat dort sur le radiateur",
            "password2": "le chat dort sur le radiateur",
            "display_name": "Chloé",
        },
    )
    assert response.status_code == 302
    assert User.objects.filter(email="chloe@example.org").exists()


# --- account pages are never stored by a cache -------------------------------------


def test_the_account_pages_send_no_store(bob: User, client: Client) -> None:
    client.force_login(bob)
    for name in (
        "account",
        "account_data",
        "account_delete",
        "account_email",
        "account_change_password",
        "usersessions_list",
        "mfa_index",
        "mfa_activate_totp",
        "account_reauthenticate",
    ):
        response = client.get(reverse(name))
        assert response.status_code in {200, 302}, name
        assert response["Cache-Control"] == "no-store, private", name
    public = client.get(f"/profils/{bob.pk}/")
    assert "no-store" not in public.get("Cache-Control", "")


# --- display names -----------------------------------------------------------------

IMPERSONATIONS = [
    "Compte supprimé",
    "compte  SUPPRIME",
    "C o m p t e supprimé",
    "Modération",
    "moderation",
    "Équipe Modération",
    "Organisateurs",
    "ADMINISTRATION",
    "Deleted account",
]
INVISIBLE = [
    "Alice\u202eecilA",  # right-to-left override
    "Bob\u200b",  # zero-width space
    "\u200d\u200d",  # zero-width joiners only
    "Eve\u0007",  # a control character
    "\u3164",  # Hangul filler: a "letter" that draws nothing
]
NO_LETTER = ["1234", "...", "- -", "🙂🙂"]
REFUSALS = {
    "reserved": "est un nom que la plateforme utilise elle-même",
    "invisible": "caractères de contrôle ou invisibles",
    "no_letter": "doit contenir au moins une lettre",
}
CASES = (
    [(name, "reserved") for name in IMPERSONATIONS]
    + [(name, "invisible") for name in INVISIBLE]
    + [(name, "no_letter") for name in NO_LETTER]
)


@pytest.mark.parametrize(("name", "why"), CASES)
def test_signup_refuses_a_misleading_display_name(
    client: Client, db: None, name: str, why: str
) -> None:
    response = client.post(
        reverse("account_signup"),
        {
            "email": "mallory@example.net",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "display_name": name,
        },
    )
    assert response.status_code == 200
    assert REFUSALS[why] in response.content.decode()
    assert not User.objects.filter(email="mallory@example.net").exists()


@pytest.mark.parametrize(("name", "why"), CASES)
def test_the_account_page_refuses_a_misleading_display_name(
    bob: User, client: Client, name: str, why: str
) -> None:
    client.force_login(bob)
    response = client.post(reverse("account"), {"display_name": name, "language": "fr"})
    assert response.status_code == 400
    assert REFUSALS[why] in response.content.decode()
    bob.refresh_from_db()
    assert bob.display_name == "Bob Durand"


def test_the_refusal_of_a_display_name_is_explained_in_english(bob: User, client: Client) -> None:
    client.force_login(bob)
    client.post(reverse("set_language"), {"language": "en"})
    response = client.post(reverse("account"), {"display_name": "Modération", "language": "en"})
    assert response.status_code == 400
    assert "is a name the platform uses itself" in response.content.decode()


@pytest.mark.parametrize("name", ["Zoé Ørsted", "Jean-Baptiste", "李小龍", "Association Vélo 21"])
def test_ordinary_names_are_accepted(bob: User, client: Client, name: str) -> None:
    client.force_login(bob)
    assert (
        client.post(reverse("account"), {"display_name": name, "language": "fr"}).status_code == 302
    )
    bob.refresh_from_db()
    assert bob.display_name == name


# --- what is logged ----------------------------------------------------------------


def test_a_failed_sign_in_is_logged_without_the_password_or_the_typed_login(
    bob: User, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("INFO", logger="accounts.security"):
        client.post(
            reverse("account_login"),
            {"login": "bob@example.org", "password": "devine-moi-si-tu-peux"},
            REMOTE_ADDR="203.0.113.9",
        )
        sign_in(client, "bob@example.org")
    messages = [record.getMessage() for record in caplog.records]
    assert f"sign-in failed: account={bob.pk} client=203.0.113.9" in messages
    assert f"signed in: account={bob.pk} client=127.0.0.1" in messages
    logged = " ".join(messages)
    assert "devine-moi" not in logged
    assert "bob@example.org" not in logged
