"""Each page runs a fixed number of queries, whatever the number of contributions."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from django.test import Client

from accounts.models import User
from debates import actions
from debates.models import Consultation, Proposal, Stance
from tests.conftest import make_user, proposal_of

AssertQueries = Callable[..., AbstractContextManager[object]]


def grow(consultation: Consultation, arguments: int, proposals: int = 0) -> Proposal:
    """Add arguments (both stances, several authors) and proposals; return the first proposal."""
    proposal = proposal_of(consultation)
    authors = [make_user(f"citoyen{i}") for i in range(5)]
    for i in range(arguments):
        actions.post_argument(
            proposal=proposal,
            author=authors[i % 5],
            stance=Stance.FOR if i % 3 else Stance.AGAINST,
            body=f"Argument {i}",
        )
    for i in range(0, arguments, 7):
        actions.post_source(
            proposal=proposal, author=authors[i % 5], title=f"S{i}", url="https://example.org"
        )
    for i in range(proposals):
        actions.post_proposal(
            debate=proposal.debate, author=authors[i % 5], title=f"P{i}", body="Texte"
        )
    return proposal


# Anonymous reader. Signed-in readers add two on every page (the session, the
# user), one on consultation and debate pages (whether they follow it) and, on
# a proposal page, five: whether their email is confirmed, their vote, which of
# the shown arguments they endorsed, whether they organise the consultation
# and whether they follow the proposal. The proposal's official answer comes
# with the proposal (select_related), at no extra query.
# home: consultations with their debate counts; their participation figures
#   (one grouped count, cached: none when the cache has them).
# consultation: the consultation; its debates with proposal counts; its calendar
#   changes (dated notices); its participation figures (cached likewise).
# debate: the debate with its consultation; COUNT of proposals; the page's
#   proposal ids (number index); those proposals with authors and counts.
# proposal: the proposal with debate, consultation, author and counts; one page
#   of arguments pour; one of arguments contre; one page of sources.
BUDGETS = {"home": 2, "consultation": 4, "debate": 4, "proposal": 4}
FIGURES_CACHED = {"home": 1, "consultation": 3}


def urls(proposal: Proposal) -> dict[str, str]:
    return {
        "home": "/",
        "consultation": proposal.debate.consultation.get_absolute_url(),
        "debate": proposal.debate.get_absolute_url(),
        "proposal": proposal.get_page_url(),
    }


@pytest.mark.parametrize("size", [10, 500])
@pytest.mark.parametrize("page", list(BUDGETS))
def test_a_page_keeps_its_query_budget_whatever_the_size(
    open_consultation: Consultation,
    client: Client,
    django_assert_num_queries: AssertQueries,
    page: str,
    size: int,
) -> None:
    proposal = grow(open_consultation, arguments=size, proposals=size // 10)
    with django_assert_num_queries(BUDGETS[page]):
        response = client.get(urls(proposal)[page])
    assert response.status_code == 200


@pytest.mark.parametrize("page", list(FIGURES_CACHED))
def test_cached_participation_figures_cost_no_query(
    open_consultation: Consultation,
    client: Client,
    django_assert_num_queries: AssertQueries,
    page: str,
) -> None:
    proposal = grow(open_consultation, arguments=50, proposals=5)
    assert client.get(urls(proposal)[page]).status_code == 200  # counts, fills the cache
    with django_assert_num_queries(FIGURES_CACHED[page]):
        response = client.get(urls(proposal)[page])
    assert response.status_code == 200


def test_a_signed_in_reader_costs_seven_more_queries_on_a_proposal(
    open_consultation: Consultation,
    client: Client,
    alice: User,
    django_assert_num_queries: AssertQueries,
) -> None:
    proposal = grow(open_consultation, arguments=30)
    client.force_login(alice)
    # session, user, confirmed email, their vote, their endorsements, whether
    # they organise the consultation (answer form), whether they follow it.
    with django_assert_num_queries(BUDGETS["proposal"] + 7):
        response = client.get(proposal.get_page_url())
    assert response.status_code == 200


def test_the_permalink_costs_two_queries_for_an_argument(
    open_consultation: Consultation, client: Client, django_assert_num_queries: AssertQueries
) -> None:
    proposal = grow(open_consultation, arguments=120)
    argument = proposal.arguments.order_by("number").first()
    assert argument is not None
    # the contribution with its proposal, debate and consultation; its place in the list
    with django_assert_num_queries(2):
        response = client.get(f"/contributions/{argument.number}/")
    assert response.status_code == 302


def test_posting_an_argument_does_not_count_the_proposal(
    open_consultation: Consultation, client: Client, alice: User
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    proposal = grow(open_consultation, arguments=20)
    client.force_login(alice)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            f"{proposal.get_page_url()}arguments/", {"stance": "for", "body": "Un de plus."}
        )
    assert response.status_code == 302
    # The page's counts (arguments, sources, votes) are subqueries on votes:
    # a post reads none of them.
    assert not [q["sql"] for q in queries.captured_queries if "debates_vote" in q["sql"]]


@pytest.mark.parametrize("size", [10, 300])
def test_the_most_discussed_order_counts_in_one_query_whatever_the_size(
    open_consultation: Consultation,
    client: Client,
    django_assert_num_queries: AssertQueries,
    size: int,
) -> None:
    proposal = grow(open_consultation, arguments=size, proposals=size // 5)
    # the debate; COUNT of proposals; one page sorted by counts computed in SQL
    with django_assert_num_queries(3):
        response = client.get(proposal.debate.get_absolute_url(), {"tri": "discussed"})
    assert response.status_code == 200
