"""Participation write paths: who may post, vote, endorse and edit, when, and what is kept.

Every write path (proposal, argument pour, argument contre, source, vote,
« D'accord » on an argument, edit of one's own text) is allowed while the
consultation is open and refused, with its own message and nothing written,
for every reason the permission function knows.
"""

from __future__ import annotations

import html
import re
import threading
import uuid
from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.models import User
from debates import actions
from debates.models import (
    Argument,
    Consultation,
    Contribution,
    Endorsement,
    Proposal,
    Source,
    Stance,
    Vote,
    VoteValue,
)
from tests.conftest import make_user, proposal_of

SECOND = timedelta(seconds=1)

WRITE_PATHS = [
    "proposal",
    "argument-for",
    "argument-against",
    "source",
    "vote",
    "endorsement",
    "edit",
]
POST_PATHS = ["proposal", "argument-for", "argument-against", "source"]


def visible(page: str) -> str:
    """Return the text of a page with tags removed, entities decoded and spaces collapsed."""
    text = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    return re.sub(r"\s+", " ", text).strip()


def attempt(path: str, proposal: Proposal, actor: User | None) -> tuple[str, dict[str, str]]:
    """Return the address and a valid payload of one write path, building what it needs.

    Endorsing needs an argument (by the proposal's author); editing needs a
    contribution of the actor (of the proposal's author when signed out).
    """
    page = proposal.get_page_url()
    if path == "proposal":
        return f"{proposal.debate.get_absolute_url()}proposer/", {
            "title": "Ouvrir les données",
            "body": "Publions les jeux de données publics.",
        }
    if path == "argument-for":
        return f"{page}arguments/", {"stance": "for", "body": "Oui, c'est utile."}
    if path == "argument-against":
        return f"{page}arguments/", {"stance": "against", "body": "Non, c'est coûteux."}
    if path == "source":
        return f"{page}sources/", {"title": "Rapport", "url": "https://example.org/rapport"}
    if path == "vote":
        return f"{page}vote/", {"value": VoteValue.AGREE}
    if path == "endorsement":
        argument = actions.post_argument(
            proposal=proposal, author=proposal.author, stance=Stance.FOR, body="À soutenir."
        )
        return f"/contributions/{argument.number}/accord/", {}
    if path == "edit":
        mine = actions.post_argument(
            proposal=proposal,
            author=actor or proposal.author,
            stance=Stance.FOR,
            body="Premier jet.",
        )
        return f"/contributions/{mine.number}/modifier/", {"body": "Texte corrigé."}
    raise AssertionError(path)


def snapshot() -> list[object]:
    """Return everything a write could change, to compare before and after."""
    return [
        list(Contribution.objects.order_by("number").values_list("number", "updated_at")),
        list(Proposal.objects.order_by("number").values_list("title", "body")),
        list(Argument.objects.order_by("number").values_list("stance", "body")),
        list(Source.objects.order_by("number").values_list("title", "url", "description")),
        list(Vote.objects.order_by("pk").values_list("user_id", "proposal_id", "value")),
        list(Endorsement.objects.order_by("pk").values_list("user_id", "argument_id")),
    ]


@pytest.fixture
def ursula(db: None) -> User:
    """A citizen who has not confirmed her email address yet."""
    return make_user("ursula", "Ursula Unconfirmed", confirmed=False)


@pytest.fixture
def ines(db: None) -> User:
    """A citizen whose account was deactivated."""
    return make_user("ines", "Ines Inactive", is_active=False)


@pytest.fixture
def verified_only(open_consultation: Consultation) -> Consultation:
    """The open consultation, reserved to verified accounts."""
    open_consultation.requires_verified_accounts = True
    open_consultation.save()
    return open_consultation


# --- allowed while open -------------------------------------------------------


