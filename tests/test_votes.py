"""Votes on proposals and « D'accord » on arguments: recorded once, counted, shown."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client

from accounts.models import User
from debates import actions
from debates.models import Argument, Consultation, Endorsement, Proposal, Stance, Vote, VoteValue
from tests.conftest import proposal_of
from tests.test_participation import visible

AssertQueries = Callable[..., AbstractContextManager[object]]

VOTES = [
    (VoteValue.AGREE, "D'accord"),
    (VoteValue.MIXED, "Mitigé"),
    (VoteValue.DISAGREE, "Pas d'accord"),
]


def vote_counts(client: Client, proposal: Proposal) -> tuple[int, int, int]:
    """Return the « D'accord », « Mitigé », « Pas d'accord » counts shown on the proposal page."""
    text = visible(client.get(proposal.get_page_url()).content.decode())
    found = re.search(r"D'accord : (\d+) · Mitigé : (\d+) · Pas d'accord : (\d+)", text)
    assert found is not None, text
    agree, mixed, disagree = (int(n) for n in found.groups())
    return agree, mixed, disagree


def vote(client: Client, proposal: Proposal, value: str, **extra: Any) -> Any:
    return client.post(f"{proposal.get_page_url()}vote/", {"value": value}, **extra)


def make_voters(count: int, prefix: str = "votant") -> list[User]:
    """Create citizens cheaply (no password hashing): they vote through actions only."""
    return [
        User.objects.create(username=f"{prefix}{i}", email=f"{prefix}{i}@example.org")
        for i in range(count)
    ]


# --- votes ---------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "label"), VOTES)
def test_a_citizen_s_vote_is_recorded_counted_and_shown(
    open_consultation: Consultation, client: Client, bob: User, value: str, label: str
) -> None:
    proposal = proposal_of(open_consultation)
    client.force_login(bob)
    response = vote(client, proposal, value, follow=True)
    assert response.redirect_chain == [(f"{proposal.get_page_url()}#vote", 302)]
    text = visible(response.content.decode())
    assert f"Votre vote « {label} » est enregistré." in text
    assert f"Vous avez voté « {label} »." in text
    recorded = Vote.objects.get()
    assert (recorded.user, recorded.proposal, recorded.value) == (bob, proposal, value)
    expected = tuple(int(value == v) for v, _label in VOTES)
    assert vote_counts(client, proposal) == expected


def test_the_button_of_one_s_vote_is_pressed(
    open_consultation: Consultation, client: Client, bob: User
) -> None:
    proposal = proposal_of(open_consultation)
    client.force_login(bob)
    vote(client, proposal, "mixed")
    page = client.get(proposal.get_page_url()).content.decode()
    assert 'value="mixed" aria-pressed="true"' in page
    assert 'value="agree" aria-pressed="false"' in page
    assert 'value="withdraw"' in page


def test_changing_one_s_vote_keeps_one_row_with_the_new_value(
    open_consultation: Consultation, client: Client, bob: User
) -> None:
    proposal = proposal_of(open_consultation)
    client.force_login(bob)
    vote(client, proposal, "agree")
    response = vote(client, proposal, "disagree", follow=True)
    assert "Votre vote « Pas d'accord » est enregistré." in visible(response.content.decode())
    assert list(Vote.objects.values_list("user", "value")) == [(bob.pk, "disagree")]
    assert vote_counts(client, proposal) == (0, 0, 1)
    # history keeps the first value
    assert [h.value for h in Vote.history.order_by("history_date")] == ["agree", "disagree"]


def test_voting_the_same_value_twice_changes_nothing(
    open_consultation: Consultation, client: Client, bob: User
) -> None:
    proposal = proposal_of(open_consultation)
    client.force_login(bob)
    vote(client, proposal, "mixed")
    vote(client, proposal, "mixed")
    assert Vote.objects.count() == 1
    assert vote_counts(client, proposal) == (0, 1, 0)


def test_withdrawing_one_s_vote_removes_it_and_the_counts_follow(
    open_consultation: Consultation, client: Client, alice: User, bob: User
) -> None:
    proposal = proposal_of(open_consultation)
    actions.cast_vote(proposal=proposal, user=alice, value=VoteValue.AGREE)
    client.force_login(bob)
    vote(client, proposal, "agree")
    assert vote_counts(client, proposal) == (2, 0, 0)
    response = vote(client, proposal, "withdraw", follow=True)
    assert response.redirect_chain == [(f"{proposal.get_page_url()}#vote", 302)]
    text = visible(response.content.decode())
    assert "Votre vote est retiré." in text
    assert "Vous avez voté" not in text
    assert not Vote.objects.filter(user=bob).exists()
    assert Vote.objects.filter(user=alice).exists()
    assert vote_counts(client, proposal) == (1, 0, 0)
    # the withdrawn vote stays in history
    assert Vote.history.filter(user=bob, history_type="-").count() == 1


def test_the_counts_add_up_the_votes_of_several_citizens(
    open_consultation: Consultation, client: Client, alice: User, bob: User, vera: User
) -> None:
    proposal = proposal_of(open_consultation)
    for citizen, value in ((alice, "agree"), (bob, "mixed"), (vera, "agree")):
        client.force_login(citizen)
        vote(client, proposal, value)
    client.logout()
    assert vote_counts(client, proposal) == (2, 1, 0)


@pytest.mark.parametrize("value", ["bof", "", "AGREE", "withdraw ", "agree' OR 1=1"])
def test_an_invalid_vote_is_refused_and_nothing_is_written(
    open_consultation: Consultation, client: Client, bob: User, value: str
) -> None:
    proposal = proposal_of(open_consultation)
    client.force_login(bob)
    response = vote(client, proposal, value)
    assert response.status_code == 400
    page = response.content.decode()
    votes_section = page.split('id="vote"', 1)[1].split("</section>", 1)[0]
    assert 'class="field-errors"' in votes_section
    assert not Vote.objects.exists()


def test_an_invalid_vote_leaves_the_previous_vote_alone(
    open_consultation: Consultation, client: Client, bob: User
) -> None:
    proposal = proposal_of(open_consultation)
    client.force_login(bob)
    vote(client, proposal, "agree")
    assert vote(client, proposal, "bof").status_code == 400
    assert list(Vote.objects.values_list("value", flat=True)) == ["agree"]


def test_the_database_refuses_two_votes_of_one_user_on_one_proposal(
    open_consultation: Consultation, bob: User
) -> None:
    proposal = proposal_of(open_consultation)
    Vote.objects.create(proposal=proposal, user=bob, value=VoteValue.AGREE)
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.create(proposal=proposal, user=bob, value=VoteValue.DISAGREE)
    assert Vote.objects.count() == 1


def test_the_database_refuses_an_unknown_vote_value(
    open_consultation: Consultation, bob: User
) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.create(proposal=proposal_of(open_consultation), user=bob, value="bof")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_votes_of_one_user_leave_one_row(
    open_consultation: Consultation, bob: User
) -> None:
    proposal = proposal_of(open_consultation)
    values = [VOTES[i % 3][0] for i in range(8)]
    barrier = threading.Barrier(len(values))
    errors: list[BaseException] = []

    def cast(value: str) -> None:
        try:
            barrier.wait()
            actions.cast_vote(proposal=proposal, user=bob, value=value)
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=cast, args=(value,)) for value in values]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Vote.objects.filter(proposal=proposal, user=bob).count() == 1
    assert Vote.objects.get().value in values


# --- endorsements -------------------------------------------------------------------


def argument_item(html: str, argument: Argument) -> str:
    """Return the visible text of one argument's item on a proposal page."""
    found = re.search(rf'<li class="argument" id="{argument.anchor}">(.*?)</li>', html, re.S)
    assert found is not None
    return visible(found.group(1))


