"""Accounts: signup with email confirmation, profiles, the account page, data, deletion.

Also the « Compte vérifié » badge granted in the admin, and consultations
reserved to verified accounts.
"""

from __future__ import annotations

import io
import json
import re
from urllib.parse import urlparse

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.core.management import call_command
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import dateformat, translation
from django.utils.timezone import localtime
from pytest_django import DjangoAssertNumQueries

from accounts.models import User, VerificationMethod
from debates import actions
from debates.models import Consultation, Contribution, Proposal, Stance, Vote, VoteValue
from tests.conftest import PASSWORD, make_user, proposal_of

CHLOE_EMAIL = "chloe@example.org"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Start with an empty cache: allauth keeps its rate limits and used TOTP codes there."""
    cache.clear()


def visible(html: str) -> str:
    """Return the text of a page with tags removed and spaces collapsed."""
    text = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    return re.sub(r"\s+", " ", text.replace("&nbsp;", " "))


def argument_url(consultation: Consultation) -> str:
    return f"{proposal_of(consultation).get_page_url()}arguments/"


def post_argument(
    client: Client, consultation: Consultation, body: str = "Un argument"
) -> HttpResponse:
    return client.post(argument_url(consultation), {"stance": "for", "body": body})


def confirmation_path(message: EmailMessage) -> str:
    """Return the path of the confirmation link sent in an email."""
    found = re.search(r"https?://\S+/comptes/confirm-email/\S+/", message.body)
    assert found, message.body
    return urlparse(found.group(0)).path


def sign_in(client: Client, email: str, password: str = PASSWORD) -> HttpResponse:
    return client.post(reverse("account_login"), {"login": email, "password": password})


def signed_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def reauthenticate(client: Client, password: str = PASSWORD) -> None:
    """Type the password again, as allauth asks before a sensitive change."""
    response = client.post(reverse("account_reauthenticate"), {"password": password})
    assert response.status_code == 302, response.content.decode()


# Signup and email confirmation


def test_a_visitor_signs_up_confirms_the_email_and_then_posts(
    open_consultation: Consultation, client: Client, mailoutbox: list[EmailMessage]
) -> None:
    response = client.post(
        reverse("account_signup"),
        {
            "email": CHLOE_EMAIL,
            "password1": PASSWORD,
            "password2": PASSWORD,
            "display_name": "Chloé Petit",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    chloe = User.objects.get(email=CHLOE_EMAIL)
    assert chloe.display_name == "Chloé Petit"
    assert not EmailAddress.objects.get(user=chloe).verified
    assert signed_in_user_id(client) is None

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [CHLOE_EMAIL]
    assert "Confirmez votre adresse e-mail" in message.subject
    link = confirmation_path(message)

    # Confirmation is mandatory: signing in before it only says an email was sent.
    response = sign_in(client, CHLOE_EMAIL)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert signed_in_user_id(client) is None

    page = client.get(link)
    assert page.status_code == 200
    assert CHLOE_EMAIL in page.content.decode()
    assert not EmailAddress.objects.get(user=chloe).verified

    response = client.post(link)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=chloe).verified

    browser = Client()
    response = sign_in(browser, CHLOE_EMAIL)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_user_id(browser) == str(chloe.pk)

    response = post_argument(browser, open_consultation, "Mon premier argument")
    assert response.status_code == 302
    assert response["Location"].startswith("/contributions/")
    assert Contribution.objects.filter(author=chloe, kind="argument").count() == 1


def sign_up(client: Client, email: str = CHLOE_EMAIL) -> None:
    response = client.post(
        reverse("account_signup"),
        {"email": email, "password1": PASSWORD, "password2": PASSWORD, "display_name": "Chloé"},
    )
    assert response.status_code == 302


def test_confirming_the_email_in_the_browser_that_signed_up_signs_in(
    open_consultation: Consultation, client: Client, mailoutbox: list[EmailMessage]
) -> None:
    sign_up(client)
    assert signed_in_user_id(client) is None
    response = client.post(confirmation_path(mailoutbox[0]))
    chloe = User.objects.get(email=CHLOE_EMAIL)
    assert EmailAddress.objects.get(user=chloe).verified
    assert signed_in_user_id(client) == str(chloe.pk)
    assert response.status_code == 302 and response["Location"] == "/"
    # Signed in for real: she can post at once, without typing her password again.
    assert post_argument(client, open_consultation).status_code == 302
    assert Contribution.objects.filter(author=chloe).count() == 1


def test_a_confirmation_link_opened_in_another_browser_confirms_but_asks_to_sign_in(
    client: Client, db: None, mailoutbox: list[EmailMessage]
) -> None:
    sign_up(client)
    elsewhere = Client()
    response = elsewhere.post(confirmation_path(mailoutbox[0]))
    chloe = User.objects.get(email=CHLOE_EMAIL)
    assert EmailAddress.objects.get(user=chloe).verified
    # A forwarded or leaked link never opens a session on its own.
    assert signed_in_user_id(elsewhere) is None
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    assert sign_in(elsewhere, CHLOE_EMAIL)["Location"] == "/"
    assert signed_in_user_id(elsewhere) == str(chloe.pk)


def test_createsuperuser_s_account_can_sign_in_without_confirming_its_email(
    client: Client, db: None, monkeypatch: pytest.MonkeyPatch, mailoutbox: list[EmailMessage]
) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command(
        "createsuperuser",
        interactive=False,
        username="admin",
        email="admin@example.org",
        stdout=io.StringIO(),
    )
    admin = User.objects.get(username="admin")
    address = EmailAddress.objects.get(user=admin)
    assert (address.email, address.verified, address.primary) == ("admin@example.org", True, True)
    response = sign_in(client, "admin@example.org")
    assert response.status_code == 302
    assert response["Location"] != reverse("account_email_verification_sent")
    assert signed_in_user_id(client) == str(admin.pk)
    assert mailoutbox == []


def test_an_ordinary_account_created_in_code_gets_no_confirmed_address(db: None) -> None:
    user = User.objects.create_user("dora", "dora@example.org", PASSWORD)
    assert not EmailAddress.objects.filter(user=user).exists()


def test_signup_asks_for_a_display_name(client: Client, db: None) -> None:
    response = client.post(
        reverse("account_signup"),
        {"email": CHLOE_EMAIL, "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 200
    assert "Ce champ est obligatoire." in response.content.decode()
    assert not User.objects.filter(email=CHLOE_EMAIL).exists()


def test_a_signed_in_user_with_an_unconfirmed_email_is_refused_posting(
    open_consultation: Consultation, client: Client
) -> None:
    chloe = make_user("chloe", "Chloé Petit", confirmed=False)
    client.force_login(chloe)
    before = Contribution.objects.count()
    response = post_argument(client, open_consultation)
    assert response.status_code == 403
    assert "Confirmez votre adresse électronique" in response.content.decode()
    assert Contribution.objects.count() == before


# Public profile


def test_the_profile_of_a_verified_account_says_when_and_how(
    open_consultation: Consultation, vera: User, client: Client
) -> None:
    proposal = proposal_of(open_consultation)
    argument = actions.post_argument(proposal=proposal, author=vera, stance=Stance.FOR, body="x")
    source = actions.post_source(
        proposal=proposal, author=vera, title="Rapport Cour des comptes", url="https://ex.org"
    )
    html = client.get(f"/profils/{vera.pk}/").content.decode()
    text = visible(html)
    assert "<h1>Vera Vérifiée</h1>" in html
    assert 'href="/comptes-verifies/"' in html
    assert vera.verified_at is not None
    local = localtime(vera.verified_at)
    with translation.override("fr"):
        shown = dateformat.format(local, "j F Y H:i")
    assert f'le <time datetime="{local.isoformat(timespec="minutes")}">{shown}</time>' in html
    assert f"Compte vérifié le {shown} (Identité vérifiée)" in text
    assert "2 contributions" in text
    assert f'href="/contributions/{argument.number}/"' in html
    assert f'href="/contributions/{source.number}/"' in html
    assert "Argument pour : Une proposition" in text
    assert f"#{source.number} Rapport Cour des comptes" in text


def test_the_profile_of_an_unverified_account_has_no_badge(bob: User, client: Client) -> None:
    text = visible(client.get(f"/profils/{bob.pk}/").content.decode())
    assert "Bob Durand" in text
    assert "Compte vérifié" not in text
    assert "Aucune contribution." in text


def test_a_profile_without_contributions_says_zero_in_the_singular(
    bob: User, client: Client
) -> None:
    assert "0 contribution " in visible(client.get(f"/profils/{bob.pk}/").content.decode())


def contribute(author: User, proposal: Proposal, count: int) -> list[int]:
    """Post `count` contributions by `author`, cycling proposal, argument and source."""
    numbers = []
    for i in range(count):
        if i % 3 == 0:
            made: Contribution = actions.post_proposal(
                debate=proposal.debate, author=author, title=f"Proposition {i}", body="x"
            )
        elif i % 3 == 1:
            made = actions.post_argument(
                proposal=proposal, author=author, stance=Stance.AGAINST, body="x"
            )
        else:
            made = actions.post_source(
                proposal=proposal, author=author, title=f"Source {i}", url="https://ex.org"
            )
        numbers.append(made.number)
    return numbers


@pytest.mark.parametrize("count", [3, 40])
def test_the_profile_runs_a_fixed_number_of_queries(
    open_consultation: Consultation,
    bob: User,
    client: Client,
    django_assert_num_queries: DjangoAssertNumQueries,
    count: int,
) -> None:
    numbers = contribute(bob, proposal_of(open_consultation), count)
    # 1. the user (with verified_by), 2. the count for the paginator,
    # 3. one page of contributions with their proposal, debate and consultation.
    with django_assert_num_queries(3):
        html = client.get(f"/profils/{bob.pk}/").content.decode()
    shown = [int(n) for n in re.findall(r'href="/contributions/(\d+)/"', html)]
    assert shown == sorted(numbers, reverse=True)[:30]
    assert f"{count} contributions" in visible(html)


# The account page


def test_the_account_page_requires_signing_in(client: Client, db: None) -> None:
    response = client.get("/compte/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next=/compte/"


def test_the_account_page_changes_the_display_name(bob: User, client: Client) -> None:
    client.force_login(bob)
    assert client.get("/compte/").status_code == 200
    response = client.post("/compte/", {"display_name": "Robert D."})
    assert response.status_code == 302
    assert response["Location"] == "/compte/"
    bob.refresh_from_db()
    assert bob.display_name == "Robert D."
    assert "Vos préférences sont enregistrées." in client.get("/compte/").content.decode()


def test_the_account_page_refuses_an_empty_display_name(bob: User, client: Client) -> None:
    client.force_login(bob)
    response = client.post("/compte/", {"display_name": "  "})
    assert response.status_code == 400
    assert "Ce champ est obligatoire." in response.content.decode()
    bob.refresh_from_db()
    assert bob.display_name == "Bob Durand"


# Personal data download


def test_the_data_download_holds_the_users_email_contributions_votes_and_endorsements(
    open_consultation: Consultation, alice: User, bob: User, client: Client
) -> None:
    proposal = proposal_of(open_consultation)
    bobs_proposal = actions.post_proposal(
        debate=proposal.debate, author=bob, title="Des pistes cyclables", body="Partout."
    )
    bobs_argument = actions.post_argument(
        proposal=proposal, author=bob, stance=Stance.AGAINST, body="Trop cher."
    )
    bobs_source = actions.post_source(
        proposal=proposal, author=bob, title="Étude", url="https://example.org/etude"
    )
    alices_argument = actions.post_argument(
        proposal=bobs_proposal, author=alice, stance=Stance.FOR, body="Secret d'Alice"
    )
    actions.cast_vote(proposal=proposal, user=bob, value=VoteValue.DISAGREE)
    actions.cast_vote(proposal=bobs_proposal, user=alice, value=VoteValue.AGREE)
    actions.toggle_endorsement(argument=alices_argument, user=bob)
    actions.toggle_endorsement(argument=bobs_argument, user=alice)

    client.force_login(bob)
    response = client.get("/compte/donnees.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="mes-donnees-\d{4}-\d{2}-\d{2}\.json"',
        response["Content-Disposition"],
    )
    raw = response.content.decode()
    data = json.loads(raw)

    assert data["account"]["email"] == "bob@example.org"
    assert data["account"]["display_name"] == "Bob Durand"
    assert data["account"]["emails"] == [
        {"email": "bob@example.org", "verified": True, "primary": True}
    ]
    contributions = {c["number"]: c for c in data["contributions"]}
    assert sorted(contributions) == [
        bobs_proposal.number,
        bobs_argument.number,
        bobs_source.number,
    ]
    assert contributions[bobs_proposal.number]["kind"] == "proposal"
    assert contributions[bobs_proposal.number]["title"] == "Des pistes cyclables"
    assert contributions[bobs_proposal.number]["body"] == "Partout."
    assert contributions[bobs_argument.number]["kind"] == "argument"
    assert contributions[bobs_argument.number]["stance"] == "against"
    assert contributions[bobs_argument.number]["body"] == "Trop cher."
    assert contributions[bobs_source.number]["kind"] == "source"
    assert contributions[bobs_source.number]["url"] == "https://example.org/etude"
    assert [(v["proposal"], v["value"]) for v in data["votes"]] == [(proposal.number, "disagree")]
    assert [e["argument"] for e in data["endorsements"]] == [alices_argument.number]

    # Nothing of Alice's: not her email, her texts, her vote or her endorsement.
    assert "alice" not in raw.lower()
    assert "Secret d'Alice" not in raw
    assert alices_argument.number not in contributions
    assert proposal.number not in contributions


def test_the_data_download_requires_signing_in(client: Client, db: None) -> None:
    response = client.get("/compte/donnees.json")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# Account deletion


def test_deleting_needs_the_confirmation_word(bob: User, client: Client) -> None:
    client.force_login(bob)
    reauthenticate(client)
    assert client.get("/compte/supprimer/").status_code == 200
    response = client.post("/compte/supprimer/", {"confirm": "oui"})
    assert response.status_code == 400
    assert "Écrivez SUPPRIMER pour confirmer la suppression." in response.content.decode()
    bob.refresh_from_db()
    assert bob.deleted_at is None
    assert bob.is_active
    assert bob.email == "bob@example.org"
    assert EmailAddress.objects.filter(user=bob).exists()
    assert signed_in_user_id(client) == str(bob.pk)


def test_deleting_an_account_anonymises_it_and_keeps_its_contributions_and_votes(
    open_consultation: Consultation, bob: User, client: Client
) -> None:
    proposal = proposal_of(open_consultation)
    bobs_proposal = actions.post_proposal(
        debate=proposal.debate, author=bob, title="Ma proposition", body="x"
    )
    bobs_argument = actions.post_argument(
        proposal=proposal, author=bob, stance=Stance.FOR, body="Mon argument"
    )
    actions.cast_vote(proposal=proposal, user=bob, value=VoteValue.AGREE)
    Authenticator.objects.create(user=bob, type=Authenticator.Type.TOTP, data={})
    SocialAccount.objects.create(user=bob, provider="franceconnect", uid="fc-bob")
    elsewhere = Client()
    elsewhere.force_login(bob)
    assert "Bob Durand" in elsewhere.get("/").content.decode()

    client.force_login(bob)
    reauthenticate(client)
    response = client.post("/compte/supprimer/", {"confirm": "SUPPRIMER"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_user_id(client) is None
    assert "Votre compte est supprimé." in client.get("/").content.decode()

    # The contributions stay, credited to « Compte supprimé ».
    assert Contribution.objects.filter(author=bob).count() == 2
    proposal_page = visible(client.get(proposal.get_page_url()).content.decode())
    assert "Compte supprimé" in proposal_page
    assert "Mon argument" in proposal_page
    assert "Bob Durand" not in proposal_page
    own_page = visible(client.get(bobs_proposal.get_page_url()).content.decode())
    assert "Vous êtes sur la page de contribution de Compte supprimé" in own_page
    assert bobs_argument.number in [c.number for c in Contribution.objects.filter(author=bob)]

    # Nothing personal stays on the row.
    row = User.objects.filter(pk=bob.pk).values().get()
    for name, value in row.items():
        if isinstance(value, str) and name != "password":
            assert "bob" not in value.lower(), name
            assert "Durand" not in value, name
    assert row["username"] == f"compte-supprime:{bob.pk}"
    assert row["email"] == ""
    assert row["display_name"] == ""
    assert row["is_active"] is False
    assert row["deleted_at"] is not None
    assert not EmailAddress.objects.filter(user_id=bob.pk).exists()
    assert not EmailAddress.objects.filter(email="bob@example.org").exists()
    assert not Authenticator.objects.filter(user_id=bob.pk).exists()
    assert not SocialAccount.objects.filter(user_id=bob.pk).exists()

    # The old password and the old sessions no longer open the account.
    assert not User.objects.get(pk=bob.pk).check_password(PASSWORD)
    assert authenticate(username="bob", password=PASSWORD) is None
    assert authenticate(username=f"compte-supprime:{bob.pk}", password=PASSWORD) is None
    browser = Client()
    response = sign_in(browser, "bob@example.org")
    assert response.status_code == 200
    assert signed_in_user_id(browser) is None
    assert elsewhere.get("/compte/").status_code == 302
    home = elsewhere.get("/").content.decode()
    assert "Bob Durand" not in home
    assert "Mon compte" not in home

    # The vote still counts.
    assert Vote.objects.filter(proposal=proposal, user_id=bob.pk).count() == 1
    vote_counts = visible(client.get(proposal.get_page_url()).content.decode())
    assert "D'accord : 1" in vote_counts


def test_a_deleted_accounts_profile_says_so(
    open_consultation: Consultation, bob: User, client: Client
) -> None:
    actions.post_argument(
        proposal=proposal_of(open_consultation), author=bob, stance=Stance.FOR, body="x"
    )
    client.force_login(bob)
    reauthenticate(client)
    client.post("/compte/supprimer/", {"confirm": "supprimer"})
    text = visible(client.get(f"/profils/{bob.pk}/").content.decode())
    assert "Compte supprimé" in text
    assert "Ce compte a été supprimé ; ses contributions restent publiées." in text
    assert "1 contribution" in text
    assert "Bob" not in text


def test_the_email_of_a_deleted_account_can_sign_up_again(
    bob: User, client: Client, mailoutbox: list[EmailMessage]
) -> None:
    client.force_login(bob)
    reauthenticate(client)
    client.post("/compte/supprimer/", {"confirm": "SUPPRIMER"})
    response = client.post(
        reverse("account_signup"),
        {
            "email": "bob@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "display_name": "Bob le retour",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert User.objects.get(email="bob@example.org").pk != bob.pk
    assert [m.to for m in mailoutbox] == [["bob@example.org"]]


def test_no_signup_can_block_the_deletion_of_another_account(
    bob: User, client: Client, mailoutbox: list[EmailMessage]
) -> None:
    client.post(
        reverse("account_signup"),
        {
            "email": f"compte-supprime-{bob.pk}@example.net",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "display_name": "Mallory",
        },
    )
    assert User.objects.filter(username=f"compte-supprime-{bob.pk}").exists()
    client.force_login(bob)
    reauthenticate(client)
    response = client.post("/compte/supprimer/", {"confirm": "SUPPRIMER"})
    assert response.status_code == 302
    bob.refresh_from_db()
    assert bob.deleted_at is not None


# Verification in the admin


@pytest.fixture
def admin_client(client: Client, settings: object, db: None) -> Client:
    """Return a client signed in as a superuser, with the admin's two-factor rule off."""
    settings.STAFF_REQUIRE_2FA = False  # type: ignore[attr-defined]
    client.force_login(User.objects.create_superuser("sabine", "sabine@example.org", PASSWORD))
    return client


