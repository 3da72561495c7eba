"""What a reader sees: the home page, a consultation, a debate, a proposal, permalinks."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from debates import actions
from debates.models import Argument, Consultation, Proposal, Stance
from tests.conftest import make_consultation, make_debate, make_user, proposal_of


def visible(html: str) -> str:
    """Return the text of a page with tags removed and spaces collapsed."""
    text = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    return re.sub(r"\s+", " ", text)


def test_the_home_page_groups_consultations_by_phase(
    open_consultation: Consultation,
    closed_consultation: Consultation,
    upcoming_consultation: Consultation,
    client: Client,
) -> None:
    text = visible(client.get("/").content.decode())
    open_at = text.index("Ouvertes à la participation")
    upcoming_at = text.index("À venir")
    closed_at = text.index("Fermées : archives publiques")
    assert open_at < text.index(open_consultation.title) < upcoming_at
    assert upcoming_at < text.index(upcoming_consultation.title) < closed_at
    assert closed_at < text.index(closed_consultation.title)


def test_the_consultation_page_lists_debates_with_their_proposal_counts(
    open_consultation: Consultation, alice: User, client: Client
) -> None:
    debate = make_debate(open_consultation, "second")
    for i in range(3):
        actions.post_proposal(debate=debate, author=alice, title=f"P{i}", body="x")
    text = visible(client.get(open_consultation.get_absolute_url()).content.decode())
    assert "Débat theme 1 proposition" in text
    assert "Débat second 3 propositions" in text


def test_the_debate_page_shows_number_author_badge_and_counts(
    open_consultation: Consultation, vera: User, bob: User, client: Client
) -> None:
    proposal = proposal_of(open_consultation)
    mine = actions.post_proposal(debate=proposal.debate, author=vera, title="Vérifiée", body="x")
    actions.post_argument(proposal=mine, author=bob, stance=Stance.FOR, body="oui")
    actions.post_argument(proposal=mine, author=bob, stance=Stance.AGAINST, body="non")
    actions.post_argument(proposal=mine, author=bob, stance=Stance.AGAINST, body="non")
    actions.post_source(proposal=mine, author=bob, title="S", url="https://example.org")
    text = visible(client.get(proposal.debate.get_absolute_url()).content.decode())
    # « VV »: the initials disc beside the name (aria-hidden, but seen).
    assert f"Vérifiée VV Vera Vérifiée Compte vérifié #{mine.number}, le" in text
    assert "1 argument pour · 2 arguments contre · 1 source" in text
    assert "2 propositions" in text


def test_the_debate_page_sorts_recent_oldest_and_most_discussed(
    open_consultation: Consultation, alice: User, client: Client
) -> None:
    first = proposal_of(open_consultation)
    debate = first.debate
    second = actions.post_proposal(debate=debate, author=alice, title="Deuxième", body="x")
    third = actions.post_proposal(debate=debate, author=alice, title="Troisième", body="x")
    for _ in range(2):
        actions.post_argument(proposal=second, author=alice, stance=Stance.FOR, body="x")

    def order(sort: str) -> list[str]:
        html = client.get(debate.get_absolute_url(), {"tri": sort}).content.decode()
        return re.findall(r'id="contribution-(\d+)"', html)

    numbers = [str(p.number) for p in (first, second, third)]
    assert order("recent") == numbers[::-1]
    assert order("oldest") == numbers
    assert order("discussed") == [numbers[1], numbers[2], numbers[0]]


@pytest.mark.parametrize(
    "query", ["?page=abc", "?page=-1", "?page=999999", "?tri=<script>", "?tri=&page="]
)
def test_malformed_list_parameters_never_break_the_debate_page(
    open_consultation: Consultation, client: Client, query: str
) -> None:
    debate = proposal_of(open_consultation).debate
    response = client.get(debate.get_absolute_url() + query)
    assert response.status_code == 200
    assert "<script>" not in response.content.decode().split("<main", 1)[1]


def test_the_debate_page_is_paginated(
    open_consultation: Consultation, alice: User, client: Client, settings: object
) -> None:
    settings.PROPOSALS_PER_PAGE = 2  # type: ignore[attr-defined]
    debate = proposal_of(open_consultation).debate
    for i in range(4):
        actions.post_proposal(debate=debate, author=alice, title=f"P{i}", body="x")
    html = client.get(debate.get_absolute_url(), {"page": 3}).content.decode()
    assert "Page 3 sur 3" in visible(html)
    assert len(re.findall(r'class="proposal-item"', html)) == 1


def test_user_text_is_escaped_with_paragraphs_and_links_kept(
    open_consultation: Consultation, client: Client, alice: User
) -> None:
    debate = proposal_of(open_consultation).debate
    proposal = actions.post_proposal(
        debate=debate,
        author=alice,
        title="<b>Titre</b>",
        body="Premier <script>alert(1)</script>\n\nSecond https://example.org/page",
    )
    html = client.get(proposal.get_page_url()).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;Titre&lt;/b&gt;" in html
    assert "<p>Second" in html
    assert '<a href="https://example.org/page" rel="nofollow">' in html


def test_the_proposal_page_offers_sign_in_prompts_while_open(
    open_consultation: Consultation, client: Client
) -> None:
    text = visible(client.get(proposal_of(open_consultation).get_page_url()).content.decode())
    assert "La période de participation est maintenant fermée" not in text
    assert "La consultation est fermée" not in text
    assert text.count("Connectez-vous pour proposer un argument.") == 2
    assert "Connectez-vous pour déposer une source." in text


def test_the_proposal_page_shows_forms_to_a_signed_in_citizen(
    open_consultation: Consultation, client: Client, bob: User
) -> None:
    client.force_login(bob)
    html = client.get(proposal_of(open_consultation).get_page_url()).content.decode()
    assert 'name="stance" value="for"' in html
    assert 'name="stance" value="against"' in html
    assert 'id="id_url"' in html


def test_an_invalid_argument_is_refused_next_to_its_field_with_the_text_kept(
    open_consultation: Consultation, client: Client, bob: User
) -> None:
    client.force_login(bob)
    proposal = proposal_of(open_consultation)
    response = client.post(
        f"{proposal.get_page_url()}arguments/", {"stance": "against", "body": "x" * 5001}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_body_against_error"' in html
    assert "Assurez-vous que cette valeur comporte au plus 5000 caractères" in html
    assert "x" * 5001 in html
    assert Argument.objects.count() == 0


def test_a_source_must_be_an_http_link(
    open_consultation: Consultation, client: Client, bob: User
) -> None:
    client.force_login(bob)
    proposal = proposal_of(open_consultation)
    response = client.post(
        f"{proposal.get_page_url()}sources/", {"title": "x", "url": "javascript:alert(1)"}
    )
    assert response.status_code == 400
    assert "Saisissez une URL valide" in response.content.decode()


def test_a_posted_argument_lands_on_its_permalink_with_its_number(
    open_consultation: Consultation, client: Client, bob: User
) -> None:
    client.force_login(bob)
    proposal = proposal_of(open_consultation)
    response = client.post(
        f"{proposal.get_page_url()}arguments/", {"stance": "for", "body": "Bien vu"}, follow=True
    )
    argument = Argument.objects.get()
    assert argument.number == proposal.number + 1
    assert response.redirect_chain[0][0] == f"/contributions/{argument.number}/"
    assert response.redirect_chain[-1][0].endswith(f"#contribution-{argument.number}")
    assert f"Votre argument est publié sous le numéro #{argument.number}." in visible(
        response.content.decode()
    )


def build_arguments(proposal: Proposal, count: int) -> list[Argument]:
    author = make_user("auteur")
    now = timezone.now()
    made = []
    for i in range(count):
        argument = actions.post_argument(
            proposal=proposal, author=author, stance=Stance.FOR, body=f"Argument {i}"
        )
        # Spread the dates so "oldest" and "recent" are told apart by date.
        argument.created_at = now - timedelta(hours=count - i)
        argument.save()
        made.append(argument)
    return made


def numbers_on(client: Client, url: str, **query: str) -> list[int]:
    html = client.get(url, query).content.decode()
    section = html.split('id="arguments-for"', 1)[1].split("</details>", 1)[0]
    return [int(n) for n in re.findall(r'id="contribution-(\d+)"', section)]


def test_arguments_follow_the_reference_order_then_the_reader_s_choice(
    open_consultation: Consultation, client: Client
) -> None:
    proposal = proposal_of(open_consultation)
    a, b, c = build_arguments(proposal, 3)
    # An imported consultation keeps the order its platform showed.
    b.original_rank, c.original_rank = 1, 2
    b.save()
    c.save()
    url = proposal.get_page_url()
    assert numbers_on(client, url) == [b.number, c.number, a.number]
    assert numbers_on(client, url, ordre="recent") == [c.number, b.number, a.number]
    assert numbers_on(client, url, ordre="oldest") == [a.number, b.number, c.number]
    assert numbers_on(client, url, ordre="nimporte") == [b.number, c.number, a.number]


def test_long_argument_lists_are_paginated_and_the_permalink_finds_the_page(
    open_consultation: Consultation, client: Client, settings: object
) -> None:
    settings.ARGUMENTS_PER_PAGE = 4  # type: ignore[attr-defined]
    proposal = proposal_of(open_consultation)
    made = build_arguments(proposal, 10)
    url = proposal.get_page_url()
    newest_first = [a.number for a in reversed(made)]
    assert numbers_on(client, url) == newest_first[:4]
    assert numbers_on(client, url, pour="3") == newest_first[8:]
    assert numbers_on(client, url, pour="99") == newest_first[8:]
    assert numbers_on(client, url, pour="zéro") == newest_first[:4]
    # The permalink leads to the oldest-first order, where an argument's page
    # follows from its stored position and never moves.
    newest, oldest = made[-1], made[0]
    response = client.get(f"/contributions/{newest.number}/")
    assert response["Location"] == f"{url}?ordre=oldest&pour=3#contribution-{newest.number}"
    assert numbers_on(client, url, ordre="oldest", pour="3") == [a.number for a in made[8:]]
    response = client.get(f"/contributions/{oldest.number}/")
    assert response["Location"] == f"{url}?ordre=oldest#contribution-{oldest.number}"


def pager_link(html: str, rel: str) -> str | None:
    """Return the previous or next link of the arguments pour, if there is one."""
    section = html.split('id="arguments-for"', 1)[1].split("</details>", 1)[0]
    match = re.search(rf'href="([^"#]+)[^"]*" rel="{rel}"', section)
    return match.group(1).replace("&amp;", "&") if match else None


@pytest.mark.parametrize("order", ["default", "popular", "recent", "oldest"])
def test_the_next_and_previous_links_walk_every_order_exactly(
    open_consultation: Consultation, client: Client, settings: object, order: str
) -> None:
    settings.ARGUMENTS_PER_PAGE = 3  # type: ignore[attr-defined]
    proposal = proposal_of(open_consultation)
    made = build_arguments(proposal, 11)
    voters = [make_user(f"soutien{i}") for i in range(3)]
    support = {}
    for i, argument in enumerate(made):
        support[argument.number] = i % 4
        for voter in voters[: i % 4]:
            actions.toggle_endorsement(argument=argument, user=voter)
    numbers = [a.number for a in made]
    expected = {
        "default": sorted(numbers, key=lambda n: (-support[n], -n)),
        "popular": sorted(numbers, key=lambda n: (-support[n], -n)),
        "recent": sorted(numbers, reverse=True),
        "oldest": sorted(numbers),
    }[order]
    url = proposal.get_page_url()
    pages: list[list[int]] = []
    link: str | None = f"?ordre={order}"
    while link:
        html = client.get(url + link).content.decode()
        pages.append(numbers_on(client, url + link))
        link = pager_link(html, "next")
    assert [n for page in pages for n in page] == expected
    assert [len(page) for page in pages] == [3, 3, 3, 2]
    # And back again from the last page, by the previous links.
    back: list[list[int]] = [pages[-1]]
    link = pager_link(html, "prev")
    while link:
        html = client.get(url + link).content.decode()
        back.append(numbers_on(client, url + link))
        link = pager_link(html, "prev")
    assert back == pages[::-1]


@pytest.mark.parametrize(
    "cursor", ["pour_apres=abc", "pour_apres=1.2", "pour_avant=" + "9" * 30 + ".0.0"]
)
def test_a_malformed_cursor_falls_back_to_the_page_number(
    open_consultation: Consultation, client: Client, settings: object, cursor: str
) -> None:
    settings.ARGUMENTS_PER_PAGE = 4  # type: ignore[attr-defined]
    proposal = proposal_of(open_consultation)
    made = build_arguments(proposal, 10)
    newest_first = [a.number for a in reversed(made)]
    url = proposal.get_page_url()
    html = client.get(f"{url}?pour=2&{cursor}")
    assert html.status_code == 200
    assert numbers_on(client, f"{url}?pour=2&{cursor}") == newest_first[4:8]


def test_a_permalink_leads_to_a_proposal_an_argument_or_a_source(
    open_consultation: Consultation, client: Client, bob: User
) -> None:
    proposal = proposal_of(open_consultation)
    argument = actions.post_argument(proposal=proposal, author=bob, stance="against", body="x")
    source = actions.post_source(proposal=proposal, author=bob, title="t", url="https://a.fr")
    page = proposal.get_page_url()
    assert client.get(f"/contributions/{proposal.number}/")["Location"] == page
    assert (
        client.get(f"/contributions/{argument.number}/")["Location"]
        == f"{page}?ordre=oldest#contribution-{argument.number}"
    )
    assert (
        client.get(f"/contributions/{source.number}/")["Location"]
        == f"{page}#contribution-{source.number}"
    )


@pytest.mark.parametrize(
    "url",
    [
        "/contributions/424242/",
        "/contributions/99999999999999999999/",
        "/contributions/abc/",
        "/consultations/inconnue/",
        "/consultations/ouverte/inconnu/",
        "/consultations/ouverte/theme/999/",
    ],
)
def test_unknown_addresses_answer_a_french_404(
    open_consultation: Consultation, client: Client, url: str
) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


def test_a_proposal_under_the_wrong_debate_is_not_found(
    open_consultation: Consultation, client: Client
) -> None:
    proposal = proposal_of(open_consultation)
    make_debate(open_consultation, "autre")
    url = f"/consultations/ouverte/autre/{proposal.number}/"
    assert client.get(url).status_code == 404


def test_before_opening_pages_say_when_participation_opens(client: Client, alice: User) -> None:
    opens = timezone.now() + timedelta(days=2)
    consultation = make_consultation("bientot", opens, opens + timedelta(days=10))
    debate = make_debate(consultation)
    proposal = actions.post_proposal(debate=debate, author=alice, title="t", body="b")
    text = visible(client.get(proposal.get_page_url()).content.decode())
    assert "La participation ouvrira le" in text
    assert "La consultation est fermée" not in text


def test_pages_answer_head_requests_like_get(
    open_consultation: Consultation, client: Client
) -> None:
    proposal = proposal_of(open_consultation)
    for url in ("/", open_consultation.get_absolute_url(), proposal.get_page_url()):
        assert client.head(url).status_code == 200, url
    assert client.head(f"/contributions/{proposal.number}/").status_code == 302


def test_the_database_refuses_a_source_link_that_is_not_http(
    open_consultation: Consultation, bob: User
) -> None:
    from django.db import IntegrityError, transaction

    proposal = proposal_of(open_consultation)
    with pytest.raises(IntegrityError), transaction.atomic():
        actions.post_source(proposal=proposal, author=bob, title="x", url="javascript:alert(1)")
    actions.post_source(proposal=proposal, author=bob, title="x", url="http://example.org")


def test_every_page_carries_a_strict_content_security_policy(
    open_consultation: Consultation, client: Client
) -> None:
    policy = client.get("/")["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy


@pytest.mark.parametrize(("language", "placeholder"), [("fr", "numéro"), ("en", "number")])
def test_the_about_page_shows_the_permalink_pattern_as_text_not_as_a_tag(
    client: Client, language: str, placeholder: str
) -> None:
    html = client.get("/a-propos/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert f"<code>/contributions/<var>{placeholder}</var>/</code>" in html
    assert "<numéro>" not in html and "<number>" not in html


def test_the_consultation_page_shows_the_debates_before_the_open_data(
    open_consultation: Consultation, client: Client
) -> None:
    text = visible(client.get(open_consultation.get_absolute_url()).content.decode())
    debates = text.index("Les débats")
    assert debates < text.index(proposal_of(open_consultation).debate.title)
    assert text.index(proposal_of(open_consultation).debate.title) < text.index("Données ouvertes")


def test_a_long_debate_lists_its_first_last_and_nearby_pages(
    open_consultation: Consultation, alice: User, client: Client, settings: object
) -> None:
    settings.PROPOSALS_PER_PAGE = 2  # type: ignore[attr-defined]
    debate = proposal_of(open_consultation).debate
    while debate.proposals.count() < 22:  # 11 pages
        actions.post_proposal(debate=debate, author=alice, title="P", body="Texte.")
    html = client.get(debate.get_absolute_url(), {"page": 6}).content.decode()
    pager = html.split('aria-label="Pages des propositions"', 1)[1].split("</nav>", 1)[0]
    shown = [int(n) for n in re.findall(r"</span>(\d+)</a>", pager)]
    assert shown == [1, 4, 5, 6, 7, 8, 11]
    assert pager.count('aria-hidden="true">…') == 2
    assert re.search(r'href="\?tri=recent&amp;reponse=&amp;page=6" aria-current="page">', pager)
    assert pager.count("aria-current") == 1
    assert 'href="?tri=recent&amp;reponse=&amp;page=5" rel="prev"' in pager
    assert 'href="?tri=recent&amp;reponse=&amp;page=11"' in pager
    first = client.get(debate.get_absolute_url()).content.decode()
    first_pager = first.split('aria-label="Pages des propositions"', 1)[1].split("</nav>", 1)[0]
    assert [int(n) for n in re.findall(r"</span>(\d+)</a>", first_pager)] == [1, 2, 3, 11]