def test_a_citizen_posts_a_proposal_and_lands_on_its_permalink(
    open_consultation: Consultation, client: Client, bob: User
) -> None:
    debate = proposal_of(open_consultation).debate
    client.force_login(bob)
    response = client.post(
        f"{debate.get_absolute_url()}proposer/",
        {"title": "Ouvrir les données", "body": "Publions-les."},
        follow=True,
    )
    proposal = Proposal.objects.get(author=bob)
    assert (proposal.debate, proposal.title, proposal.body) == (
        debate,
        "Ouvrir les données",
        "Publions-les.",
    )
    assert response.redirect_chain[0] == (f"/contributions/{proposal.number}/", 302)
    assert response.redirect_chain[-1][0] == proposal.get_page_url()
    text = visible(response.content.decode())
    assert f"Votre proposition est publiée sous le numéro #{proposal.number}." in text


@pytest.mark.parametrize(("stance", "label"), [("for", "pour"), ("against", "contre")])
def test_a_citizen_posts_an_argument_pour_or_contre_and_lands_on_its_permalink(
    open_consultation: Consultation, client: Client, bob: User, stance: str, label: str
) -> None:
    proposal = proposal_of(open_consultation)
    client.force_login(bob)
    response = client.post(
        f"{proposal.get_page_url()}arguments/", {"stance": stance, "body": "Mon avis."}, follow=True
    )
    argument = Argument.objects.get(author=bob)
    assert (argument.proposal, argument.stance, argument.body) == (proposal, stance, "Mon avis.")
    assert response.redirect_chain[0] == (f"/contributions/{argument.number}/", 302)
    assert response.redirect_chain[-1][0].endswith(f"#contribution-{argument.number}")
    text = visible(response.content.decode())
    assert f"Votre argument est publié sous le numéro #{argument.number}." in text
    assert f"1 argument {label}" in text


def test_a_citizen_deposits_a_source_and_lands_on_its_permalink(
    open_consultation: Consultation, client: Client, bob: User
) -> None:
    proposal = proposal_of(open_consultation)
    client.force_login(bob)
    response = client.post(
        f"{proposal.get_page_url()}sources/",
        {"title": "Rapport", "url": "https://example.org/rapport", "description": "Page 12."},
        follow=True,
    )
    source = Source.objects.get(author=bob)
    assert (source.proposal, source.title, source.url, source.description) == (
        proposal,
        "Rapport",
        "https://example.org/rapport",
        "Page 12.",
    )
    assert response.redirect_chain[0] == (f"/contributions/{source.number}/", 302)
    assert response.redirect_chain[-1][0].endswith(f"#contribution-{source.number}")
    text = visible(response.content.decode())
    assert f"Votre source est déposée sous le numéro #{source.number}." in text


def test_a_citizen_votes_and_comes_back_to_the_votes(
    open_consultation: Consultation, client: Client, bob: User
) -> None:
    proposal = proposal_of(open_consultation)
    client.force_login(bob)
    response = client.post(f"{proposal.get_page_url()}vote/", {"value": "agree"}, follow=True)
    assert response.redirect_chain == [(f"{proposal.get_page_url()}#vote", 302)]
    assert Vote.objects.get().value == VoteValue.AGREE
    assert "Votre vote « D'accord » est enregistré." in visible(response.content.decode())


def test_a_citizen_endorses_an_argument_and_comes_back_to_it(
    open_consultation: Consultation, client: Client, alice: User, bob: User
) -> None:
    proposal = proposal_of(open_consultation)
    argument = actions.post_argument(proposal=proposal, author=alice, stance="for", body="Oui.")
    client.force_login(bob)
    response = client.post(f"/contributions/{argument.number}/accord/", follow=True)
    assert response.redirect_chain == [
        (f"{proposal.get_page_url()}#contribution-{argument.number}", 302)
    ]
    assert Endorsement.objects.get().user == bob
    text = visible(response.content.decode())
    assert f"Vous êtes d'accord avec l'argument #{argument.number}." in text