def run_admin_action(admin_client: Client, action: str, *users: User) -> HttpResponse:
    return admin_client.post(
        "/admin/accounts/user/",
        {"action": action, "_selected_action": [user.pk for user in users]},
    )


def test_a_superuser_verifies_an_identity_from_the_admin(
    open_consultation: Consultation, bob: User, admin_client: Client
) -> None:
    argument = actions.post_argument(
        proposal=proposal_of(open_consultation), author=bob, stance=Stance.FOR, body="x"
    )
    assert admin_client.get("/admin/accounts/user/").status_code == 200
    response = run_admin_action(admin_client, "verify_identity", bob)
    assert response.status_code == 302
    assert "1 compte(s) vérifié(s)." in admin_client.get("/admin/accounts/user/").content.decode()

    bob.refresh_from_db()
    assert bob.verified_at is not None
    assert bob.verification_method == VerificationMethod.IDENTITY
    assert bob.verified_by == User.objects.get(username="sabine")

    page = visible(Client().get(proposal_of(open_consultation).get_page_url()).content.decode())
    assert "Bob Durand Compte vérifié" in page
    profile = visible(Client().get(f"/profils/{bob.pk}/").content.decode())
    assert "Compte vérifié le" in profile
    assert "(Identité vérifiée)" in profile
    # The permalink of Bob's argument lands on a page that shows the badge next to him.
    landing = Client().get(argument.get_absolute_url(), follow=True)
    assert f"#{argument.anchor}" in landing.redirect_chain[-1][0]
    assert "Bob Durand Compte vérifié" in visible(landing.content.decode())


