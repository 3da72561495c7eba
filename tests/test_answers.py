"""Official answers: written by that consultation's organisers only, shown, listed, exported."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from accounts.models import User
from answers import actions
from answers.models import Answer, AnswerState
from debates import actions as debate_actions
from debates import moderation
from debates.models import Consultation, Proposal
from tests.conftest import make_consultation, make_user, proposal_of

AssertQueries = Callable[..., AbstractContextManager[object]]


def organise(user: User, consultation: Consultation) -> User:
    Group.objects.get(name=moderation.ORGANISERS_GROUP).user_set.add(user)
    consultation.organisers.add(user)
    return user


@pytest.fixture
def olga_organises_the_closed_one(olga: User, closed_consultation: Consultation) -> User:
    return organise(olga, closed_consultation)


def answer_url(proposal: Proposal) -> str:
    return f"{proposal.get_page_url()}reponse/"


FORM = {
    "state": "adopted",
    "text": "Retenue : elle devient l'article 12 du projet de loi.",
    "answered_on": "2026-11-30",
    "link": "https://www.legifrance.gouv.fr/article-12",
    "publish_at": "",
}


def test_an_organiser_answers_a_closed_consultation_from_the_proposal_page(
    closed_consultation: Consultation, olga_organises_the_closed_one: User, client: Client
) -> None:
    proposal = proposal_of(closed_consultation)
    client.force_login(olga_organises_the_closed_one)
    page = client.get(proposal.get_page_url()).content.decode()
    assert "Rédiger la réponse officielle" in page
    response = client.post(answer_url(proposal), FORM)
    assert response.status_code == 302
    answer = Answer.objects.get(proposal=proposal)
    assert answer.state == AnswerState.ADOPTED
    assert answer.author == olga_organises_the_closed_one
    # The closing gate still refuses citizens: answers are not participation.
    client.force_login(make_user("carla"))
    refused = client.post(f"{proposal.get_page_url()}arguments/", {"stance": "for", "body": "x"})
    assert refused.status_code == 403


@pytest.mark.parametrize("who", ["citizen", "author", "other_organiser", "moderator", "anonymous"])
def test_nobody_but_its_organisers_answers_a_consultation(
    closed_consultation: Consultation, alice: User, client: Client, who: str
) -> None:
    proposal = proposal_of(closed_consultation)
    elsewhere = make_consultation(
        "ailleurs", timezone.now() - timedelta(days=9), timezone.now() + timedelta(days=9)
    )
    users = {
        "citizen": make_user("carla"),
        "author": alice,
        "other_organiser": organise(make_user("otto", is_staff=True), elsewhere),
        "moderator": make_user("mona", is_staff=True),
    }
    if who == "moderator":
        Group.objects.get(name=moderation.MODERATORS_GROUP).user_set.add(users["moderator"])
    if who != "anonymous":
        client.force_login(users[who])
    response = client.post(answer_url(proposal), FORM)
    assert response.status_code in (302, 403)
    if who == "anonymous":
        assert "/comptes/login/" in response["Location"]
    else:
        assert response.status_code == 403
        assert "Seuls les organisateurs" in response.content.decode()
    assert not Answer.objects.exists()
    assert (
        "Rédiger la réponse officielle" not in client.get(proposal.get_page_url()).content.decode()
    )


def test_bad_input_is_refused_with_a_message_and_nothing_saved(
    closed_consultation: Consultation, olga_organises_the_closed_one: User, client: Client
) -> None:
    proposal = proposal_of(closed_consultation)
    client.force_login(olga_organises_the_closed_one)
    response = client.post(
        answer_url(proposal), FORM | {"state": "sure", "link": "javascript:alert(1)", "text": ""}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Sélectionnez un choix valide" in page
    assert "Saisissez une URL valide" in page
    assert not Answer.objects.exists()


def test_the_answer_is_shown_prominently_and_keeps_its_history(
    closed_consultation: Consultation, olga_organises_the_closed_one: User, client: Client
) -> None:
    proposal = proposal_of(closed_consultation)
    olga = olga_organises_the_closed_one
    actions.answer_proposal(
        proposal=proposal, author=olga, state=AnswerState.UNDER_STUDY, text="Nous étudions."
    )
    actions.answer_proposal(
        proposal=proposal, author=olga, state=AnswerState.ADOPTED, text="Elle est retenue."
    )
    answer = Answer.objects.get(proposal=proposal)
    assert [h.state for h in answer.history.order_by("history_date")] == [
        "under_study",
        "adopted",
    ]
    page = client.get(proposal.get_page_url()).content.decode()
    assert 'id="reponse"' in page
    assert "Réponse officielle des organisateurs" in page
    assert "Elle est retenue." in page and "Nous étudions." not in page
    # Before the arguments: prominently, right after the proposal.
    assert page.index("Elle est retenue.") < page.index('id="vote"')


def test_a_scheduled_answer_is_seen_by_its_organisers_only_until_its_time(
    closed_consultation: Consultation, olga_organises_the_closed_one: User, client: Client
) -> None:
    proposal = proposal_of(closed_consultation)
    later = timezone.now() + timedelta(days=2)
    actions.answer_proposal(
        proposal=proposal,
        author=olga_organises_the_closed_one,
        state=AnswerState.REJECTED,
        text="Pas cette fois.",
        publish_at=later,
    )
    assert "Pas cette fois." not in client.get(proposal.get_page_url()).content.decode()
    assert (
        client.get(f"/consultations/{closed_consultation.slug}/reponses.csv")
        .getvalue()
        .count(b"\n")
        == 1
    )  # the header only
    client.force_login(olga_organises_the_closed_one)
    preview = client.get(proposal.get_page_url()).content.decode()
    assert "Pas cette fois." in preview and "Aperçu réservé aux organisateurs" in preview
    client.logout()
    with __import__("time_machine").travel(later + timedelta(minutes=1)):
        assert "Pas cette fois." in client.get(proposal.get_page_url()).content.decode()


def two_answered(
    consultation: Consultation, organiser: User
) -> tuple[Proposal, Proposal, Proposal]:
    first = proposal_of(consultation)
    debate = first.debate
    second = debate_actions.post_proposal(debate=debate, author=organiser, title="B", body="b")
    third = debate_actions.post_proposal(debate=debate, author=organiser, title="C", body="c")
    actions.answer_proposal(proposal=first, author=organiser, state="adopted", text="Oui.")
    actions.answer_proposal(proposal=second, author=organiser, state="rejected", text="Non.")
    return first, second, third


def test_debate_pages_filter_by_answer_state_and_sort_by_support(
    open_consultation: Consultation, olga: User, bob: User, client: Client
) -> None:
    organise(olga, open_consultation)
    first, second, third = two_answered(open_consultation, olga)
    debate_actions.cast_vote(proposal=third, user=bob, value="agree")
    url = first.debate.get_absolute_url()
    page = client.get(url, {"reponse": "retenue"}).content.decode()
    assert first.title in page and ">B<" not in page and ">C<" not in page
    assert "Réponse officielle" in page and "Retenue" in page
    page = client.get(url, {"reponse": "sans-reponse"}).content.decode()
    assert ">C<" in page and ">B<" not in page
    supported = client.get(url, {"tri": "supported"}).content.decode()
    assert supported.index(">C<") < supported.index(">B<")
    # An unknown filter shows everything rather than failing.
    assert client.get(url, {"reponse": "<script>"}).status_code == 200


def test_answers_are_in_the_csv_feed_and_json_exports(
    closed_consultation: Consultation, olga_organises_the_closed_one: User, client: Client
) -> None:
    first, second, _third = two_answered(closed_consultation, olga_organises_the_closed_one)
    slug = closed_consultation.slug
    text = b"".join(client.get(f"/consultations/{slug}/reponses.csv?format=utf8").streaming_content)
    rows = list(csv.DictReader(io.StringIO(text.decode())))
    assert [(int(r["proposal"]), r["state"], r["state_label"]) for r in rows] == [
        (first.number, "adopted", "Retenue"),
        (second.number, "rejected", "Non retenue"),
    ]
    feed = client.get(f"/consultations/{slug}/reponses.atom").content.decode()
    assert "Retenue : #" in feed and "Non retenue : #" in feed
    synthesis = client.get(f"/consultations/{slug}/synthese.json").json()
    assert synthesis["answers"]["adopted"] == {
        "label": "Retenue",
        "count": 1,
        "proposals": [first.number],
    }
    assert synthesis["answers"]["rejected"]["proposals"] == [second.number]


def test_answers_and_results_go_through_the_interchange_format_and_back(
    closed_consultation: Consultation, olga_organises_the_closed_one: User
) -> None:
    from answers.models import Results
    from debates.interchange import dumps, export_consultation, import_consultation

    olga = olga_organises_the_closed_one
    first, second, _third = two_answered(closed_consultation, olga)
    later = timezone.now() + timedelta(days=3)
    actions.answer_proposal(
        proposal=second,
        author=olga,
        state="already_planned",
        text="Prévue par la loi de 2016.",
        link="https://example.org/loi",
        publish_at=later,
    )
    actions.write_results(consultation=closed_consultation, author=olga, text="Merci à tous.")
    document = export_consultation(closed_consultation)
    assert document["version"] == 3
    document["consultation"]["slug"] = "copie"
    # Through text, as the commands write and read it.
    import json

    result = import_consultation(json.loads(dumps(document)), renumber=True)
    copied = {
        a.proposal.original_number: a
        for a in Answer.objects.filter(proposal__debate__consultation=result.consultation)
    }
    assert set(copied) == {first.number, second.number}
    planned = copied[second.number]
    assert (planned.state, planned.text, planned.link) == (
        "already_planned",
        "Prévue par la loi de 2016.",
        "https://example.org/loi",
    )
    assert planned.publish_at == later.replace(microsecond=planned.publish_at.microsecond)
    assert not planned.is_published  # the schedule travels too
    assert Results.objects.get(consultation=result.consultation).text == "Merci à tous."
    # Exported again, the copy says the same (numbers aside).
    again = export_consultation(result.consultation)
    assert again["consultation"]["results"] == document["consultation"]["results"]


def test_a_faulty_answer_in_a_file_refuses_the_whole_import(
    closed_consultation: Consultation, olga_organises_the_closed_one: User
) -> None:
    from debates.interchange import InterchangeError, export_consultation, import_consultation

    two_answered(closed_consultation, olga_organises_the_closed_one)
    document = export_consultation(closed_consultation)
    document["consultation"]["slug"] = "copie"
    document["debates"][0]["proposals"][0]["answer"]["state"] = "peut-etre"
    with pytest.raises(InterchangeError, match=r"answer\.state: « peut-etre » n'est pas un état"):
        import_consultation(document, renumber=True)
    assert not Consultation.objects.filter(slug="copie").exists()


def test_the_proposal_page_with_an_answer_keeps_its_query_budget(
    closed_consultation: Consultation,
    olga_organises_the_closed_one: User,
    client: Client,
    django_assert_num_queries: AssertQueries,
) -> None:
    proposal = proposal_of(closed_consultation)
    actions.answer_proposal(
        proposal=proposal, author=olga_organises_the_closed_one, state="adopted", text="Oui."
    )
    # the proposal with its counts and its answer; arguments pour; contre; (no source)
    with django_assert_num_queries(1):
        response = client.get(proposal.get_page_url())
    assert "Oui." in response.content.decode()
    # Signed in: session, user, the proposal, their vote, whether they organise
    # it, whether they follow it (closed: the gate answers before the email
    # check). An organiser who is not staff: staff sessions cost their own checks.
    oriane = make_user("oriane", "Oriane Organisatrice")
    closed_consultation.organisers.add(oriane)
    client.force_login(oriane)
    with django_assert_num_queries(6):
        response = client.get(proposal.get_page_url())
    assert "Modifier la réponse officielle" in response.content.decode()


# The admin, scoped like the rest of it.


@pytest.fixture
def admin_as(client: Client, settings: object) -> Callable[[User], Client]:
    settings.STAFF_REQUIRE_2FA = False  # type: ignore[attr-defined]

    def sign_in(user: User) -> Client:
        client.force_login(user)
        return client

    return sign_in


def admin_form(proposal: Proposal) -> dict[str, str]:
    return {
        "proposal": str(proposal.pk),
        "state": "partly_adopted",
        "text": "En partie.",
        "answered_on": "2026-11-30",
        "link": "",
        "publish_at_0": "2026-11-30",
        "publish_at_1": "10:00:00",
    }


def test_an_organiser_answers_in_the_admin_their_consultation_only(
    closed_consultation: Consultation,
    open_consultation: Consultation,
    olga: User,
    admin_as: Callable[[User], Client],
) -> None:
    organise(olga, closed_consultation)
    client = admin_as(olga)
    mine, theirs = proposal_of(closed_consultation), proposal_of(open_consultation)
    response = client.post("/admin/answers/answer/add/", admin_form(mine))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Answer.objects.get(proposal=mine).state == "partly_adopted"
    refused = client.post("/admin/answers/answer/add/", admin_form(theirs))
    assert refused.status_code == 200
    assert "Seuls les organisateurs" in refused.content.decode()
    assert not Answer.objects.filter(proposal=theirs).exists()
    # Another consultation's answer is neither listed nor reachable.
    other = organise(make_user("otto", is_staff=True), open_consultation)
    actions.answer_proposal(proposal=theirs, author=other, state="rejected", text="Non.")
    listing = client.get("/admin/answers/answer/").content.decode()
    assert f"#{theirs.number} Une proposition" not in listing
    assert f"#{mine.number} Une proposition" in listing
    answer = Answer.objects.get(proposal=theirs)
    assert client.get(f"/admin/answers/answer/{answer.pk}/change/").status_code == 302
    forged = client.post(
        f"/admin/answers/answer/{answer.pk}/change/", admin_form(theirs) | {"text": "Forgé"}
    )
    assert forged.status_code in (302, 403, 404)
    answer.refresh_from_db()
    assert answer.text == "Non."