def test_an_author_edits_their_argument_and_lands_on_its_permalink(
    open_consultation: Consultation, client: Client, bob: User
) -> None:
    proposal = proposal_of(open_consultation)
    argument = actions.post_argument(proposal=proposal, author=bob, stance="for", body="Brouillon")
    client.force_login(bob)
    response = client.post(
        f"/contributions/{argument.number}/modifier/", {"body": "Texte relu"}, follow=True
    )
    assert response.redirect_chain[0] == (f"/contributions/{argument.number}/", 302)
    argument.refresh_from_db()
    assert argument.body == "Texte relu"
    text = visible(response.content.decode())
    assert f"Votre contribution #{argument.number} est modifiée." in text


# --- refused, with its own message, nothing written ---------------------------

# (consultation fixture, actor fixture or None when signed out, what the 403 page says)
REFUSALS = {
    "closed": ("closed_consultation", "bob", "La consultation est fermée"),
    "not-yet-open": ("upcoming_consultation", "bob", "La participation ouvrira le"),
    "signed-out-and-closed": ("closed_consultation", None, "La consultation est fermée"),
    "unconfirmed-email": (
        "open_consultation",
        "ursula",
        "Confirmez votre adresse électronique pour participer",
    ),
    "unverified": (
        "verified_only",
        "bob",
        "Cette consultation est réservée aux comptes vérifiés.",
    ),
}


@pytest.mark.parametrize("path", WRITE_PATHS)
@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_refused_write_answers_403_with_its_reason_and_writes_nothing(
    request: pytest.FixtureRequest, client: Client, case: str, path: str
) -> None:
    consultation_fixture, actor_fixture, reason = REFUSALS[case]
    consultation: Consultation = request.getfixturevalue(consultation_fixture)
    actor: User | None = request.getfixturevalue(actor_fixture) if actor_fixture else None
    url, payload = attempt(path, proposal_of(consultation), actor)
    if actor is not None:
        client.force_login(actor)
    before = snapshot()
    response = client.post(url, payload)
    assert response.status_code == 403
    text = visible(response.content.decode())
    assert reason in text
    assert "Rien n'a été enregistré." in text
    assert snapshot() == before


@pytest.mark.parametrize("path", WRITE_PATHS)
def test_a_visitor_is_sent_to_sign_in_and_nothing_is_written(
    open_consultation: Consultation, client: Client, path: str
) -> None:
    url, payload = attempt(path, proposal_of(open_consultation), None)
    before = snapshot()
    response = client.post(url, payload)
    assert response.status_code == 302
    assert response["Location"].startswith("/comptes/login/?next=")
    assert snapshot() == before


@pytest.mark.parametrize("path", WRITE_PATHS)
def test_an_inactive_account_writes_nothing(
    open_consultation: Consultation, client: Client, ines: User, path: str
) -> None:
    url, payload = attempt(path, proposal_of(open_consultation), ines)
    client.force_login(ines)
    before = snapshot()
    response = client.post(url, payload)
    # The authentication backends drop an inactive user from the session, so
    # the request arrives signed out and is sent to sign in.
    assert response.status_code == 302
    assert response["Location"].startswith("/comptes/login/?next=")
    assert snapshot() == before


@pytest.mark.parametrize("path", WRITE_PATHS)
def test_a_verified_account_may_write_where_verification_is_required(
    verified_only: Consultation, client: Client, vera: User, path: str
) -> None:
    url, payload = attempt(path, proposal_of(verified_only), vera)
    client.force_login(vera)
    before = snapshot()
    response = client.post(url, payload)
    assert response.status_code == 302
    assert not response["Location"].startswith("/comptes/")
    assert snapshot() != before


def test_the_unconfirmed_email_refusal_is_the_same_for_a_forged_vote(
    open_consultation: Consultation, client: Client, ursula: User
) -> None:
    # The page shows no vote form to Ursula; a hand-made POST is refused all the same.
    proposal = proposal_of(open_consultation)
    client.force_login(ursula)
    page = visible(client.get(proposal.get_page_url()).content.decode())
    assert "Confirmez votre adresse électronique pour participer" in page
    response = client.post(f"{proposal.get_page_url()}vote/", {"value": "agree"})
    assert response.status_code == 403
    assert not Vote.objects.exists()


# --- the exact boundaries ---------------------------------------------------------

