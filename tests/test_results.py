"""The results page (« Synthèse »): after the close, figures, answers by state, most supported."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts.models import User
from answers import actions
from debates import actions as debate_actions
from debates.models import Consultation
from tests.conftest import make_user, proposal_of

AssertQueries = Callable[..., AbstractContextManager[object]]


@pytest.fixture
def answered(closed_consultation: Consultation, olga: User) -> Consultation:
    closed_consultation.organisers.add(olga)
    first = proposal_of(closed_consultation)  # before the second is posted
    second = debate_actions.post_proposal(
        debate=first.debate, author=olga, title="Deuxième idée", body="b"
    )
    voters = [make_user(f"votant{i}") for i in range(3)]
    for voter in voters:
        debate_actions.cast_vote(proposal=second, user=voter, value="agree")
    debate_actions.cast_vote(proposal=first, user=voters[0], value="agree")
    actions.answer_proposal(proposal=first, author=olga, state="adopted", text="Oui.")
    actions.answer_proposal(proposal=second, author=olga, state="under_study", text="Voyons.")
    return closed_consultation


def url(consultation: Consultation) -> str:
    return f"/consultations/{consultation.slug}/synthese/"


def test_the_results_page_shows_figures_answers_by_state_and_the_most_supported(
    answered: Consultation, olga: User, client: Client
) -> None:
    actions.write_results(consultation=answered, author=olga, text="Merci à tous les participants.")
    page = client.get(url(answered)).content.decode()
    assert "Merci à tous les participants." in page
    assert 'data-stat="answered">2<' in page
    assert "Retenue : 1 proposition" in page and "À l&#x27;étude : 1 proposition" in page
    assert page.index("Deuxième idée") < page.index("Une proposition</a></h3>")
    assert 'role="img"' in page and "<desc" in page  # charts with a text alternative
    assert "Les mêmes chiffres en tableau" in page


def test_every_page_of_a_closed_consultation_links_its_results(
    answered: Consultation, client: Client
) -> None:
    proposal = proposal_of_first(answered)
    for page in (answered.get_absolute_url(), proposal.debate.get_absolute_url()):
        assert url(answered) in client.get(page).content.decode()
    assert url(answered) in client.get(proposal.get_page_url()).content.decode()


def test_before_the_close_the_results_are_for_the_organisers_only(
    open_consultation: Consultation, olga: User, client: Client
) -> None:
    assert client.get(url(open_consultation)).status_code == 404
    assert (
        url(open_consultation)
        not in client.get(open_consultation.get_absolute_url()).content.decode()
    )
    open_consultation.organisers.add(olga)
    client.force_login(olga)
    assert "Aperçu réservé aux organisateurs" in client.get(url(open_consultation)).content.decode()


def test_a_scheduled_results_text_appears_at_its_time(
    answered: Consultation, olga: User, client: Client
) -> None:
    later = timezone.now() + timedelta(days=1)
    actions.write_results(consultation=answered, author=olga, text="Le bilan.", publish_at=later)
    page = client.get(url(answered)).content.decode()
    assert "Le bilan." not in page and "pas encore publié" in page
    assert client.get(f"/consultations/{answered.slug}/synthese.json").json()["text"] is None
    with time_machine.travel(later + timedelta(minutes=1)):
        assert "Le bilan." in client.get(url(answered)).content.decode()
        assert client.get(f"/consultations/{answered.slug}/synthese.json").json()["text"] == (
            "Le bilan."
        )


def test_only_organisers_write_the_results(
    answered: Consultation, bob: User, olga: User, client: Client
) -> None:
    edit = f"{url(answered)}modifier/"
    client.force_login(bob)
    assert client.post(edit, {"text": "Forgé", "publish_at": ""}).status_code == 403
    client.force_login(olga)
    assert client.post(edit, {"text": "", "publish_at": ""}).status_code == 400
    assert client.post(edit, {"text": "Le bilan.", "publish_at": ""}).status_code == 302
    client.logout()
    assert "Le bilan." in client.get(url(answered)).content.decode()


def test_the_results_page_is_in_the_open_data(answered: Consultation, client: Client) -> None:
    data = client.get(f"/consultations/{answered.slug}/synthese.json").json()
    assert data["figures"]["proposals"] == 2
    assert data["figures"]["votes"]["agree"] == 4
    assert [p["title"] for p in data["most_supported"]] == ["Deuxième idée", "Une proposition"]
    assert data["answers"]["under_study"]["count"] == 1


def test_the_results_page_keeps_its_query_budget(
    answered: Consultation, client: Client, django_assert_num_queries: AssertQueries
) -> None:
    # the consultation; the statistics' five (stored counters and tallies:
    # debates/opendata/stats.py); the results text; answers by state counted,
    # then listed
    with django_assert_num_queries(9):
        assert client.get(url(answered)).status_code == 200
    more = make_user("encore")
    for i in range(20):
        proposal = debate_actions.post_proposal(
            debate=proposal_of_first(answered).debate, author=more, title=f"P{i}", body="b"
        )
        actions.answer_proposal(proposal=proposal, author=more, state="rejected", text="Non.")
    with django_assert_num_queries(9):
        assert client.get(url(answered)).status_code == 200


def proposal_of_first(consultation: Consultation):  # type: ignore[no-untyped-def]
    return consultation.debates.first().proposals.order_by("number").first()  # type: ignore[union-attr]
