"""Hiding a proposal freezes its whole thread.

Before, an argument or a source under a hidden proposal could still be
edited by its author and endorsed by anyone: only the hidden row itself was
frozen. Each attack below is a forged POST by a signed-in, allowed citizen;
each is refused with the reason and writes nothing (rows and history).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from debates import actions, moderation, rules
from debates.models import (
    Argument,
    Consultation,
    Endorsement,
    HideReason,
    Proposal,
    Source,
    Vote,
)
from tests.conftest import proposal_of
from tests.test_moderation_admin import make_moderator

FROZEN = "sa discussion est figée"


def state() -> dict[str, Any]:
    """Return every row the attacks could touch, with their history tables."""
    result: dict[str, Any] = {}
    for model in (Proposal, Argument, Source, Vote, Endorsement):
        result[model.__name__] = list(model.objects.order_by("pk").values())
        result[f"history of {model.__name__}"] = list(
            model.history.model.objects.order_by("pk").values()  # type: ignore[attr-defined]
        )
    return result


@pytest.fixture
def thread(open_consultation: Consultation, bob: User, vera: User) -> dict[str, Any]:
    proposal = proposal_of(open_consultation)
    argument = actions.post_argument(proposal=proposal, author=bob, stance="for", body="Avant.")
    source = actions.post_source(proposal=proposal, author=bob, title="Avant", url="https://a.fr")
    moderation.hide(
        contribution=proposal, actor=make_moderator(), reason=HideReason.OFFENSIVE, notify=False
    )
    return {"proposal": proposal, "argument": argument, "source": source}


def proposal_url(proposal: Proposal, suffix: str) -> str:
    return f"{proposal.get_page_url()}{suffix}"


ATTACKS = {
    "edit the argument": lambda t: (
        f"/contributions/{t['argument'].number}/modifier/",
        {"body": "Réécrit sous une proposition masquée."},
    ),
    "edit the source": lambda t: (
        f"/contributions/{t['source'].number}/modifier/",
        {"title": "Réécrite", "url": "https://b.fr", "description": ""},
    ),
    "endorse the argument": lambda t: (f"/contributions/{t['argument'].number}/accord/", {}),
    "argue": lambda t: (
        proposal_url(t["proposal"], "arguments/"),
        {"stance": "for", "body": "Un nouvel argument."},
    ),
    "deposit a source": lambda t: (
        proposal_url(t["proposal"], "sources/"),
        {"title": "Nouvelle", "url": "https://c.fr"},
    ),
    "vote": lambda t: (proposal_url(t["proposal"], "vote/"), {"value": "agree"}),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_nothing_is_written_under_a_hidden_proposal(
    thread: dict[str, Any], client: Client, bob: User, vera: User, attack: str
) -> None:
    url, data = ATTACKS[attack](thread)
    # Bob wrote the argument and the source; Vera endorses, argues, votes.
    client.force_login(bob if attack.startswith("edit") else vera)
    before = state()
    response = client.post(url, data)
    assert response.status_code == 403, attack
    html = response.content.decode()
    assert "masquée par la modération" in html
    assert state() == before


def test_the_edit_page_of_an_argument_under_a_hidden_proposal_says_why(
    thread: dict[str, Any], client: Client, bob: User
) -> None:
    client.force_login(bob)
    response = client.get(f"/contributions/{thread['argument'].number}/modifier/")
    assert response.status_code == 403
    assert FROZEN in response.content.decode()
    assert f"#{thread['proposal'].number}" in response.content.decode()


def test_the_rule_lives_in_the_permission_module(
    thread: dict[str, Any], bob: User, vera: User
) -> None:
    argument: Argument = thread["argument"]
    consultation = thread["proposal"].debate.consultation
    assert not rules.may_edit(bob, argument, consultation)
    assert not rules.participation_on(vera, argument, consultation)
    assert rules.may_edit(bob, argument, consultation).refusal == rules.Refusal.HIDDEN


def test_unhiding_the_proposal_thaws_its_thread(
    thread: dict[str, Any], client: Client, bob: User
) -> None:
    proposal: Proposal = thread["proposal"]
    moderation.unhide(contribution=proposal, actor=make_moderator("mod2", "Modo Deux"))
    client.force_login(bob)
    url = f"/contributions/{thread['argument'].number}/modifier/"
    assert client.post(url, {"body": "Corrigé une fois rétabli."}).status_code == 302
    assert Argument.objects.get(pk=thread["argument"].pk).body == "Corrigé une fois rétabli."