# (which date, offset from it, allowed)
MOMENTS = {
    "a-second-before-opening": ("opens_at", -SECOND, False),
    "at-opening": ("opens_at", timedelta(0), True),
    "a-second-before-closing": ("closes_at", -SECOND, True),
    "at-closing": ("closes_at", timedelta(0), False),
}


@pytest.mark.parametrize("path", WRITE_PATHS)
@pytest.mark.parametrize("moment", list(MOMENTS))
def test_every_write_path_obeys_the_gate_to_the_second(
    open_consultation: Consultation, client: Client, bob: User, moment: str, path: str
) -> None:
    date_name, offset, allowed = MOMENTS[moment]
    at: datetime = getattr(open_consultation, date_name) + offset
    url, payload = attempt(path, proposal_of(open_consultation), bob)
    before = snapshot()
    with time_machine.travel(at, tick=False):
        # Signed in at that moment: a session opened today may have expired by then.
        client.force_login(bob)
        response = client.post(url, payload)
    if allowed:
        assert response.status_code == 302, response.content.decode()[-2000:]
        assert snapshot() != before
    else:
        assert response.status_code == 403
        assert snapshot() == before
        reason = "La consultation est fermée" if date_name == "closes_at" else "ouvrira le"
        assert reason in visible(response.content.decode())


# --- double submit ------------------------------------------------------------------


@pytest.mark.parametrize("path", POST_PATHS)
def test_the_same_form_posted_twice_publishes_once(
    open_consultation: Consultation, client: Client, bob: User, path: str
) -> None:
    url, payload = attempt(path, proposal_of(open_consultation), bob)
    payload["submission_token"] = str(uuid.uuid4())
    client.force_login(bob)
    first = client.post(url, payload, follow=True)
    second = client.post(url, payload, follow=True)
    contribution = Contribution.objects.get(author=bob)
    permalink = f"/contributions/{contribution.number}/"
    assert first.redirect_chain[0] == (permalink, 302)
    assert second.redirect_chain[0] == (permalink, 302)
    text = visible(second.content.decode())
    assert f"Cette contribution était déjà publiée (#{contribution.number})." in text
    assert "publiée sous le numéro" not in text
    assert 'class="message info"' in second.content.decode()


@pytest.mark.parametrize("path", POST_PATHS)
def test_two_forms_with_different_tokens_publish_twice(
    open_consultation: Consultation, client: Client, bob: User, path: str
) -> None:
    url, payload = attempt(path, proposal_of(open_consultation), bob)
    client.force_login(bob)
    first = client.post(url, {**payload, "submission_token": str(uuid.uuid4())})
    second = client.post(url, {**payload, "submission_token": str(uuid.uuid4())})
    numbers = list(
        Contribution.objects.filter(author=bob).order_by("number").values_list("number", flat=True)
    )
    assert len(numbers) == 2
    assert [first["Location"], second["Location"]] == [f"/contributions/{n}/" for n in numbers]


def test_a_token_belongs_to_its_author(
    open_consultation: Consultation, client: Client, bob: User, vera: User
) -> None:
    url, payload = attempt("argument-for", proposal_of(open_consultation), bob)
    payload["submission_token"] = str(uuid.uuid4())
    client.force_login(bob)
    client.post(url, payload)
    client.force_login(vera)
    response = client.post(url, payload)
    mine = Argument.objects.get(author=vera)
    assert response["Location"] == f"/contributions/{mine.number}/"
    assert Argument.objects.count() == 2


def test_a_forged_token_is_refused_and_nothing_is_written(
    open_consultation: Consultation, client: Client, bob: User
) -> None:
    url, payload = attempt("proposal", proposal_of(open_consultation), bob)
    client.force_login(bob)
    response = client.post(url, {**payload, "submission_token": "pas-un-uuid"})
    assert response.status_code == 400
    assert not Proposal.objects.filter(author=bob).exists()


