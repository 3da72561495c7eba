"""The admin's history pages obey the same scope and gate as the rest of the admin.

django-simple-history adds two pages to every admin of a model with history:
the list of versions (`<pk>/history/`) and a version (`<pk>/history/<id>/`).
Left alone, the version page read the object without the admin's scope and
saved whatever was posted after checking only the *view* permission. These
tests perform the attacks found in review and assert that each is refused
and that nothing was written: neither the rows nor their history tables.

The personas and the two consultations are those of test_moderation_admin:
Olga organises A, Oscar B, Mona moderates, Sabine is a superuser, Bob a citizen.
"""

# The fixtures `world` (and `targets`) are imported from their test modules, so each
# test naming them as arguments « redefines » the import for pyflakes.
# ruff: noqa: F811

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Model
from django.forms.models import model_to_dict
from django.http import HttpResponse
from django.test import Client

from accounts.models import User
from debates import actions
from debates.models import (
    Argument,
    Consultation,
    Debate,
    Endorsement,
    ModerationEvent,
    Proposal,
    Report,
    Source,
    Vote,
)
from tests.test_moderation_admin import (  # noqa: F401 (fixtures)
    SIGN_IN,
    World,
    change_form_data,
    consultation_form,
    signed_in,
    superuser_client,
    with_dates,
    world,
)

HISTORY_MODELS: list[type[Model]] = [
    Consultation,
    Debate,
    Proposal,
    Argument,
    Source,
    Report,
    Vote,
    Endorsement,
]
PERSONAS = ("anonymous", "citizen", "moderator", "organiser_a", "organiser_b", "superuser")


@pytest.fixture(autouse=True)
def _without_2fa(settings: Any) -> None:
    settings.STAFF_REQUIRE_2FA = False


@dataclass
class Targets:
    """One object of each model with history, all in consultation B."""

    objects: dict[str, Model]
    secret: dict[str, str]  # a text of each object an outsider must never read


@pytest.fixture
def targets(world: World, alice: User) -> Targets:
    b = world.b
    vote = actions.cast_vote(proposal=b.proposal, user=alice, value="agree")
    actions.toggle_endorsement(argument=b.argument, user=alice)
    b.consultation.is_draft = True  # a draft: only its organisers and moderators read it
    b.consultation.save()
    report = Report.objects.get(contribution=b.argument)
    report.comment = "Commentaire du signalement conso-b"
    report.save()
    objects: dict[str, Model] = {
        "consultation": b.consultation,
        "debate": b.proposal.debate,
        "proposal": b.proposal,
        "argument": b.hidden,  # hidden by moderation: its text stays out of sight
        "source": b.source,
        "report": report,
        "vote": vote,
        "endorsement": Endorsement.objects.get(argument=b.argument),
    }
    secret = {
        "consultation": "Consultation conso-b",
        "debate": "Débat theme",
        "proposal": "Idée conso-b",
        "argument": "Argument masqué conso-b",
        "source": "Source conso-b",
        "report": "Commentaire du signalement conso-b",
        "vote": "Idée conso-b",
        "endorsement": "Argument visible conso-b",
    }
    return Targets(objects, secret)


def history_url(obj: Model) -> str:
    return f"/admin/{obj._meta.app_label}/{obj._meta.model_name}/{obj.pk}/history/"


def version_url(obj: Model) -> str:
    version = obj.history.earliest("history_date")  # type: ignore[attr-defined]
    return f"{history_url(obj)}{version.history_id}/"


def database_state() -> dict[str, Any]:
    """Return every row of every model with history, and every row of their history tables."""
    state: dict[str, Any] = {}
    for model in HISTORY_MODELS:
        state[model.__name__] = list(model._default_manager.order_by("pk").values())
        history = model.history.model  # type: ignore[attr-defined]
        state[f"history of {model.__name__}"] = list(history.objects.order_by("pk").values())
    state["organisers"] = list(
        Consultation.organisers.through.objects.order_by("pk").values_list(
            "consultation_id", "user_id"
        )
    )
    return state


# What each persona gets on B's history pages, by model (GET of the list and of a version).
# 404: outside the persona's consultations; 403: inside, without the view permission.
# fmt: off
READ = {
    #              anonymous citizen  moderator organiser_a organiser_b superuser
    "consultation": (SIGN_IN, SIGN_IN, 200,      404,        200,        200),
    "debate":       (SIGN_IN, SIGN_IN, 200,      404,        200,        200),
    "proposal":     (SIGN_IN, SIGN_IN, 200,      404,        200,        200),
    "argument":     (SIGN_IN, SIGN_IN, 200,      404,        200,        200),
    "source":       (SIGN_IN, SIGN_IN, 200,      404,        200,        200),
    "report":       (SIGN_IN, SIGN_IN, 200,      404,        200,        200),
    "vote":         (SIGN_IN, SIGN_IN, 200,      404,        403,        200),
    "endorsement":  (SIGN_IN, SIGN_IN, 200,      404,        403,        200),
}
# fmt: on


