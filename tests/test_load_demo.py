"""The demo data: the reference page's consultation, closed, and a fictional open one.

`load_demo` loads both once; running it again changes nothing. The CNNum file
must reproduce contribution #694 exactly as the structured transcription of the
reference page gives it (shared/seed/contribution-694.json).
"""

from __future__ import annotations

import json
from datetime import datetime
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User, VerificationMethod
from debates import actions
from debates.demo import DEMO_FILES
from debates.interchange import load_file
from debates.models import (
    Argument,
    ArgumentOrder,
    Consultation,
    Contribution,
    Debate,
    NumberSequence,
    Phase,
    Proposal,
    Source,
    Stance,
)
from tests.conftest import require_shared_data

DEBATE_TITLE = (
    "Transformation numérique des relations entre administrations et usagers des services publics"
)


def load_demo() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, int]:
    return {
        "consultations": Consultation.objects.count(),
        "debates": Debate.objects.count(),
        "contributions": Contribution.objects.count(),
        "users": User.objects.count(),
        "sequence": NumberSequence.objects.get(pk=1).last,
    }


@pytest.mark.django_db
def test_it_loads_a_closed_and_an_open_consultation() -> None:
    load_demo()

    cnnum = Consultation.objects.get(slug="cnnum-2014")
    assert cnnum.title == "Ambition numérique (CNNum, 2014)"
    assert cnnum.phase == Phase.CLOSED
    assert "approximatif" in cnnum.description
    budget = Consultation.objects.get(slug="budget-participatif-2026")
    assert budget.phase == Phase.OPEN
    assert "fictive" in budget.description
    assert budget.debates.count() == 3
    assert Proposal.objects.filter(debate__consultation=budget).count() == 5
    assert Argument.objects.filter(proposal__debate__consultation=budget).count() == 10
    assert Source.objects.filter(proposal__debate__consultation=budget).count() == 2


@pytest.mark.django_db
def test_a_closed_demo_consultation_shows_answers_and_its_results(client: object) -> None:
    from answers.models import Answer, Results

    load_demo()
    closed = Consultation.objects.get(slug="budget-participatif-2025")
    assert closed.phase == Phase.CLOSED and "fictive" in closed.description
    answers = Answer.objects.filter(proposal__debate__consultation=closed)
    assert sorted(answers.values_list("state", flat=True)) == sorted(
        ["adopted", "partly_adopted", "rejected", "under_study", "already_planned"]
    )
    assert all(a.text.startswith("[Réponse fictive") and a.is_published for a in answers)
    assert Results.objects.get(consultation=closed).is_public
    page = client.get("/consultations/budget-participatif-2025/synthese/")  # type: ignore[attr-defined]
    assert page.status_code == 200
    assert "[Synthèse fictive" in page.content.decode()


@pytest.mark.django_db
def test_a_second_run_changes_nothing_and_says_so() -> None:
    load_demo()
    before = snapshot()

    second = load_demo()

    assert snapshot() == before
    assert "« cnnum-2014 » est déjà chargée : rien à faire." in second
    assert "« budget-participatif-2026 » est déjà chargée : rien à faire." in second


@pytest.mark.django_db
def test_proposal_694_has_its_eight_arguments_pour_and_two_contre() -> None:
    load_demo()

    proposal = Proposal.objects.get(number=694)
    assert proposal.debate.title == DEBATE_TITLE
    assert proposal.debate.consultation.slug == "cnnum-2014"
    assert Proposal.objects.filter(debate=proposal.debate).count() == 1
    assert proposal.arguments.filter(stance=Stance.FOR).count() == 8
    assert proposal.arguments.filter(stance=Stance.AGAINST).count() == 2
    assert not proposal.sources.exists()
    assert proposal.author.public_name == "Propositions dans le débat public"
    assert proposal.author.is_verified
    assert proposal.author.verification_method == VerificationMethod.IMPORTED
    assert proposal.created_at == datetime.fromisoformat("2014-10-29T13:17:00+01:00")


@pytest.mark.django_db
def test_the_default_argument_order_is_the_order_of_the_reference_page() -> None:
    load_demo()
    proposal = Proposal.objects.get(number=694)

    def numbers(stance: Stance) -> list[int]:
        arguments = Argument.objects.for_proposal_page(proposal, stance, ArgumentOrder.DEFAULT)
        return [a.number for a in arguments]

    assert numbers(Stance.FOR) == [1438, 1433, 1297, 878, 939, 1120, 924, 1167]
    assert numbers(Stance.AGAINST) == [1301, 1282]


@pytest.mark.django_db
def test_new_contributions_continue_after_the_demo_numbers() -> None:
    load_demo()
    debate = Debate.objects.get(consultation__slug="budget-participatif-2026", slug="mobilites")
    author = User.objects.get(username="camille-r")

    posted = actions.post_proposal(debate=debate, author=author, title="Après", body="Texte.")

    assert posted.number == 2018


@pytest.mark.django_db
def test_it_renumbers_a_demo_whose_numbers_are_taken_already(alice: User) -> None:
    NumberSequence.reserve_through(693)
    now_consultation = Consultation.objects.create(
        slug="avant",
        title="Avant la démo",
        opens_at=datetime.fromisoformat("2026-01-01T00:00:00+01:00"),
        closes_at=datetime.fromisoformat("2036-01-01T00:00:00+01:00"),
    )
    debate = Debate.objects.create(consultation=now_consultation, slug="d", title="D")
    actions.post_proposal(debate=debate, author=alice, title="Déjà là", body="Texte.")

    log = load_demo()

    assert "« cnnum-2014 » : 1 numéro(s) déjà pris, import avec de nouveaux numéros." in log
    proposal = Proposal.objects.get(debate__consultation__slug="cnnum-2014")
    assert (proposal.number, proposal.original_number) == (695, 694)
    assert Contribution.objects.filter(number=2001).exists()  # the budget kept its numbers


@pytest.mark.django_db
def test_the_demo_authors_cannot_sign_in() -> None:
    load_demo()

    demo_users = User.objects.filter(contributions__isnull=False).distinct()
    assert demo_users.count() == 11 + 7
    assert not any(user.has_usable_password() for user in demo_users)
    assert not demo_users.exclude(email="").exists()


def test_the_cnnum_file_transcribes_the_reference_byte_for_byte() -> None:
    seed_path = require_shared_data("seed", "contribution-694.json")
    seed = json.loads(seed_path.read_text(encoding="utf-8"))
    demo = load_file(DEMO_FILES[0])

    (debate,) = demo["debates"]
    assert debate["title"] == seed["debate"]["title"]
    (proposal,) = debate["proposals"]
    reference = seed["proposal"]
    names = {author["key"]: author for author in demo["authors"]}
    for key in ("number", "created_at", "title", "body"):
        assert proposal[key] == reference[key]
    assert names[proposal["author"]]["name"] == reference["author"]["name"]
    assert names[proposal["author"]]["verified"] is True
    by_number = {argument["number"]: argument for argument in proposal["arguments"]}
    assert len(by_number) == len(reference["arguments"]) == 10
    rank = {"for": 0, "against": 0}
    for expected in reference["arguments"]:
        argument = by_number[expected["number"]]
        rank[expected["stance"]] += 1
        assert argument["body"].encode() == expected["body"].encode()
        assert argument["stance"] == expected["stance"]
        assert argument["created_at"] == expected["created_at"]
        assert argument["original_rank"] == rank[expected["stance"]]
        author = names[argument["author"]]
        assert (author["name"], author["verified"]) == (
            expected["author"]["name"],
            expected["author"]["verified"],
        )
    assert proposal["sources"] == reference["sources"] == []