def test_each_form_carries_a_fresh_submission_token(
    open_consultation: Consultation, client: Client, bob: User
) -> None:
    proposal = proposal_of(open_consultation)
    client.force_login(bob)
    token = re.compile(r'name="submission_token" value="([0-9a-f-]{36})"')
    debate_page = client.get(proposal.debate.get_absolute_url()).content.decode()
    proposal_page = client.get(proposal.get_page_url()).content.decode()
    # the proposal form; the forms pour, contre and source
    tokens = token.findall(debate_page) + token.findall(proposal_page)
    assert len(tokens) == 4
    assert len(set(tokens)) == 4
    again = token.findall(client.get(proposal.debate.get_absolute_url()).content.decode())
    assert again[0] not in tokens


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_form_posted_twice_at_the_same_instant_publishes_once(
    open_consultation: Consultation, bob: User
) -> None:
    url, payload = attempt("argument-for", proposal_of(open_consultation), bob)
    payload["submission_token"] = str(uuid.uuid4())
    clients = [Client() for _ in range(4)]
    for each in clients:
        each.force_login(bob)
    barrier = threading.Barrier(len(clients))
    locations: list[str] = []
    errors: list[BaseException] = []

    def post(each: Client) -> None:
        try:
            barrier.wait()
            locations.append(each.post(url, payload)["Location"])
        except BaseException as error:  # reported below, with the test's own assertion
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(each,)) for each in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    argument = Argument.objects.get(author=bob)
    assert locations == [f"/contributions/{argument.number}/"] * len(clients)


# --- rate limit ----------------------------------------------------------------------


@pytest.mark.parametrize("path", POST_PATHS)
def test_a_burst_of_posts_beyond_the_limit_is_answered_429_and_writes_nothing(
    open_consultation: Consultation, client: Client, bob: User, settings: object, path: str
) -> None:
    settings.POSTING_RATE_LIMIT = 3  # type: ignore[attr-defined]
    proposal = proposal_of(open_consultation)
    client.force_login(bob)
    for earlier in ("proposal", "argument-against", "source"):
        url, payload = attempt(earlier, proposal, bob)
        assert client.post(url, payload).status_code == 302
    url, payload = attempt(path, proposal, bob)
    before = snapshot()
    response = client.post(url, payload)
    assert response.status_code == 429
    text = visible(response.content.decode())
    assert "Vous avez publié beaucoup de contributions en peu de temps." in text
    assert "Rien n'a été enregistré." in text
    assert snapshot() == before


def test_posting_resumes_once_the_window_has_passed(
    open_consultation: Consultation, client: Client, bob: User, settings: object
) -> None:
    settings.POSTING_RATE_LIMIT = 3  # type: ignore[attr-defined]
    proposal = proposal_of(open_consultation)
    url, payload = attempt("argument-for", proposal, bob)
    client.force_login(bob)
    for _ in range(3):
        assert client.post(url, payload).status_code == 302
    assert client.post(url, payload).status_code == 429
    later = timezone.now() + timedelta(seconds=settings.POSTING_RATE_WINDOW + 1)  # type: ignore[attr-defined]
    with time_machine.travel(later, tick=False):
        client.force_login(bob)
        assert client.post(url, payload).status_code == 302
    assert Argument.objects.filter(author=bob).count() == 4


def test_votes_and_endorsements_do_not_count_against_the_posting_limit(
    open_consultation: Consultation, client: Client, alice: User, bob: User, settings: object
) -> None:
    settings.POSTING_RATE_LIMIT = 1  # type: ignore[attr-defined]
    proposal = proposal_of(open_consultation)
    argument = actions.post_argument(proposal=proposal, author=alice, stance="for", body="Oui.")
    client.force_login(bob)
    assert client.post(f"{proposal.get_page_url()}arguments/", {"stance": "for", "body": "x"})[
        "Location"
    ].startswith("/contributions/")
    assert client.post(f"{proposal.get_page_url()}vote/", {"value": "mixed"}).status_code == 302
    assert client.post(f"/contributions/{argument.number}/accord/").status_code == 302
    assert Vote.objects.filter(user=bob).exists()
    assert Endorsement.objects.filter(user=bob).exists()