def read_matrix() -> list[Any]:
    return [
        pytest.param(model, persona, expected, id=f"{persona}-{model}")
        for model, cells in READ.items()
        for persona, expected in zip(PERSONAS, cells, strict=True)
    ]


def assert_answer(response: HttpResponse, expected: object) -> None:
    if expected == SIGN_IN:
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    else:
        assert response.status_code == expected


@pytest.mark.parametrize(("model", "persona", "expected"), read_matrix())
def test_each_persona_reads_the_history_of_b_only_within_its_scope(
    world: World, targets: Targets, client: Client, model: str, persona: str, expected: object
) -> None:
    obj = targets.objects[model]
    signed_in(client, world, persona)
    for url in (history_url(obj), version_url(obj)):
        response = client.get(url)
        assert_answer(response, expected)
        if expected != 200:
            assert targets.secret[model] not in response.content.decode(), url


@pytest.mark.parametrize("model", list(READ))
def test_a_version_outside_ones_scope_is_not_found_whatever_its_id(
    world: World, targets: Targets, client: Client, model: str
) -> None:
    obj = targets.objects[model]
    signed_in(client, world, "organiser_a")
    for suffix in ("history/", "history/1/", "history/999999/", "history/abc/"):
        response = client.get(f"{history_url(obj).removesuffix('history/')}{suffix}")
        assert response.status_code == 404, suffix


def forged_post(obj: Model) -> dict[str, Any]:
    """Return a complete form for `obj` with a changed text, as an attacker would post it."""
    data: dict[str, Any] = {}
    for name, value in model_to_dict(obj).items():
        if value is None:
            continue
        if isinstance(value, list):
            data[name] = [getattr(v, "pk", v) for v in value]
        elif hasattr(value, "isoformat"):
            data[f"{name}_0"] = value.strftime("%d/%m/%Y")
            data[f"{name}_1"] = value.strftime("%H:%M:%S")
        else:
            data[name] = value
    for field in ("title", "body", "comment", "slug"):
        if field in data:
            data[field] = "Réécrit par l'attaquant"
    if "value" in data:
        data["value"] = "disagree"
    return data


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("model", list(READ))
def test_no_persona_saves_anything_through_a_version_page(
    world: World, targets: Targets, client: Client, model: str, persona: str
) -> None:
    obj = targets.objects[model]
    url = version_url(obj)
    before = database_state()
    response = signed_in(client, world, persona).post(url, forged_post(obj))
    if persona in ("anonymous", "citizen"):
        assert_answer(response, SIGN_IN)
    else:
        # Out of scope: 404; in scope: 403 with the reason, whatever the rights.
        assert response.status_code in (403, 404)
        if response.status_code == 403 and READ[model][PERSONAS.index(persona)] == 200:
            assert "ne peut pas être rétablie" in response.content.decode()
    assert database_state() == before


def test_a_version_page_offers_no_revert_and_no_field_to_edit(
    world: World, targets: Targets, client: Client
) -> None:
    signed_in(client, world, "superuser")
    html = client.get(version_url(targets.objects["proposal"])).content.decode()
    assert "Idée conso-b" in html
    fields = re.findall(r"<(?:input|textarea|select)\b[^>]*>", html)
    editable = [
        f
        for f in fields
        if "name=" in f and "csrfmiddlewaretoken" not in f and " disabled" not in f
    ]
    assert any('name="title"' in f for f in fields)
    assert editable == []
    assert 'name="_save"' not in html  # simple-history's « Revert » button


# The attacks found in review, one by one.


def test_an_organiser_of_a_cannot_rename_b_move_its_dates_or_take_it_over_through_history(
    world: World, client: Client
) -> None:
    consultation = world.b.consultation
    olga = world.users["organiser_a"]
    assert olga is not None
    form = consultation_form(superuser_client(world), consultation)
    form["title"] = ["B renommée par Olga"]
    form["organisers"] = [str(olga.pk)]
    form = with_dates(form, closes_at=consultation.closes_at + timedelta(days=90))
    before = database_state()
    response = signed_in(client, world, "organiser_a").post(version_url(consultation), form)
    assert response.status_code == 404
    assert database_state() == before
    consultation.refresh_from_db()
    assert consultation.title == "Consultation conso-b"
    assert not consultation.organisers.filter(pk=olga.pk).exists()


