"""Search within a consultation: words without accents or plural marks, never hidden text."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import pytest
from django.db import connection
from django.test import Client

from accounts.models import User
from debates import actions, moderation
from debates.models import Consultation, Proposal, Stance
from debates.opendata import search
from tests.conftest import make_debate, proposal_of

AssertQueries = Callable[..., AbstractContextManager[object]]


@pytest.fixture(autouse=True)
def _forget_the_database_features() -> Iterator[None]:
    """Each test asks PostgreSQL again whether unaccent is installed."""
    search.has_unaccent.cache_clear()
    yield
    search.has_unaccent.cache_clear()


def address(consultation: Consultation) -> str:
    return f"/consultations/{consultation.slug}/recherche/"


def results(client: Client, consultation: Consultation, q: str, **params: str) -> list[str]:
    """Return the titles of the results (their <h3>, tags removed)."""
    response = client.get(address(consultation), {"q": q, **params})
    assert response.status_code == 200
    html = response.content.decode()
    return [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<h3>(.*?)</h3>", html, re.S)]


def numbers(client: Client, consultation: Consultation, q: str, **params: str) -> list[int]:
    return [
        int(re.search(r"#(\d+)", t).group(1)) for t in results(client, consultation, q, **params)
    ]  # type: ignore[union-attr]


@pytest.fixture
def library(open_consultation: Consultation, alice: User, bob: User) -> dict[str, Proposal]:
    """Proposals with accents, plurals and an argument to find."""
    debate = proposal_of(open_consultation).debate
    post = actions.post_proposal
    found = {
        "numerique": post(
            debate=debate,
            author=alice,
            title="Une école numérique",
            body="Former les élèves à la culture numérique dès le collège.",
        ),
        "citoyens": post(
            debate=debate,
            author=bob,
            title="Des budgets citoyens",
            body="Les citoyens votent chaque année.",
        ),
        "partie": post(
            debate=debate, author=bob, title="Une partie du budget", body="Réservée aux quartiers."
        ),
    }
    actions.post_argument(
        proposal=found["citoyens"],
        author=alice,
        stance=Stance.AGAINST,
        body="Les outils NUMÉRIQUES excluent une partie des habitants.",
    )
    return found


def test_a_word_without_accent_and_in_the_plural_finds_the_accented_singular(
    library: dict[str, Proposal], client: Client, open_consultation: Consultation
) -> None:
    found = numbers(client, open_consultation, "numeriques")
    assert library["numerique"].number in found


def test_the_singular_finds_the_plural_and_the_plural_the_singular(
    library: dict[str, Proposal], client: Client, open_consultation: Consultation
) -> None:
    assert library["citoyens"].number in numbers(client, open_consultation, "citoyen")
    assert library["numerique"].number in numbers(client, open_consultation, "écoles")


def test_arguments_are_found_too_and_link_to_their_permalink(
    library: dict[str, Proposal], client: Client, open_consultation: Consultation
) -> None:
    response = client.get(address(open_consultation), {"q": "numérique"})
    html = response.content.decode()
    argument = library["citoyens"].arguments.get()
    assert f'href="/contributions/{argument.number}/"' in html
    assert f"Argument contre #{argument.number}" in html
    assert f"sur la proposition #{library['citoyens'].number}" in html


def test_every_word_must_be_found(
    library: dict[str, Proposal], client: Client, open_consultation: Consultation
) -> None:
    assert numbers(client, open_consultation, "numérique collège") == [library["numerique"].number]
    assert numbers(client, open_consultation, "numérique introuvable") == []


def test_a_word_matches_whole_words_not_the_middle_of_one(
    library: dict[str, Proposal], client: Client, open_consultation: Consultation
) -> None:
    # « art » is in « partie » but starts no word of the consultation.
    assert numbers(client, open_consultation, "art") == []


def test_words_found_are_highlighted_in_escaped_text(
    open_consultation: Consultation, alice: User, client: Client
) -> None:
    debate = proposal_of(open_consultation).debate
    actions.post_proposal(
        debate=debate, author=alice, title="Numérique <script>", body="<b>données</b> numériques"
    )
    html = client.get(address(open_consultation), {"q": "numerique"}).content.decode()
    assert "<mark>Numérique</mark> &lt;script&gt;" in html
    assert "&lt;b&gt;données&lt;/b&gt; <mark>numériques</mark>" in html
    assert "<script>" not in html.split("<main", 1)[1]


def test_a_long_text_shows_an_excerpt_around_the_first_word_found(
    open_consultation: Consultation, alice: User, client: Client
) -> None:
    body = "Préambule. " * 60 + "Ici la transition énergétique. " + "Conclusion. " * 60
    debate = proposal_of(open_consultation).debate
    actions.post_proposal(debate=debate, author=alice, title="Long", body=body)
    html = client.get(address(open_consultation), {"q": "energetique"}).content.decode()
    excerpt = re.search(r'<p class="excerpt">(.*?)</p>', html, re.S).group(1)  # type: ignore[union-attr]
    assert "<mark>énergétique</mark>" in excerpt
    assert excerpt.startswith("… ") and excerpt.endswith(" …")
    assert len(re.sub(r"<[^>]+>", "", excerpt)) < 260


def test_hidden_contributions_are_never_found(
    library: dict[str, Proposal], client: Client, open_consultation: Consultation, olga: User
) -> None:
    argument = library["citoyens"].arguments.get()
    moderation.hide(contribution=argument, actor=olga, reason="offensive")
    moderation.hide(contribution=library["numerique"], actor=olga, reason="spam")
    assert numbers(client, open_consultation, "numerique") == []
    assert numbers(client, open_consultation, "habitants") == []


def test_an_argument_on_a_hidden_proposal_does_not_show_the_proposals_title(
    library: dict[str, Proposal], client: Client, open_consultation: Consultation, olga: User
) -> None:
    moderation.hide(contribution=library["citoyens"], actor=olga, reason="spam")
    html = client.get(address(open_consultation), {"q": "habitants"}).content.decode()
    assert "masquée par la modération" in html
    assert "budgets citoyens" not in html


def test_other_consultations_are_not_searched(
    library: dict[str, Proposal], client: Client, closed_consultation: Consultation
) -> None:
    assert numbers(client, closed_consultation, "numerique") == []


def test_an_empty_query_shows_the_form_only(
    open_consultation: Consultation, client: Client, django_assert_num_queries: AssertQueries
) -> None:
    with django_assert_num_queries(1):  # the consultation
        response = client.get(address(open_consultation), {"q": "   "})
    html = response.content.decode()
    assert '<label for="q">' in html
    assert 'id="results-title"' not in html
    assert client.get(address(open_consultation)).status_code == 200


def test_a_search_without_result_says_nothing_was_found(
    library: dict[str, Proposal], client: Client, open_consultation: Consultation
) -> None:
    html = client.get(address(open_consultation), {"q": "introuvable"}).content.decode()
    assert "0 résultat" in html
    assert "Aucune proposition ni aucun argument ne contient tous ces mots." in html
    assert "Tapez au moins un mot." not in html


def test_a_query_without_any_word_asks_for_one(
    open_consultation: Consultation, client: Client
) -> None:
    html = client.get(address(open_consultation), {"q": "!"}).content.decode()
    assert "Tapez au moins un mot." in html
    assert 'id="results-title"' not in html


def test_a_very_long_query_is_cut_and_says_so(
    library: dict[str, Proposal], client: Client, open_consultation: Consultation
) -> None:
    response = client.get(address(open_consultation), {"q": "numérique " + "x" * 10_000})
    assert response.status_code == 200
    html = response.content.decode()
    assert "trop longue" in html
    many = " ".join(f"mot{i}" for i in range(200))
    assert client.get(address(open_consultation), {"q": many}).status_code == 200


@pytest.mark.parametrize(
    "q", ["de la", "'", '"', "&", "!", "(", "a:b", "-", "numérique | OR", "\\", "%", "_", "ß"]
)
def test_stop_words_and_punctuation_are_answered_without_error(
    library: dict[str, Proposal], client: Client, open_consultation: Consultation, q: str
) -> None:
    assert client.get(address(open_consultation), {"q": q}).status_code == 200


def test_the_query_is_kept_in_the_form_escaped(
    open_consultation: Consultation, client: Client
) -> None:
    html = client.get(address(open_consultation), {"q": '"><script>x'}).content.decode()
    assert 'value="&quot;&gt;&lt;script&gt;x"' in html


def test_results_are_paginated_and_pages_keep_the_query(
    open_consultation: Consultation, alice: User, client: Client
) -> None:
    debate = proposal_of(open_consultation).debate
    for i in range(45):
        actions.post_proposal(debate=debate, author=alice, title=f"Vélo {i}", body="Pistes.")
    html = client.get(address(open_consultation), {"q": "velo"}).content.decode()
    assert "45 résultats" in html
    assert len(results(client, open_consultation, "velo")) == 20
    assert 'href="?q=velo&amp;page=2"' in html
    assert len(results(client, open_consultation, "velo", page="3")) == 5
    assert len(results(client, open_consultation, "velo", page="999")) == 5
    assert len(results(client, open_consultation, "velo", page="abc")) == 20


def test_a_draft_cannot_be_searched(open_consultation: Consultation, client: Client) -> None:
    open_consultation.is_draft = True
    open_consultation.save()
    assert client.get(address(open_consultation), {"q": "proposition"}).status_code == 404


def test_the_consultation_page_has_a_search_form(
    open_consultation: Consultation, client: Client
) -> None:
    html = client.get(open_consultation.get_absolute_url()).content.decode()
    assert f'action="{address(open_consultation)}"' in html
    assert '<label for="opendata-q">' in html


# The consultation; COUNT of the matches; one page of them with authors,
# debates and the proposals of arguments (PostgreSQL asks once per process
# whether unaccent is installed: warmed up first).
@pytest.mark.parametrize("size", [3, 60])
def test_a_search_keeps_its_query_budget_whatever_the_size(
    open_consultation: Consultation,
    alice: User,
    client: Client,
    django_assert_num_queries: AssertQueries,
    size: int,
) -> None:
    proposal = proposal_of(open_consultation)
    other = make_debate(open_consultation, "autre")
    for i in range(size):
        actions.post_proposal(debate=other, author=alice, title=f"Santé {i}", body="Soins.")
        actions.post_argument(proposal=proposal, author=alice, stance=Stance.FOR, body="Santé !")
    client.get(address(open_consultation), {"q": "warm"})
    with django_assert_num_queries(3):
        found = results(client, open_consultation, "sante")
    assert len(found) == min(20, 2 * size)


# --------------------------------------------------------------------------- PostgreSQL


@pytest.mark.postgres
def test_on_postgresql_without_unaccent_translate_folds_accents(
    library: dict[str, Proposal], client: Client, open_consultation: Consultation
) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP EXTENSION IF EXISTS unaccent")
    assert not search.has_unaccent()
    assert library["numerique"].number in numbers(client, open_consultation, "numeriques")
    assert library["numerique"].number in numbers(client, open_consultation, "NUMÉRIQUE")


@pytest.mark.postgres
def test_on_postgresql_with_unaccent_french_stemming_finds_related_words(
    library: dict[str, Proposal], client: Client, open_consultation: Consultation, alice: User
) -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    assert search.has_unaccent()
    assert library["numerique"].number in numbers(client, open_consultation, "numeriques")
    # The French stemmer: « élève » and « élèves » share a stem, so do « gouverner »
    # and « gouvernement », which the SQLite fallback (plural marks only) cannot tell.
    assert library["numerique"].number in numbers(client, open_consultation, "eleve")
    debate = library["numerique"].debate
    state = actions.post_proposal(debate=debate, author=alice, title="Le gouvernement", body="x")
    assert numbers(client, open_consultation, "gouverner") == [state.number]


@pytest.mark.postgres
def test_on_postgresql_a_title_match_ranks_first(
    open_consultation: Consultation, alice: User, client: Client
) -> None:
    debate = proposal_of(open_consultation).debate
    in_body = actions.post_proposal(debate=debate, author=alice, title="Autre", body="Mobilité.")
    in_title = actions.post_proposal(debate=debate, author=alice, title="Mobilité", body="x")
    actions.post_proposal(debate=debate, author=alice, title="Rien", body="Rien.")
    assert numbers(client, open_consultation, "mobilite") == [in_title.number, in_body.number]