def test_the_same_form_posted_twice_at_the_limit_still_finds_its_contribution(
    open_consultation: Consultation, client: Client, bob: User, settings: object
) -> None:
    settings.POSTING_RATE_LIMIT = 1  # type: ignore[attr-defined]
    url, payload = attempt("argument-for", proposal_of(open_consultation), bob)
    payload["submission_token"] = str(uuid.uuid4())
    client.force_login(bob)
    first = client.post(url, payload)
    second = client.post(url, payload)
    assert second.status_code == 302
    assert second["Location"] == first["Location"]


# --- input ---------------------------------------------------------------------------


def test_a_proposal_body_over_ten_thousand_characters_is_refused_with_the_text_kept(
    open_consultation: Consultation, client: Client, bob: User
) -> None:
    debate = proposal_of(open_consultation).debate
    client.force_login(bob)
    long_body = "mot " * 2500 + "x"
    response = client.post(
        f"{debate.get_absolute_url()}proposer/", {"title": "Long", "body": long_body}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_body_error"' in page
    assert "Assurez-vous que cette valeur comporte au plus 10000 caractères" in visible(page)
    assert long_body in page
    assert 'value="Long"' in page
    assert not Proposal.objects.filter(author=bob).exists()


def test_a_proposal_body_of_exactly_ten_thousand_characters_is_accepted(
    open_consultation: Consultation, client: Client, bob: User
) -> None:
    debate = proposal_of(open_consultation).debate
    client.force_login(bob)
    response = client.post(
        f"{debate.get_absolute_url()}proposer/", {"title": "Long", "body": "x" * 10_000}
    )
    assert response.status_code == 302
    assert len(Proposal.objects.get(author=bob).body) == 10_000


@pytest.mark.parametrize(
    ("title", "status"), [("t" * 300, 302), ("t" * 301, 400), ("", 400), ("   ", 400)]
)
def test_a_proposal_title_is_required_and_bounded(
    open_consultation: Consultation, client: Client, bob: User, title: str, status: int
) -> None:
    debate = proposal_of(open_consultation).debate
    client.force_login(bob)
    response = client.post(f"{debate.get_absolute_url()}proposer/", {"title": title, "body": "x"})
    assert response.status_code == status
    assert Proposal.objects.filter(author=bob).exists() is (status == 302)
    if status == 400:
        assert 'id="id_title_error"' in response.content.decode()


@pytest.mark.parametrize("stance", ["for", "against"])
@pytest.mark.parametrize(("length", "status"), [(5000, 302), (5001, 400)])
def test_an_argument_body_is_bounded_to_five_thousand_characters(
    open_consultation: Consultation,
    client: Client,
    bob: User,
    stance: str,
    length: int,
    status: int,
) -> None:
    proposal = proposal_of(open_consultation)
    client.force_login(bob)
    response = client.post(
        f"{proposal.get_page_url()}arguments/", {"stance": stance, "body": "y" * length}
    )
    assert response.status_code == status
    assert Argument.objects.exists() is (status == 302)
    if status == 400:
        assert f'id="id_body_{stance}_error"' in response.content.decode()


@pytest.mark.parametrize("body", ["", "   \n\t  "])
def test_an_empty_argument_is_refused(
    open_consultation: Consultation, client: Client, bob: User, body: str
) -> None:
    proposal = proposal_of(open_consultation)
    client.force_login(bob)
    response = client.post(
        f"{proposal.get_page_url()}arguments/", {"stance": "against", "body": body}
    )
    assert response.status_code == 400
    assert "Ce champ est obligatoire." in visible(response.content.decode())
    assert not Argument.objects.exists()


def test_an_argument_with_an_unknown_stance_is_refused(
    open_consultation: Consultation, client: Client, bob: User
) -> None:
    proposal = proposal_of(open_consultation)
    client.force_login(bob)
    response = client.post(
        f"{proposal.get_page_url()}arguments/", {"stance": "neutre", "body": "Ni l'un ni l'autre"}
    )
    assert response.status_code == 400
    assert not Argument.objects.exists()


def test_a_source_description_over_two_thousand_characters_is_refused(
    open_consultation: Consultation, client: Client, bob: User
) -> None:
    proposal = proposal_of(open_consultation)
    client.force_login(bob)
    response = client.post(
        f"{proposal.get_page_url()}sources/",
        {"title": "Rapport", "url": "https://example.org", "description": "d" * 2001},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_description_error"' in page
    assert "d" * 2001 in page
    assert not Source.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/rapport.pdf",
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "pas une adresse",
    ],
)
def test_a_source_must_be_a_web_link(
    open_consultation: Consultation, client: Client, bob: User, url: str
) -> None:
    proposal = proposal_of(open_consultation)
    client.force_login(bob)
    response = client.post(f"{proposal.get_page_url()}sources/", {"title": "Lien", "url": url})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_url_error"' in page
    assert "Saisissez une URL valide." in visible(page)
    assert not Source.objects.exists()