def endorse(client: Client, argument: Argument, **extra: Any) -> Any:
    return client.post(f"/contributions/{argument.number}/accord/", **extra)


@pytest.fixture
def argument(open_consultation: Consultation, alice: User) -> Argument:
    return actions.post_argument(
        proposal=proposal_of(open_consultation), author=alice, stance=Stance.FOR, body="Oui."
    )


def test_endorsing_an_argument_toggles_on_and_off(
    argument: Argument, client: Client, bob: User
) -> None:
    client.force_login(bob)
    on = endorse(client, argument, follow=True)
    assert f"Vous êtes d'accord avec l'argument #{argument.number}." in visible(on.content.decode())
    assert list(Endorsement.objects.values_list("user", "argument")) == [(bob.pk, argument.pk)]
    assert 'class="endorse" aria-pressed="true"' in on.content.decode()
    off = endorse(client, argument, follow=True)
    assert f"Vous avez retiré votre accord à l'argument #{argument.number}." in visible(
        off.content.decode()
    )
    assert not Endorsement.objects.exists()
    assert 'class="endorse" aria-pressed="false"' in off.content.decode()
    # history keeps both moves
    assert Endorsement.history.count() == 2


def test_the_database_refuses_two_endorsements_of_one_user_on_one_argument(
    argument: Argument, bob: User
) -> None:
    Endorsement.objects.create(argument=argument, user=bob)
    with pytest.raises(IntegrityError), transaction.atomic():
        Endorsement.objects.create(argument=argument, user=bob)
    assert Endorsement.objects.count() == 1


