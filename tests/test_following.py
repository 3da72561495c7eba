"""Following: one click (a POST form, no JavaScript), authors follow their own proposals."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from django.db import IntegrityError
from django.test import Client

from accounts.models import User
from debates.models import Consultation
from followups.models import Follow, NotificationSettings
from tests.conftest import proposal_of

AssertQueries = Callable[..., AbstractContextManager[object]]


def follow_url(kind: str, pk: int) -> str:
    return f"/suivre/{kind}/{pk}/"


def test_a_citizen_follows_a_proposal_a_debate_and_a_consultation_in_one_click(
    open_consultation: Consultation, bob: User, client: Client
) -> None:
    proposal = proposal_of(open_consultation)
    client.force_login(bob)
    page = client.get(proposal.get_page_url()).content.decode()
    assert f'action="/suivre/proposition/{proposal.pk}/"' in page
    for kind, target in (
        ("proposition", proposal),
        ("debat", proposal.debate),
        ("consultation", open_consultation),
    ):
        response = client.post(follow_url(kind, target.pk), {"next": "/"})
        assert response.status_code == 302 and response["Location"] == "/"
    assert Follow.objects.filter(user=bob, stopped_at__isnull=True).count() == 3
    page = client.get(proposal.get_page_url()).content.decode()
    assert "Ne plus suivre" in page
    # Twice is still one follow.
    client.post(follow_url("proposition", proposal.pk))
    assert Follow.objects.filter(user=bob, proposal=proposal).count() == 1


def test_a_visitor_is_sent_to_sign_in_and_nothing_is_written(
    open_consultation: Consultation, client: Client
) -> None:
    # No button for visitors (a closed page offers them no form at all) …
    assert (
        "/suivre/" not in client.get(proposal_of(open_consultation).get_page_url()).content.decode()
    )
    # … and a forged post only leads to sign in.
    response = client.post(follow_url("proposition", proposal_of(open_consultation).pk))
    assert response.status_code == 302 and "/comptes/login/" in response["Location"]
    assert not Follow.objects.exclude(user__username="alice").exists()


def test_following_refuses_an_unknown_target_and_a_foreign_redirect(
    open_consultation: Consultation, bob: User, client: Client
) -> None:
    client.force_login(bob)
    assert client.post(follow_url("utilisateur", 1)).status_code == 404
    assert client.post(follow_url("proposition", 999999)).status_code == 404
    proposal = proposal_of(open_consultation)
    response = client.post(follow_url("proposition", proposal.pk), {"next": "https://evil.example"})
    assert response["Location"] == proposal.get_page_url()
    assert client.get(follow_url("proposition", proposal.pk)).status_code == 405


def test_a_draft_cannot_be_followed_by_who_cannot_read_it(
    open_consultation: Consultation, bob: User, client: Client
) -> None:
    open_consultation.is_draft = True
    open_consultation.save()
    client.force_login(bob)
    assert client.post(follow_url("consultation", open_consultation.pk)).status_code == 404
    assert not Follow.objects.filter(user=bob).exists()


def test_the_author_follows_their_proposal_and_can_stop_for_good(
    open_consultation: Consultation, alice: User, client: Client
) -> None:
    proposal = proposal_of(open_consultation)
    assert Follow.objects.get(user=alice, proposal=proposal).is_active
    client.force_login(alice)
    client.post(follow_url("proposition", proposal.pk), {"action": "stop"})
    row = Follow.objects.get(user=alice, proposal=proposal)
    assert row.stopped_at is not None
    assert "Suivre" in client.get(proposal.get_page_url()).content.decode()


def test_the_database_keeps_one_follow_per_follower_and_target(
    open_consultation: Consultation, alice: User
) -> None:
    with pytest.raises(IntegrityError):
        Follow.objects.create(user=alice, proposal=proposal_of(open_consultation))


def test_the_notification_settings_keep_their_query_budget_and_save(
    open_consultation: Consultation,
    bob: User,
    client: Client,
    django_assert_num_queries: AssertQueries,
) -> None:
    client.force_login(bob)
    for kind, target in (
        ("proposition", proposal_of(open_consultation)),
        ("consultation", open_consultation),
    ):
        client.post(follow_url(kind, target.pk))
    # session, user, their settings, what they follow (with its place)
    with django_assert_num_queries(4):
        page = client.get("/compte/notifications/")
    assert page.status_code == 200
    assert "Une proposition" in page.content.decode()
    response = client.post(
        "/compte/notifications/",
        {"replies": "on", "answers": "on", "results": "on", "frequency": "daily"},
    )
    assert response.status_code == 302
    chosen = NotificationSettings.objects.get(user=bob)
    assert (chosen.replies, chosen.moderation, chosen.calendar, chosen.frequency) == (
        True,
        False,
        False,
        "daily",
    )
    bad = client.post("/compte/notifications/", {"frequency": "hourly"})
    assert bad.status_code == 400
    assert NotificationSettings.objects.get(user=bob).frequency == "daily"
    # The account page links to them.
    assert "/compte/notifications/" in client.get("/compte/").content.decode()