@pytest.mark.parametrize(
    ("url", "stored"),
    [
        ("http://example.org/rapport", "http://example.org/rapport"),
        ("https://example.org/rapport?page=2#s3", "https://example.org/rapport?page=2#s3"),
        ("example.org/rapport", "https://example.org/rapport"),
    ],
)
def test_a_source_accepts_http_and_https_links(
    open_consultation: Consultation, client: Client, bob: User, url: str, stored: str
) -> None:
    proposal = proposal_of(open_consultation)
    client.force_login(bob)
    response = client.post(f"{proposal.get_page_url()}sources/", {"title": "Lien", "url": url})
    assert response.status_code == 302
    assert Source.objects.get().url == stored


def test_user_text_posted_through_the_forms_is_escaped(
    open_consultation: Consultation, client: Client, bob: User
) -> None:
    debate = proposal_of(open_consultation).debate
    client.force_login(bob)
    client.post(
        f"{debate.get_absolute_url()}proposer/",
        {"title": "<script>alert('titre')</script>", "body": '<img src=x onerror="alert(1)">'},
    )
    proposal = Proposal.objects.get(author=bob)
    page = proposal.get_page_url()
    client.post(f"{page}arguments/", {"stance": "for", "body": "<b>gras</b>"})
    client.post(
        f"{page}sources/",
        {"title": "<i>Titre</i>", "url": "https://example.org", "description": "<u>u</u>"},
    )
    body = client.get(page).content.decode().split("<main", 1)[1]
    for raw in ("<script>alert(", "<img src=x", "<b>gras</b>", "<i>Titre</i>", "<u>u</u>"):
        assert raw not in body
    assert "&lt;script&gt;alert(&#x27;titre&#x27;)&lt;/script&gt;" in body
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in body
    assert "&lt;b&gt;gras&lt;/b&gt;" in body
    assert "&lt;i&gt;Titre&lt;/i&gt;" in body
    assert "&lt;u&gt;u&lt;/u&gt;" in body
    debate_page = client.get(debate.get_absolute_url()).content.decode().split("<main", 1)[1]
    assert "<script>alert(" not in debate_page


def test_text_kept_in_a_refused_form_is_escaped(
    open_consultation: Consultation, client: Client, bob: User
) -> None:
    debate = proposal_of(open_consultation).debate
    client.force_login(bob)
    response = client.post(
        f"{debate.get_absolute_url()}proposer/",
        {"title": "", "body": "</textarea><script>alert(1)</script>"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_post_to_an_unknown_proposal_is_not_found(
    open_consultation: Consultation, client: Client, bob: User
) -> None:
    client.force_login(bob)
    for url in (
        "/consultations/ouverte/theme/424242/arguments/",
        "/consultations/ouverte/theme/424242/sources/",
        "/consultations/ouverte/theme/424242/vote/",
        "/consultations/ouverte/inconnu/proposer/",
        "/contributions/424242/accord/",
    ):
        response = client.post(url, {"stance": "for", "body": "x", "value": "agree"})
        assert response.status_code == 404, url
    assert Contribution.objects.count() == 1
