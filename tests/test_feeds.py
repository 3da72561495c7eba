"""Atom feeds: new proposals of a consultation and of a debate, arguments of a proposal."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta

import pytest
from django.contrib.sites.models import Site
from django.test import Client
from django.utils import timezone

from accounts.models import User
from debates import actions, moderation
from debates.models import Consultation, Proposal, Stance
from debates.opendata.feeds import FEED_SIZE
from tests.conftest import make_debate, proposal_of

AssertQueries = Callable[..., AbstractContextManager[object]]
ATOM = "{http://www.w3.org/2005/Atom}"


def feed_urls(proposal: Proposal) -> dict[str, str]:
    consultation, debate = proposal.debate.consultation.slug, proposal.debate.slug
    return {
        "consultation": f"/consultations/{consultation}/propositions.atom",
        "debate": f"/consultations/{consultation}/{debate}/propositions.atom",
        "proposal": f"/consultations/{consultation}/{debate}/{proposal.number}/arguments.atom",
    }


def parse_atom(client: Client, address: str) -> ET.Element:
    """Fetch a feed and check what RFC 4287 requires of a feed and of each entry."""
    response = client.get(address)
    assert response.status_code == 200, address
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{required}") is not None, required
    for entry in root.findall(f"{ATOM}entry"):
        for required in ("id", "title", "updated"):
            assert entry.findtext(f"{ATOM}{required}"), required
        assert entry.find(f"{ATOM}link").get("href")  # type: ignore[union-attr]
    return root


def entries(root: ET.Element) -> list[dict[str, str]]:
    return [
        {
            "title": e.findtext(f"{ATOM}title") or "",
            "link": e.find(f"{ATOM}link").get("href") or "",  # type: ignore[union-attr]
            "author": e.findtext(f"{ATOM}author/{ATOM}name") or "",
            "summary": e.findtext(f"{ATOM}summary") or "",
            "category": ",".join(c.get("term") or "" for c in e.findall(f"{ATOM}category")),
        }
        for e in root.findall(f"{ATOM}entry")
    ]


@pytest.fixture
def discussed(open_consultation: Consultation, alice: User, bob: User, olga: User) -> Proposal:
    """Three proposals in two debates; arguments on the first; one hidden of each kind."""
    proposal = proposal_of(open_consultation)
    other = make_debate(open_consultation, "autre")
    actions.post_proposal(debate=proposal.debate, author=bob, title="Deuxième", body="<b>x</b>")
    actions.post_proposal(debate=other, author=bob, title="Ailleurs", body="Texte.")
    hidden = actions.post_proposal(debate=other, author=bob, title="Spam", body="SPAM")
    actions.post_argument(proposal=proposal, author=bob, stance=Stance.FOR, body="Oui.")
    actions.post_argument(proposal=proposal, author=alice, stance=Stance.AGAINST, body="Non.")
    bad = actions.post_argument(proposal=proposal, author=bob, stance=Stance.FOR, body="INJURE")
    for item in (hidden, bad):
        moderation.hide(contribution=item, actor=olga, reason="spam")
    return proposal


def test_the_consultation_feed_lists_its_new_proposals_newest_first(
    discussed: Proposal, client: Client
) -> None:
    root = parse_atom(client, feed_urls(discussed)["consultation"])
    assert root.findtext(f"{ATOM}title") == "Nouvelles propositions · Consultation ouverte"
    items = entries(root)
    assert [i["title"] for i in items] == [
        f"#{discussed.number + 2} Ailleurs",
        f"#{discussed.number + 1} Deuxième",
        f"#{discussed.number} Une proposition",
    ]
    domain = Site.objects.get_current().domain
    assert items[0]["link"] == f"http://{domain}/contributions/{discussed.number + 2}/"
    assert items[0]["author"] == "Bob Durand"
    assert items[0]["category"] == "Débat autre"


def test_the_debate_feed_lists_only_its_debates_proposals(
    discussed: Proposal, client: Client
) -> None:
    root = parse_atom(client, feed_urls(discussed)["debate"])
    assert root.findtext(f"{ATOM}title") == "Nouvelles propositions · Débat theme"
    assert [i["title"] for i in entries(root)] == [
        f"#{discussed.number + 1} Deuxième",
        f"#{discussed.number} Une proposition",
    ]


def test_the_proposal_feed_lists_its_arguments_with_their_stance(
    discussed: Proposal, client: Client
) -> None:
    root = parse_atom(client, feed_urls(discussed)["proposal"])
    assert root.findtext(f"{ATOM}title") == f"Arguments · #{discussed.number} Une proposition"
    items = entries(root)
    numbers = [discussed.number + 5, discussed.number + 4]
    assert [i["title"] for i in items] == [
        f"Argument contre #{numbers[0]}, de Alice Martin",
        f"Argument pour #{numbers[1]}, de Bob Durand",
    ]
    assert [i["category"] for i in items] == ["contre", "pour"]
    assert items[1]["link"].endswith(f"/contributions/{numbers[1]}/")


def test_hidden_contributions_stay_out_of_every_feed(discussed: Proposal, client: Client) -> None:
    for address in feed_urls(discussed).values():
        body = client.get(address).content.decode()
        assert "SPAM" not in body
        assert "INJURE" not in body
        assert "Spam" not in body


def test_a_hidden_proposal_keeps_its_arguments_feed_without_its_title(
    discussed: Proposal, client: Client, olga: User
) -> None:
    moderation.hide(contribution=discussed, actor=olga, reason="off_topic")
    root = parse_atom(client, feed_urls(discussed)["proposal"])
    assert root.findtext(f"{ATOM}title") == (
        f"Arguments · Proposition #{discussed.number} masquée par la modération"
    )
    assert "Une proposition" not in ET.tostring(root, encoding="unicode")


def test_an_entry_summary_is_escaped_text(discussed: Proposal, client: Client) -> None:
    root = parse_atom(client, feed_urls(discussed)["debate"])
    summary = entries(root)[0]["summary"]
    assert "&lt;b&gt;x&lt;/b&gt;" in summary  # HTML of the summary: the tags stay text
    assert "<b>" not in summary


def test_a_feed_holds_the_newest_fifty(
    open_consultation: Consultation, alice: User, client: Client
) -> None:
    debate = proposal_of(open_consultation).debate
    for i in range(FEED_SIZE + 5):
        actions.post_proposal(debate=debate, author=alice, title=f"P{i}", body="x")
    root = parse_atom(client, f"/consultations/{open_consultation.slug}/propositions.atom")
    items = entries(root)
    assert len(items) == FEED_SIZE == 50
    assert items[0]["title"].endswith(f"P{FEED_SIZE + 4}")


def test_the_feed_is_updated_at_its_latest_entry(discussed: Proposal, client: Client) -> None:
    discussed.updated_at = timezone.now() + timedelta(hours=1)
    discussed.save()
    root = parse_atom(client, feed_urls(discussed)["debate"])
    updated = root.findtext(f"{ATOM}updated") or ""
    assert updated.startswith(discussed.updated_at.strftime("%Y-%m-%dT%H:%M"))


def test_pages_announce_their_feed_in_the_head(discussed: Proposal, client: Client) -> None:
    urls = feed_urls(discussed)
    pages = {
        "consultation": discussed.debate.consultation.get_absolute_url(),
        "debate": discussed.debate.get_absolute_url(),
        "proposal": discussed.get_page_url(),
    }
    for kind, page in pages.items():
        html = client.get(page).content.decode()
        head = html[: html.index("</head>")]
        assert (
            '<link rel="alternate" type="application/atom+xml" title="' in head
            and f'href="{urls[kind]}"' in head
        ), kind
        assert head.count("application/atom+xml") == 1, kind


def test_a_draft_has_no_feed(discussed: Proposal, client: Client, olga: User) -> None:
    consultation = discussed.debate.consultation
    consultation.is_draft = True
    consultation.save()
    client.force_login(olga)
    for address in feed_urls(discussed).values():
        assert client.get(address).status_code == 404


def test_an_unknown_debate_or_proposal_has_no_feed(discussed: Proposal, client: Client) -> None:
    slug = discussed.debate.consultation.slug
    assert client.get(f"/consultations/{slug}/inconnu/propositions.atom").status_code == 404
    assert client.get(f"/consultations/{slug}/theme/999999/arguments.atom").status_code == 404


# Each feed: its object (the debate and the proposal join their parents); its
# entries with their authors (and debates). The Site is cached after the first request.
@pytest.mark.parametrize("size", [2, 60])
@pytest.mark.parametrize("kind", ["consultation", "debate", "proposal"])
def test_a_feed_keeps_its_query_budget_whatever_the_size(
    open_consultation: Consultation,
    alice: User,
    bob: User,
    client: Client,
    django_assert_num_queries: AssertQueries,
    kind: str,
    size: int,
) -> None:
    proposal = proposal_of(open_consultation)
    for i in range(size):
        actions.post_proposal(debate=proposal.debate, author=bob, title=f"P{i}", body="x")
        actions.post_argument(proposal=proposal, author=alice, stance=Stance.FOR, body="a")
    Site.objects.get_current()
    with django_assert_num_queries(2):
        parse_atom(client, feed_urls(proposal)[kind])