def test_the_endorsement_count_is_shown_on_the_argument(
    argument: Argument, client: Client, alice: User, bob: User, vera: User
) -> None:
    page = argument.proposal.get_page_url()
    assert "personne d'accord" not in argument_item(client.get(page).content.decode(), argument)
    actions.toggle_endorsement(argument=argument, user=alice)
    assert "1 personne d'accord" in argument_item(client.get(page).content.decode(), argument)
    for citizen in (bob, vera):
        actions.toggle_endorsement(argument=argument, user=citizen)
    # a visitor reads the count; a citizen sees it on the button
    assert "3 personnes d'accord" in argument_item(client.get(page).content.decode(), argument)
    client.force_login(bob)
    text = argument_item(client.get(page).content.decode(), argument)
    assert f"D'accord (3) avec l'argument #{argument.number}" in text


def test_the_most_endorsed_arguments_come_first_when_asked(
    open_consultation: Consultation, client: Client, alice: User
) -> None:
    proposal = proposal_of(open_consultation)
    quiet, loud, middle = (
        actions.post_argument(proposal=proposal, author=alice, stance=Stance.FOR, body=body)
        for body in ("Peu suivi", "Très suivi", "Assez suivi")
    )
    for citizen in make_voters(3):
        actions.toggle_endorsement(argument=loud, user=citizen)
    for citizen in make_voters(1, prefix="soutien"):
        actions.toggle_endorsement(argument=middle, user=citizen)

    def order(**query: str) -> list[int]:
        page = client.get(proposal.get_page_url(), query).content.decode()
        column = page.split('id="arguments-for"', 1)[1].split("</details>", 1)[0]
        return [int(n) for n in re.findall(r'id="contribution-(\d+)"', column)]

    assert order(ordre="popular") == [loud.number, middle.number, quiet.number]
    assert order(ordre="recent") == [middle.number, loud.number, quiet.number]
    page = client.get(proposal.get_page_url(), {"ordre": "popular"}).content.decode()
    assert '<option value="popular" selected>Les plus soutenus</option>' in page


def test_endorsing_a_proposal_number_is_not_found(
    open_consultation: Consultation, client: Client, bob: User
) -> None:
    client.force_login(bob)
    response = client.post(f"/contributions/{proposal_of(open_consultation).number}/accord/")
    assert response.status_code == 404
    assert not Endorsement.objects.exists()


def test_endorsing_refuses_get(argument: Argument, client: Client, bob: User) -> None:
    client.force_login(bob)
    assert client.get(f"/contributions/{argument.number}/accord/").status_code == 405
    assert not Endorsement.objects.exists()


# --- query budget -------------------------------------------------------------------

# The proposal page for a signed-in citizen (tests/test_query_budgets.py): the
# anonymous four (the proposal with debate, consultation, author and counts; one
# page of arguments pour; one of arguments contre; one page of sources) plus the
# session, the user, whether their email is confirmed, their vote, which of
# the shown arguments they endorsed, whether they organise the consultation
# (the answer form) and whether they follow the proposal.
SIGNED_IN_PROPOSAL_PAGE = 4 + 7


def test_votes_and_endorsements_do_not_change_the_proposal_page_query_count(
    open_consultation: Consultation,
    client: Client,
    alice: User,
    bob: User,
    django_assert_num_queries: AssertQueries,
) -> None:
    proposal = proposal_of(open_consultation)
    arguments = [
        actions.post_argument(
            proposal=proposal,
            author=alice,
            stance=Stance.FOR if i % 2 else Stance.AGAINST,
            body="x",
        )
        for i in range(10)
    ]
    actions.post_source(proposal=proposal, author=alice, title="S", url="https://example.org")
    client.force_login(bob)
    with django_assert_num_queries(SIGNED_IN_PROPOSAL_PAGE):
        assert client.get(proposal.get_page_url()).status_code == 200

    voters = make_voters(50)
    for i, citizen in enumerate(voters):
        actions.cast_vote(proposal=proposal, user=citizen, value=VOTES[i % 3][0])
        for argument in (arguments[i % 10], arguments[(i + 3) % 10]):
            actions.toggle_endorsement(argument=argument, user=citizen)
    actions.cast_vote(proposal=proposal, user=bob, value=VoteValue.MIXED)
    actions.toggle_endorsement(argument=arguments[0], user=bob)
    assert Vote.objects.count() == 51
    assert Endorsement.objects.count() == 101
    with django_assert_num_queries(SIGNED_IN_PROPOSAL_PAGE):
        response = client.get(proposal.get_page_url())
    assert response.status_code == 200
    assert "D'accord : 17 · Mitigé : 18 · Pas d'accord : 16" in visible(response.content.decode())