def test_a_superuser_withdraws_a_verification_from_the_admin(
    open_consultation: Consultation, vera: User, admin_client: Client
) -> None:
    actions.post_argument(
        proposal=proposal_of(open_consultation), author=vera, stance=Stance.FOR, body="x"
    )
    response = run_admin_action(admin_client, "unverify", vera)
    assert response.status_code == 302
    vera.refresh_from_db()
    assert vera.verified_at is None
    assert vera.verification_method == ""
    assert vera.verified_by is None
    page = visible(Client().get(proposal_of(open_consultation).get_page_url()).content.decode())
    assert "Vera Vérifiée" in page
    assert "Compte vérifié" not in page


def test_a_superuser_verifies_an_organisation_from_the_admin(
    bob: User, admin_client: Client
) -> None:
    run_admin_action(admin_client, "verify_organisation", bob)
    bob.refresh_from_db()
    assert bob.verification_method == VerificationMethod.ORGANISATION
    assert "(Organisation vérifiée)" in visible(
        Client().get(f"/profils/{bob.pk}/").content.decode()
    )


# Consultations reserved to verified accounts


def test_a_consultation_for_verified_accounts_refuses_an_unverified_one(
    open_consultation: Consultation, bob: User, client: Client
) -> None:
    open_consultation.requires_verified_accounts = True
    open_consultation.save()
    client.force_login(bob)
    before = Contribution.objects.count()
    response = post_argument(client, open_consultation)
    assert response.status_code == 403
    assert "Cette consultation est réservée aux comptes vérifiés." in response.content.decode()
    assert Contribution.objects.count() == before


def test_a_consultation_for_verified_accounts_welcomes_a_verified_one(
    open_consultation: Consultation, vera: User, client: Client
) -> None:
    open_consultation.requires_verified_accounts = True
    open_consultation.save()
    client.force_login(vera)
    response = post_argument(client, open_consultation)
    assert response.status_code == 302
    assert Contribution.objects.filter(author=vera).count() == 1