def test_even_the_organiser_of_b_changes_its_dates_only_through_reschedule(
    world: World, client: Client
) -> None:
    consultation = world.b.consultation
    form = with_dates(
        consultation_form(superuser_client(world), consultation),
        closes_at=consultation.closes_at + timedelta(days=90),
    )
    before = database_state()
    response = signed_in(client, world, "organiser_b").post(version_url(consultation), form)
    assert response.status_code == 403
    assert database_state() == before
    assert not consultation.calendar_changes.exists()  # type: ignore[attr-defined]


@pytest.fixture
def cnnum(db: None) -> Proposal:
    call_command("load_demo", verbosity=0)
    return Proposal.objects.select_related("debate__consultation").get(number=694)


@pytest.mark.parametrize("persona", ["organiser_a", "moderator", "superuser"])
def test_nobody_rewrites_694_of_the_closed_cnnum_consultation_through_history(
    cnnum: Proposal, world: World, client: Client, persona: str
) -> None:
    assert cnnum.debate.consultation.is_closed
    attacker = world.users[persona]
    assert attacker is not None
    form = change_form_data(
        superuser_client(world).get(f"/admin/debates/proposal/{cnnum.pk}/change/"),
        "proposal_form",
    )
    form.update(title=["Titre réécrit"], body=["Corps réécrit"], author=[str(attacker.pk)])
    before = database_state()
    response = signed_in(client, world, persona).post(version_url(cnnum), form)
    assert response.status_code == (404 if persona == "organiser_a" else 403)
    assert database_state() == before
    cnnum.refresh_from_db()
    assert cnnum.title != "Titre réécrit" and cnnum.author_id != attacker.pk


@pytest.mark.parametrize("persona", ["moderator", "superuser"])
def test_the_change_form_of_a_closed_consultations_contribution_saves_nothing(
    cnnum: Proposal, world: World, client: Client, persona: str
) -> None:
    url = f"/admin/debates/proposal/{cnnum.pk}/change/"
    page = signed_in(client, world, persona).get(url)
    assert page.status_code == 200  # shown read-only: no form fields to post
    assert 'name="title"' not in page.content.decode()
    form = {"debate": [str(cnnum.debate_id)], "author": [str(cnnum.author_id)]}
    form.update(title=["Titre réécrit"], body=["Corps réécrit"])
    before = database_state()
    response = client.post(url, form)
    assert response.status_code == 403
    assert database_state() == before


def test_the_change_form_still_edits_a_contribution_while_open(
    world: World, client: Client
) -> None:
    url = f"/admin/debates/proposal/{world.b.proposal.pk}/change/"
    form = change_form_data(signed_in(client, world, "moderator").get(url), "proposal_form")
    form["title"] = ["Titre corrigé par la modération"]
    assert client.post(url, form).status_code == 302
    world.b.proposal.refresh_from_db()
    assert world.b.proposal.title == "Titre corrigé par la modération"


def test_a_moderator_cannot_change_a_citizens_vote_through_history(
    world: World, targets: Targets, client: Client, alice: User
) -> None:
    vote = targets.objects["vote"]
    assert isinstance(vote, Vote)
    form = forged_post(vote)
    assert form["value"] == "disagree" and form["user"] == alice.pk
    before = database_state()
    response = signed_in(client, world, "moderator").post(version_url(vote), form)
    assert response.status_code == 403
    assert database_state() == before
    vote.refresh_from_db()
    assert vote.value == "agree"


def test_hiding_still_goes_through_the_moderation_action(world: World, client: Client) -> None:
    # The only way to change what the public sees of a contribution: hide / unhide.
    argument = world.b.argument
    selection = {"action": "hide_selected", "_selected_action": [argument.pk]}
    signed_in(client, world, "organiser_b")
    client.post("/admin/debates/argument/", {**selection, "apply": "1", "reason": "spam"})
    argument.refresh_from_db()
    assert argument.is_hidden
    assert ModerationEvent.objects.filter(contribution=argument).exists()


def count_queries(client: Client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200, url
    return len(queries)


def add_versions(proposal: Proposal, n: int) -> None:
    for i in range(n):
        proposal.body = f"Version {i}"
        proposal.save()


@pytest.mark.parametrize("persona", ["organiser_b", "moderator", "superuser"])
def test_a_history_page_costs_the_same_with_few_or_many_versions(
    world: World, client: Client, persona: str
) -> None:
    proposal = world.b.proposal
    signed_in(client, world, persona)
    add_versions(proposal, 2)
    few = count_queries(client, history_url(proposal)), count_queries(client, version_url(proposal))
    add_versions(proposal, 20)
    many = (
        count_queries(client, history_url(proposal)),
        count_queries(client, version_url(proposal)),
    )
    assert many == few
