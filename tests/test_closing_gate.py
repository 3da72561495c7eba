"""The one closing gate: open when opens_at <= now < closes_at, at the exact second."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from accounts.models import User
from debates import actions
from debates.models import Argument, Consultation, Contribution, Phase, Proposal, Source
from debates.rules import Refusal, participation
from tests.conftest import make_consultation, make_debate

OPENS = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)
CLOSES = datetime(2030, 3, 31, 22, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)

# (moment, phase the gate must report)
BOUNDARIES = [
    (OPENS - SECOND, Phase.UPCOMING),
    (OPENS, Phase.OPEN),
    (OPENS + SECOND, Phase.OPEN),
    (CLOSES - SECOND, Phase.OPEN),
    (CLOSES, Phase.CLOSED),
    (CLOSES + SECOND, Phase.CLOSED),
]


@pytest.fixture
def calendar(alice: User) -> Consultation:
    consultation = make_consultation("calendrier", OPENS, CLOSES)
    debate = make_debate(consultation)
    with time_machine.travel(OPENS, tick=False):
        actions.post_proposal(debate=debate, author=alice, title="Première", body="Texte.")
    return consultation


def write_posts(consultation: Consultation) -> list[tuple[str, dict[str, str]]]:
    """Return every write endpoint of the consultation with a valid payload."""
    proposal = Proposal.objects.get(debate__consultation=consultation)
    page = proposal.get_page_url()
    return [
        (f"{proposal.debate.get_absolute_url()}proposer/", {"title": "Titre", "body": "Texte"}),
        (f"{page}arguments/", {"stance": "for", "body": "Un argument"}),
        (f"{page}sources/", {"title": "Rapport", "url": "https://example.org/r"}),
    ]


@pytest.mark.parametrize(("moment", "phase"), BOUNDARIES)
def test_the_property_and_the_queryset_agree_at_every_boundary(
    calendar: Consultation, moment: datetime, phase: Phase
) -> None:
    assert calendar.phase_at(moment) == phase
    in_open = Consultation.objects.open(moment).filter(pk=calendar.pk).exists()
    in_upcoming = Consultation.objects.upcoming(moment).filter(pk=calendar.pk).exists()
    in_closed = Consultation.objects.closed(moment).filter(pk=calendar.pk).exists()
    assert (in_upcoming, in_open, in_closed) == (
        phase == Phase.UPCOMING,
        phase == Phase.OPEN,
        phase == Phase.CLOSED,
    )


@pytest.mark.parametrize(("moment", "phase"), BOUNDARIES)
def test_the_permission_function_follows_the_gate(
    calendar: Consultation, alice: User, moment: datetime, phase: Phase
) -> None:
    decision = participation(alice, calendar, now=moment)
    expected = {
        Phase.UPCOMING: Refusal.NOT_YET_OPEN,
        Phase.OPEN: None,
        Phase.CLOSED: Refusal.CLOSED,
    }[phase]
    assert decision.refusal == expected
    assert decision.allowed is (phase == Phase.OPEN)


@pytest.mark.parametrize(("moment", "phase"), BOUNDARIES)
def test_every_write_endpoint_obeys_the_gate_to_the_second(
    calendar: Consultation, client: Client, alice: User, moment: datetime, phase: Phase
) -> None:
    for url, payload in write_posts(calendar):
        before = Contribution.objects.count()
        with time_machine.travel(moment, tick=False):
            # Signed in at that moment: a session opened today would have expired by then.
            client.force_login(alice)
            response = client.post(url, payload)
        if phase == Phase.OPEN:
            assert response.status_code == 302, (url, response.content.decode()[-2000:])
            assert response["Location"].startswith("/contributions/"), response["Location"]
            assert Contribution.objects.count() == before + 1
        else:
            assert response.status_code == 403, url
            assert Contribution.objects.count() == before, url
            text = response.content.decode()
            if phase == Phase.CLOSED:
                assert "La consultation est fermée" in text
            else:
                assert "La participation ouvrira le 01/03/2030 - 10:00" in text
            assert "Rien n'a été enregistré" in text


def test_a_forged_post_to_a_closed_consultation_writes_nothing_even_for_a_visitor(
    closed_consultation: Consultation, client: Client
) -> None:
    # A visitor is not sent to sign in: signing in would not open a closed consultation.
    for url, payload in write_posts(closed_consultation):
        response = client.post(url, payload)
        assert response.status_code == 403
        assert "La consultation est fermée" in response.content.decode()
    assert Argument.objects.count() == 0
    assert Source.objects.count() == 0
    assert Proposal.objects.count() == 1


def test_a_visitor_posting_to_an_open_consultation_is_sent_to_sign_in(
    open_consultation: Consultation, client: Client
) -> None:
    for url, payload in write_posts(open_consultation):
        response = client.post(url, payload)
        assert response.status_code == 302
        assert response["Location"].startswith("/comptes/login/?next=")
    assert Contribution.objects.count() == 1


def test_a_write_endpoint_refuses_get(open_consultation: Consultation, client: Client) -> None:
    for url, _payload in write_posts(open_consultation):
        assert client.get(url).status_code == 405


@pytest.mark.parametrize(("moment", "phase"), BOUNDARIES)
def test_the_pages_show_the_state_of_the_gate(
    calendar: Consultation, client: Client, moment: datetime, phase: Phase
) -> None:
    proposal = Proposal.objects.get(debate__consultation=calendar)
    banner = "La période de participation est maintenant fermée. Merci à tous d'avoir participé."
    for url in (
        calendar.get_absolute_url(),
        proposal.debate.get_absolute_url(),
        proposal.get_page_url(),
    ):
        with time_machine.travel(moment, tick=False):
            text = client.get(url).content.decode()
        assert (banner in text) is (phase == Phase.CLOSED), url
        assert ("La participation ouvrira le" in text) is (phase == Phase.UPCOMING), url
    with time_machine.travel(moment, tick=False):
        text = client.get(proposal.get_page_url()).content.decode()
    closed_places = text.count('<p class="form-place form-closed">La consultation est fermée</p>')
    # vote, argument pour, argument contre, source
    assert closed_places == (4 if phase == Phase.CLOSED else 0)
    sign_in_prompts = text.count("pour proposer un argument.")
    assert sign_in_prompts == (2 if phase == Phase.OPEN else 0)


def test_a_post_that_reaches_the_close_mid_request_is_refused_never_stamped_after(
    calendar: Consultation, client: Client, alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The request passes the gate a millisecond before the close, and its
    checks (the resubmission lookup, the rate limit) take two: the write is
    refused, not stamped at or after `closes_at` (found by tests/cluster)."""
    real_lookup = actions.already_submitted
    for url, payload in write_posts(calendar):
        before = Contribution.objects.count()
        with time_machine.travel(CLOSES - timedelta(milliseconds=1), tick=False) as traveller:

            def slow(**kwargs: object) -> object:
                traveller.shift(timedelta(milliseconds=2))
                return real_lookup(**kwargs)  # type: ignore[arg-type]

            monkeypatch.setattr(actions, "already_submitted", slow)
            client.force_login(alice)
            response = client.post(url, payload)
            monkeypatch.undo()
        assert response.status_code == 403, url
        assert "La consultation est fermée" in response.content.decode()
        assert Contribution.objects.count() == before
    assert not Contribution.objects.filter(created_at__gte=CLOSES).exists()
