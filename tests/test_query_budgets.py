"""Each page runs a fixed number of queries, whatever the number of contributions."""

from __future__ import annotations

import re
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
# consultation: the consultation; its debates (proposal counts are stored); its
#   calendar changes (dated notices); its participation figures (cached likewise).
# debate: the debate with its consultation and its stored proposal count; the
#   page's proposals with authors (counts are stored columns).
# proposal: the proposal with debate, consultation, author and stored counts;
#   one page of arguments pour; one of arguments contre; one page of sources.
BUDGETS = {"home": 2, "consultation": 4, "debate": 2, "proposal": 4}
FIGURES_CACHED = {"home": 1, "consultation": 3}
ORDERS = ["default", "popular", "recent", "oldest"]


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
    # the contribution with its proposal, debate and consultation (its page
    # follows from its stored position)
    with django_assert_num_queries(1):
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
    # the debate; one page sorted by the stored discussion count
    with django_assert_num_queries(2):
        response = client.get(proposal.debate.get_absolute_url(), {"tri": "discussed"})
    assert response.status_code == 200


def next_link(html: str, column: str) -> str:
    """Return the « Page suivante » link of a column of arguments."""
    section = html.split(f'id="arguments-{column}"', 1)[1].split("</details>", 1)[0]
    match = re.search(r'href="([^"]+)" rel="next"', section)
    assert match, f"no next link in the {column} column"
    return match.group(1).replace("&amp;", "&")


@pytest.mark.parametrize("size", [10, 300])
@pytest.mark.parametrize("order", ORDERS)
def test_the_last_page_of_arguments_costs_what_the_first_does(
    open_consultation: Consultation,
    client: Client,
    django_assert_num_queries: AssertQueries,
    settings: object,
    order: str,
    size: int,
) -> None:
    settings.ARGUMENTS_PER_PAGE = 3  # type: ignore[attr-defined]
    proposal = Proposal.objects.get(pk=grow(open_consultation, arguments=size).pk)
    last_for = -(-proposal.arguments_for // 3)
    last_against = -(-proposal.arguments_against // 3)
    url = f"{proposal.get_page_url()}?ordre={order}&pour={last_for}&contre={last_against}"
    with django_assert_num_queries(BUDGETS["proposal"]):
        response = client.get(url)
    assert response.status_code == 200
    assert f"Page {last_for} sur {last_for}" in response.content.decode()


@pytest.mark.parametrize("order", ORDERS)
def test_following_the_next_links_costs_the_same_on_every_page(
    open_consultation: Consultation,
    client: Client,
    django_assert_num_queries: AssertQueries,
    settings: object,
    order: str,
) -> None:
    settings.ARGUMENTS_PER_PAGE = 4  # type: ignore[attr-defined]
    proposal = grow(open_consultation, arguments=60)
    seen: list[str] = []
    url = f"{proposal.get_page_url()}?ordre={order}"
    for _page in range(4):
        with django_assert_num_queries(BUDGETS["proposal"]):
            html = client.get(url).content.decode()
        section = html.split('id="arguments-for"', 1)[1].split("</details>", 1)[0]
        seen += re.findall(r'id="(contribution-\d+)"', section)
        url = proposal.get_page_url() + next_link(html, "for")
    # Four pages of four, none shown twice: the cursor continues where the page ended.
    assert len(seen) == len(set(seen)) == 16


@pytest.mark.parametrize("size", [10, 300])
def test_the_permalink_of_the_deepest_argument_costs_one_query(
    open_consultation: Consultation,
    client: Client,
    django_assert_num_queries: AssertQueries,
    size: int,
) -> None:
    proposal = grow(open_consultation, arguments=size)
    deepest = proposal.arguments.order_by("-number").first()
    assert deepest is not None
    with django_assert_num_queries(1):
        response = client.get(f"/contributions/{deepest.number}/")
    assert response.status_code == 302
    assert response["Location"].endswith(f"#contribution-{deepest.number}")
