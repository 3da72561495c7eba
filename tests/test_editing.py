"""Editing one's own contribution: the author only, while open, with history kept."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from accounts.models import User
from debates import actions
from debates.models import Argument, Consultation, Contribution, Proposal, Source, Stance
from tests.conftest import proposal_of
from tests.test_participation import visible

KINDS = ["proposal", "argument", "source"]

# A valid edit of each kind, and the fields it changes.
EDITS: dict[str, dict[str, str]] = {
    "proposal": {"title": "Titre revu", "body": "Texte revu."},
    "argument": {"body": "Argument revu."},
    "source": {"title": "Rapport revu", "url": "https://example.org/v2", "description": "Revu."},
}


def contribution_by(author: User, kind: str, consultation: Consultation) -> Contribution:
    """Return a fresh contribution of `kind` by `author` in `consultation`."""
    proposal = proposal_of(consultation)
    if kind == "proposal":
        return actions.post_proposal(
            debate=proposal.debate, author=author, title="Titre", body="Texte d'origine."
        )
    if kind == "argument":
        return actions.post_argument(
            proposal=proposal, author=author, stance=Stance.FOR, body="Argument d'origine."
        )
    return actions.post_source(
        proposal=proposal,
        author=author,
        title="Rapport",
        url="https://example.org/v1",
        description="D'origine.",
    )


def text_of(contribution: Contribution) -> dict[str, object]:
    """Return the stored text of a contribution, read again from the database."""
    fresh = Contribution.objects.get(pk=contribution.pk)
    target = {"proposal": "as_proposal", "argument": "as_argument", "source": "as_source"}
    row = getattr(fresh, target[fresh.kind])
    fields = {
        "proposal": ["title", "body"],
        "argument": ["stance", "body"],
        "source": ["title", "url", "description"],
    }[fresh.kind]
    return {name: getattr(row, name) for name in fields} | {"updated_at": fresh.updated_at}


def edit_url(contribution: Contribution) -> str:
    return f"/contributions/{contribution.number}/modifier/"


def two_minutes_later() -> time_machine.travel:
    # A session is opened inside the travel block.
    return time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False)


def item_text(html: str, contribution: Contribution) -> str:
    """Return the visible text of one contribution on its proposal page."""
    found = re.search(
        rf'<(li|article) class="[^"]*" id="{contribution.anchor}"[^>]*>(.*?)</\1>', html, re.S
    )
    assert found is not None, contribution.anchor
    return visible(found.group(2))


# --- the author, while open ------------------------------------------------------------


def test_the_author_edits_their_proposal_and_the_page_says_modified(
    open_consultation: Consultation, client: Client, alice: User
) -> None:
    proposal = proposal_of(open_consultation)
    versions = proposal.history.count()
    created_at = proposal.created_at
    assert "modifié le" not in visible(client.get(proposal.get_page_url()).content.decode())
    with two_minutes_later():
        client.force_login(alice)
        response = client.post(
            edit_url(proposal), {"title": "Titre revu", "body": "Texte revu."}, follow=True
        )
    assert response.redirect_chain[0] == (f"/contributions/{proposal.number}/", 302)
    text = visible(response.content.decode())
    assert f"Votre contribution #{proposal.number} est modifiée." in text
    assert "modifié le" in item_text(response.content.decode(), proposal)
    assert "Titre revu" in text
    assert "Texte revu." in text
    proposal.refresh_from_db()
    assert (proposal.title, proposal.body) == ("Titre revu", "Texte revu.")
    assert proposal.created_at == created_at
    assert proposal.history.count() == versions + 1
    assert ("Une proposition", "Texte.") in [(h.title, h.body) for h in proposal.history.all()]


def test_the_author_edits_the_body_of_their_argument_and_its_stance_stays(
    open_consultation: Consultation, client: Client, bob: User
) -> None:
    argument = contribution_by(bob, "argument", open_consultation)
    assert isinstance(argument, Argument)
    versions = argument.history.count()
    with two_minutes_later():
        client.force_login(bob)
        # A forged stance is ignored: the edit form has no such field.
        response = client.post(
            edit_url(argument), {"body": "Argument revu.", "stance": "against"}, follow=True
        )
    assert response.redirect_chain[0] == (f"/contributions/{argument.number}/", 302)
    assert "modifié le" in item_text(response.content.decode(), argument)
    assert text_of(argument)["body"] == "Argument revu."
    assert text_of(argument)["stance"] == Stance.FOR
    assert argument.history.count() == versions + 1
    assert "Argument d'origine." in [h.body for h in argument.history.all()]


def test_the_author_edits_their_source(
    open_consultation: Consultation, client: Client, bob: User
) -> None:
    source = contribution_by(bob, "source", open_consultation)
    assert isinstance(source, Source)
    versions = source.history.count()
    with two_minutes_later():
        client.force_login(bob)
        response = client.post(edit_url(source), EDITS["source"], follow=True)
    assert response.redirect_chain[0] == (f"/contributions/{source.number}/", 302)
    assert f"Votre contribution #{source.number} est modifiée." in visible(
        response.content.decode()
    )
    stored = text_of(source)
    assert (stored["title"], stored["url"], stored["description"]) == (
        "Rapport revu",
        "https://example.org/v2",
        "Revu.",
    )
    assert source.history.count() == versions + 1
    assert "https://example.org/v1" in [h.url for h in source.history.all()]


def test_an_edited_source_says_modified(
    open_consultation: Consultation, client: Client, bob: User
) -> None:
    source = contribution_by(bob, "source", open_consultation)
    with two_minutes_later():
        client.force_login(bob)
        response = client.post(edit_url(source), EDITS["source"], follow=True)
    assert "modifié le" in item_text(response.content.decode(), source)


def test_an_edit_seconds_after_posting_is_flagged_too(
    open_consultation: Consultation, client: Client, bob: User
) -> None:
    argument = contribution_by(bob, "argument", open_consultation)
    with time_machine.travel(argument.created_at + timedelta(seconds=2), tick=False):
        client.force_login(bob)
        response = client.post(edit_url(argument), EDITS["argument"], follow=True)
    assert text_of(argument)["body"] == "Argument revu."
    assert "modifié le" in item_text(response.content.decode(), argument)


@pytest.mark.parametrize("kind", KINDS)
def test_a_contribution_never_edited_is_not_flagged(
    open_consultation: Consultation, client: Client, bob: User, kind: str
) -> None:
    contribution = contribution_by(bob, kind, open_consultation)
    assert contribution.updated_at == contribution.created_at
    html = client.get(contribution.concrete.get_absolute_url(), follow=True).content.decode()
    assert "modifié le" not in item_text(html, contribution)


@pytest.mark.parametrize("kind", KINDS)
def test_the_author_gets_the_edit_form_filled_with_their_text(
    open_consultation: Consultation, client: Client, bob: User, kind: str
) -> None:
    mine = contribution_by(bob, kind, open_consultation)
    client.force_login(bob)
    response = client.get(edit_url(mine))
    assert response.status_code == 200
    page = response.content.decode()
    assert f"Modifier la contribution #{mine.number}" in visible(page)
    for name, value in text_of(mine).items():
        if name in EDITS[kind]:
            assert escape(str(value)) in page, name
    assert 'name="stance"' not in page


@pytest.mark.parametrize("kind", KINDS)
def test_an_unchanged_form_writes_no_new_version(
    open_consultation: Consultation, client: Client, bob: User, kind: str
) -> None:
    mine = contribution_by(bob, kind, open_consultation)
    before = text_of(mine)
    unchanged = {name: str(value) for name, value in before.items() if name in EDITS[kind]}
    versions = type(mine).history.filter(number=mine.number).count()  # type: ignore[attr-defined]
    with two_minutes_later():
        client.force_login(bob)
        response = client.post(edit_url(mine), unchanged)
    assert response.status_code == 302
    assert text_of(mine) == before
    assert type(mine).history.filter(number=mine.number).count() == versions  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("kind", "payload", "field"),
    [
        ("proposal", {"title": "Titre", "body": ""}, "body"),
        ("proposal", {"title": "", "body": "Texte"}, "title"),
        ("proposal", {"title": "Titre", "body": "x" * 10_001}, "body"),
        ("argument", {"body": "   "}, "body"),
        ("argument", {"body": "x" * 5_001}, "body"),
        ("source", {"title": "Rapport", "url": "javascript:alert(1)"}, "url"),
        ("source", {"title": "Rapport", "url": "ftp://example.org/f"}, "url"),
    ],
)
def test_an_invalid_edit_is_refused_next_to_its_field_and_changes_nothing(
    open_consultation: Consultation,
    client: Client,
    bob: User,
    kind: str,
    payload: dict[str, str],
    field: str,
) -> None:
    mine = contribution_by(bob, kind, open_consultation)
    before = text_of(mine)
    client.force_login(bob)
    response = client.post(edit_url(mine), payload)
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in response.content.decode()
    assert text_of(mine) == before


# --- refused ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_another_citizen_may_not_edit_a_contribution(
    open_consultation: Consultation, client: Client, alice: User, bob: User, kind: str
) -> None:
    hers = contribution_by(alice, kind, open_consultation)
    before = text_of(hers)
    client.force_login(bob)
    response = client.post(edit_url(hers), EDITS[kind])
    assert response.status_code == 403
    text = visible(response.content.decode())
    assert "Seul l'auteur d'une contribution peut la modifier." in text
    assert "Rien n'a été enregistré." in text
    assert text_of(hers) == before


@pytest.mark.parametrize("kind", KINDS)
def test_the_edit_page_of_someone_else_s_contribution_is_forbidden(
    open_consultation: Consultation, client: Client, alice: User, bob: User, kind: str
) -> None:
    hers = contribution_by(alice, kind, open_consultation)
    client.force_login(bob)
    response = client.get(edit_url(hers))
    assert response.status_code == 403
    assert "Seul l'auteur" in visible(response.content.decode())
    assert "<textarea" not in response.content.decode()


@pytest.mark.parametrize("kind", KINDS)
def test_the_author_may_not_edit_once_the_consultation_is_closed(
    open_consultation: Consultation, client: Client, bob: User, kind: str
) -> None:
    mine = contribution_by(bob, kind, open_consultation)
    before = text_of(mine)
    with time_machine.travel(open_consultation.closes_at, tick=False):
        client.force_login(bob)
        page = client.get(edit_url(mine))
        response = client.post(edit_url(mine), EDITS[kind])
    assert page.status_code == 403
    assert response.status_code == 403
    assert "La consultation est fermée" in visible(response.content.decode())
    assert text_of(mine) == before


def test_the_author_may_still_edit_a_second_before_closing(
    open_consultation: Consultation, client: Client, bob: User
) -> None:
    mine = contribution_by(bob, "argument", open_consultation)
    with time_machine.travel(open_consultation.closes_at - timedelta(seconds=1), tick=False):
        client.force_login(bob)
        response = client.post(edit_url(mine), EDITS["argument"])
    assert response.status_code == 302
    assert text_of(mine)["body"] == "Argument revu."


def test_the_author_of_a_closed_consultation_gets_a_403_not_the_form(
    closed_consultation: Consultation, client: Client, alice: User
) -> None:
    proposal = proposal_of(closed_consultation)
    client.force_login(alice)
    response = client.post(edit_url(proposal), EDITS["proposal"])
    assert response.status_code == 403
    assert "La consultation est fermée" in visible(response.content.decode())
    proposal.refresh_from_db()
    assert (proposal.title, proposal.body) == ("Une proposition", "Texte.")


def test_a_visitor_asking_for_an_edit_page_is_sent_to_sign_in(
    open_consultation: Consultation, client: Client
) -> None:
    proposal = proposal_of(open_consultation)
    response = client.get(edit_url(proposal))
    assert response.status_code == 302
    assert response["Location"].startswith("/comptes/login/?next=")


@pytest.mark.parametrize("method", ["get", "post"])
def test_editing_an_unknown_number_is_not_found(
    open_consultation: Consultation, client: Client, alice: User, method: str
) -> None:
    client.force_login(alice)
    response = getattr(client, method)("/contributions/424242/modifier/", EDITS["argument"])
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


# --- the edit links on the page -------------------------------------------------------


def test_the_edit_links_are_shown_to_the_author_only_and_only_while_open(
    open_consultation: Consultation, client: Client, alice: User, bob: User
) -> None:
    proposal = proposal_of(open_consultation)
    argument = contribution_by(alice, "argument", open_consultation)
    source = contribution_by(alice, "source", open_consultation)
    links = [edit_url(c) for c in (proposal, argument, source)]
    client.force_login(alice)
    page = client.get(proposal.get_page_url()).content.decode()
    assert all(f'href="{link}"' in page for link in links)
    client.force_login(bob)
    page = client.get(proposal.get_page_url()).content.decode()
    assert not any(f'href="{link}"' in page for link in links)
    with time_machine.travel(open_consultation.closes_at, tick=False):
        client.force_login(alice)
        page = client.get(proposal.get_page_url()).content.decode()
    assert not any(f'href="{link}"' in page for link in links)


def test_history_keeps_every_version_of_a_proposal(
    open_consultation: Consultation, client: Client, alice: User
) -> None:
    proposal = proposal_of(open_consultation)
    client.force_login(alice)
    for i in range(3):
        client.post(edit_url(proposal), {"title": "Une proposition", "body": f"Version {i}"})
    bodies = [
        h.body for h in Proposal.history.filter(number=proposal.number).order_by("history_date")
    ]
    assert bodies == ["Texte.", "Version 0", "Version 1", "Version 2"]
