"""Each person reads the platform, and its emails, in their language."""

from __future__ import annotations

from typing import Any

from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from debates import actions, moderation
from debates.models import Consultation, HideReason
from tests.conftest import PASSWORD, make_user, proposal_of


def test_a_signup_in_english_remembers_english(client: Client, db: None) -> None:
    client.post(
        reverse("account_signup"),
        {
            "email": "eve@example.org",
            "display_name": "Eve",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert User.objects.get(email="eve@example.org").language == "en"


def test_the_language_switch_keeps_the_page_and_remembers_the_choice(
    open_consultation: Consultation, client: Client, bob: User
) -> None:
    client.force_login(bob)
    page = proposal_of(open_consultation).get_page_url()
    response = client.post(reverse("set_language"), {"language": "en", "next": page})
    assert response.status_code == 302 and response["Location"] == page
    bob.refresh_from_db()
    assert bob.language == "en"
    assert "Log out" in client.get(page).content.decode()


def test_a_hiding_notice_reaches_its_author_in_their_language(
    open_consultation: Consultation, django_capture_on_commit_callbacks: Any
) -> None:
    eve = make_user("eve", "Eve", language="en")
    moderator = make_user("mona", "Mona", is_staff=True)
    proposal = proposal_of(open_consultation)
    english = actions.post_argument(proposal=proposal, author=eve, stance="for", body="Buy!")
    french = actions.post_argument(proposal=proposal, author=moderator, stance="for", body="x")
    with django_capture_on_commit_callbacks(execute=True):
        moderation.hide(contribution=english, actor=moderator, reason=HideReason.SPAM)
        moderation.hide(contribution=french, actor=moderator, reason=HideReason.SPAM)
    to_eve, to_mona = mail.outbox
    assert to_eve.subject == f"Your contribution #{english.number} has been hidden"
    assert "Reason: Advertising or spam" in to_eve.body
    assert to_mona.subject == f"Votre contribution #{french.number} a été masquée"
    assert "Motif : Publicité ou spam" in to_mona.body
