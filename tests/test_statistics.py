"""The statistics page: figures equal to database counts, charts drawn on the server."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta

import pytest
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from accounts import actions as account_actions
from accounts.models import User
from debates import actions, moderation
from debates.counters import rebuild
from debates.models import (
    Argument,
    Consultation,
    Contribution,
    Proposal,
    Source,
    Stance,
    Vote,
    VoteValue,
)
from tests.conftest import make_consultation, make_debate, make_user, proposal_of

AssertQueries = Callable[..., AbstractContextManager[object]]


def address(consultation: Consultation) -> str:
    return f"/consultations/{consultation.slug}/statistiques/"


def stat(html: str, name: str) -> int:
    match = re.search(rf'data-stat="{name}">(\d+)<', html)
    assert match, name
    return int(match.group(1))


def at(day: datetime, hour: int) -> datetime:
    return day.replace(hour=hour, minute=0, second=0, microsecond=0)


@pytest.fixture
def busy(
    open_consultation: Consultation, alice: User, bob: User, vera: User, olga: User
) -> Consultation:
    """Two debates, contributions over five days (two empty), votes, hidden and imported ones."""
    first = proposal_of(open_consultation)
    other = make_debate(open_consultation, "autre")
    carol = make_user("carol", "Carol Votante")  # votes only
    today = timezone.localtime()
    posts = [
        actions.post_proposal(debate=other, author=bob, title="Deuxième", body="x"),
        actions.post_proposal(debate=other, author=vera, title="Troisième", body="x"),
        actions.post_proposal(debate=other, author=bob, title="Masquée", body="x"),
    ]
    second, third, hidden = posts
    for proposal, stance, author in (
        (first, Stance.FOR, bob),
        (first, Stance.FOR, vera),
        (first, Stance.AGAINST, bob),
        (second, Stance.AGAINST, alice),
        (second, Stance.AGAINST, vera),
        (hidden, Stance.FOR, alice),
        (hidden, Stance.FOR, alice),
        (hidden, Stance.FOR, alice),
    ):
        posts.append(
            actions.post_argument(proposal=proposal, author=author, stance=stance, body="…")
        )
    posts.append(actions.post_source(proposal=third, author=alice, title="S", url="https://a.b"))
    posts.append(actions.post_source(proposal=third, author=bob, title="T", url="https://a.b"))
    # Spread over days: today, yesterday, and four days ago (two empty days between).
    for offset, contribution in zip([0, 1, 4, 4, 1, 0, 0, 1, 4, 0, 0, 0, 1], posts, strict=False):
        contribution.created_at = at(today - timedelta(days=offset), 12)
        contribution.save()
    # No write path moves a date after posting: the per-day tallies are rebuilt
    # here as an import leaves them (manage.py recount does the same).
    rebuild(open_consultation)
    for user, value in ((alice, VoteValue.AGREE), (bob, VoteValue.AGREE), (carol, VoteValue.MIXED)):
        actions.cast_vote(proposal=third, user=user, value=value)
    actions.cast_vote(proposal=first, user=carol, value=VoteValue.DISAGREE)
    actions.cast_vote(proposal=hidden, user=carol, value=VoteValue.AGREE)
    second.imported_votes_agree = 7
    second.save()
    moderation.hide(contribution=hidden, actor=olga, reason="spam")
    moderation.hide(contribution=posts[4], actor=olga, reason="offensive")
    account_actions.delete_account(user=vera)  # her contributions and votes still count
    return open_consultation


def test_every_figure_equals_the_database_count(busy: Consultation, client: Client) -> None:
    html = client.get(address(busy)).content.decode()
    proposals = Proposal.objects.filter(debate__consultation=busy)
    arguments = Argument.objects.filter(proposal__debate__consultation=busy)
    sources = Source.objects.filter(proposal__debate__consultation=busy)
    votes = Vote.objects.filter(proposal__debate__consultation=busy)
    authors = {c.author_id for q in (proposals, arguments, sources) for c in q}
    voters = set(votes.values_list("user_id", flat=True))
    assert stat(html, "participants") == len(authors | voters) == 4
    assert stat(html, "proposals") == proposals.count() == 4
    assert stat(html, "arguments-for") == arguments.filter(stance=Stance.FOR).count() == 5
    assert stat(html, "arguments-against") == arguments.filter(stance=Stance.AGAINST).count()
    assert stat(html, "sources") == sources.count() == 2
    imported = proposals.aggregate(Sum("imported_votes_agree"))["imported_votes_agree__sum"]
    assert stat(html, "votes-agree") == votes.filter(value="agree").count() + imported == 10
    assert stat(html, "votes-mixed") == votes.filter(value="mixed").count() == 1
    assert stat(html, "votes-disagree") == votes.filter(value="disagree").count() == 1
    assert "2 proposition(s)" not in html
    assert "Dont 7 vote(s)" in html


def test_the_day_chart_has_one_bar_per_day_with_the_counts_of_the_database(
    busy: Consultation, client: Client
) -> None:
    html = client.get(address(busy)).content.decode()
    in_consultation = Contribution.objects.filter(
        pk__in=[
            *Proposal.objects.filter(debate__consultation=busy).values_list("pk", flat=True),
            *Argument.objects.filter(proposal__debate__consultation=busy).values_list(
                "pk", flat=True
            ),
            *Source.objects.filter(proposal__debate__consultation=busy).values_list(
                "pk", flat=True
            ),
        ]
    )
    expected = Counter(timezone.localdate(c.created_at) for c in in_consultation)
    assert len(expected) == 3
    svg = re.search(r'<svg class="day-chart".*?</svg>', html, re.S).group(0)  # type: ignore[union-attr]
    bars = re.findall(r'<rect class="bar"[^>]*><title>(\d\d)/(\d\d)/(\d{4})&nbsp;: (\d+)', svg)
    drawn = {(int(y), int(m), int(d)): int(n) for d, m, y, n in bars}
    assert len(drawn) == 5  # from the first day to the last, empty days included
    for day, count in expected.items():
        assert drawn[(day.year, day.month, day.day)] == count
    assert sum(drawn.values()) == in_consultation.count() == 14
    table = re.search(r'<details class="chart-data">.*?</details>', html, re.S).group(0)  # type: ignore[union-attr]
    assert [int(n) for n in re.findall(r"</th><td>(\d+)</td></tr>", table)] == [
        drawn[key] for key in sorted(drawn)
    ]


def test_charts_are_accessible_images_with_a_table_alternative(
    busy: Consultation, client: Client
) -> None:
    html = client.get(address(busy)).content.decode()
    svgs = re.findall(r"<svg[^>]*>.*?</svg>", html, re.S)
    assert len(svgs) == 3  # the days, and each of the two debates
    for svg in svgs:
        opening = svg[: svg.index(">")]
        assert 'role="img"' in opening
        labelled_by = re.search(r'aria-labelledby="([^"]+)"', opening).group(1).split()  # type: ignore[union-attr]
        for element_id in labelled_by:
            assert f'id="{element_id}"' in html
        assert "<title" in svg and "<desc" in svg
    assert html.count('<details class="chart-data">') == 2
    assert "<caption>" in html and 'scope="row"' in html and 'scope="col"' in html
    assert "<script" not in html


def test_svg_coordinates_are_not_localised(busy: Consultation, client: Client) -> None:
    html = client.get(address(busy)).content.decode()
    for svg in re.findall(r"<svg.*?</svg>", html, re.S):
        for value in re.findall(r'\s(?:x|y|x1|x2|y1|y2|width|height)="([^"]*)"', svg):
            float(value)  # « 12,5 » would be French decimals, which SVG refuses


def test_each_debate_shows_its_balance_of_arguments(busy: Consultation, client: Client) -> None:
    html = client.get(address(busy)).content.decode()
    for debate in busy.debates.all():
        arguments = Argument.objects.filter(proposal__debate=debate)
        pour = arguments.filter(stance=Stance.FOR).count()
        contre = arguments.filter(stance=Stance.AGAINST).count()
        proposals = debate.proposals.count()
        cells = f"<td>{proposals}</td><td>{pour}</td><td>{contre}</td>"
        row = f'<tr><th scope="row">{debate.title}</th>{cells}</tr>'
        assert row in html, debate.title
    # « theme »: 2 pour, 1 contre, so two thirds of the bar for « pour ».
    assert "2 pour (67 %), 1 contre (33 %)" in html
    assert 'class="bar-for" x="0" y="0" width="400.0"' in html


def test_the_top_lists_leave_hidden_proposals_out(busy: Consultation, client: Client) -> None:
    html = client.get(address(busy)).content.decode()
    discussed = re.search(r'id="discussed-title".*?</section>', html, re.S).group(0)  # type: ignore[union-attr]
    supported = re.search(r'id="supported-title".*?</section>', html, re.S).group(0)  # type: ignore[union-attr]
    titles = re.findall(r"#\d+ ([^<]+)</a>", discussed)
    # 3 arguments; then 2 each, newest first: 2 sources, 2 arguments (one of them hidden)
    assert titles == ["Une proposition", "Troisième", "Deuxième"]
    assert re.findall(r"#\d+ ([^<]+)</a>", supported) == ["Deuxième", "Troisième"]  # 7, then 2
    assert "Masquée" not in html


def test_the_top_lists_hold_ten(
    open_consultation: Consultation, alice: User, client: Client
) -> None:
    debate = proposal_of(open_consultation).debate
    for i in range(12):
        proposal = actions.post_proposal(debate=debate, author=alice, title=f"P{i}", body="x")
        actions.post_argument(proposal=proposal, author=alice, stance=Stance.FOR, body="a")
    html = client.get(address(open_consultation)).content.decode()
    discussed = re.search(r'id="discussed-title".*?</section>', html, re.S).group(0)  # type: ignore[union-attr]
    assert discussed.count("<li>") == 10


def test_an_empty_consultation_has_statistics_too(db: None, client: Client) -> None:
    now = timezone.now()
    empty = make_consultation("vide", now - timedelta(days=1), now + timedelta(days=1))
    make_debate(empty)
    response = client.get(address(empty))
    assert response.status_code == 200
    assert "Aucune contribution pour l’instant." in response.content.decode()


def test_a_draft_has_no_statistics(open_consultation: Consultation, client: Client) -> None:
    open_consultation.is_draft = True
    open_consultation.save()
    assert client.get(address(open_consultation)).status_code == 404


def test_the_consultation_page_links_its_statistics(
    open_consultation: Consultation, client: Client
) -> None:
    html = client.get(open_consultation.get_absolute_url()).content.decode()
    assert f'href="{address(open_consultation)}"' in html


# The consultation (with its stored participant count); the proposals' stored
# counters summed (proposals, arguments, sources, votes by value, imported
# tallies); the stored per-day tallies; debates with their counters summed;
# the ten most discussed; the ten most supported.
@pytest.mark.parametrize("size", [2, 40])
def test_the_statistics_keep_their_query_budget_whatever_the_size(
    open_consultation: Consultation,
    client: Client,
    django_assert_num_queries: AssertQueries,
    size: int,
) -> None:
    proposal = proposal_of(open_consultation)
    for i in range(size):
        user = make_user(f"p{i}")
        debate = make_debate(open_consultation, f"d{i}")
        mine = actions.post_proposal(debate=debate, author=user, title=f"P{i}", body="x")
        actions.post_argument(proposal=proposal, author=user, stance=Stance.FOR, body="a")
        actions.post_source(proposal=mine, author=user, title="s", url="https://e.org")
        actions.cast_vote(proposal=proposal, user=user, value=VoteValue.AGREE)
    with django_assert_num_queries(6):
        response = client.get(address(open_consultation))
    assert response.status_code == 200
