"""Scheduling: organisers change a consultation's dates, and every page follows at once.

Each change goes through `debates.moderation.reschedule()`, which records a
dated `CalendarChange` shown on the consultation page and a version in the
consultation's history. The clock is frozen at a known instant (Europe/Paris)
so that the notices read exactly as the public sees them.
"""

from __future__ import annotations

import html as html_lib
import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from time_machine import TimeMachineFixture

from accounts.models import User
from debates import actions, moderation
from debates.models import (
    Argument,
    CalendarChange,
    CalendarChangeKind,
    Consultation,
    Proposal,
    Source,
    Vote,
)
from tests.conftest import make_consultation, make_debate, proposal_of
from tests.test_moderation_admin import (
    consultation_form,
    enrol_organiser,
    make_superuser,
    with_dates,
)

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2027, 3, 15, 10, 0, tzinfo=PARIS)
ORDER_ERROR = "La date de clôture doit être postérieure à la date d'ouverture."


def paris(day: int, month: int = 3, hour: int = 18, minute: int = 0) -> datetime:
    return datetime(2027, month, day, hour, minute, tzinfo=PARIS)


@pytest.fixture(autouse=True)
def _without_2fa(settings: Any) -> None:
    settings.STAFF_REQUIRE_2FA = False


@pytest.fixture
def clock(time_machine: TimeMachineFixture) -> TimeMachineFixture:
    """Freeze the clock at NOW: Monday 15 March 2027, 10:00 in Paris."""
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def running(clock: TimeMachineFixture, alice: User, olga: User) -> Consultation:
    """A consultation open from 1 to 31 March 2027, organised by Olga, with Alice's proposal."""
    consultation = make_consultation("budget", paris(1, hour=9), paris(31), title="Budget 2027")
    enrol_organiser(olga, consultation)
    actions.post_proposal(
        debate=make_debate(consultation), author=alice, title="Des bancs", body="Au parc."
    )
    return consultation


@pytest.fixture
def ended(clock: TimeMachineFixture, alice: User, olga: User) -> Consultation:
    """A consultation that ran in February 2027, organised by Olga."""
    consultation = make_consultation("fevrier", paris(1, 2), paris(28, 2), title="Février")
    enrol_organiser(olga, consultation)
    actions.post_proposal(
        debate=make_debate(consultation), author=alice, title="Des arbres", body="Partout."
    )
    return consultation


def text(html: str) -> str:
    """Return the words of a page, tags stripped, whitespace collapsed."""
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split()).replace(" .", ".")


def read(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return text(response.content.decode())


def write_urls(consultation: Consultation) -> dict[str, tuple[str, dict[str, str]]]:
    proposal = proposal_of(consultation)
    base = proposal.get_page_url()
    return {
        "proposal": (
            f"{proposal.debate.get_absolute_url()}proposer/",
            {"title": "Une idée", "body": "Son texte."},
        ),
        "argument": (f"{base}arguments/", {"stance": "for", "body": "Un argument."}),
        "source": (f"{base}sources/", {"title": "Lien", "url": "https://example.org/x"}),
        "vote": (f"{base}vote/", {"value": "agree"}),
    }


def written() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in (Proposal, Argument, Source, Vote))


def admin_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# Validation.


@pytest.mark.parametrize("closes", ["at the opening", "before the opening"])
def test_reschedule_refuses_a_closing_date_not_after_the_opening(
    running: Consultation, olga: User, closes: str
) -> None:
    opens_at = paris(20)
    closes_at = opens_at if closes == "at the opening" else opens_at - timedelta(minutes=1)
    with pytest.raises(ValidationError) as error:
        moderation.reschedule(consultation=running, opens_at=opens_at, closes_at=closes_at, by=olga)
    assert error.value.messages == [ORDER_ERROR]
    running.refresh_from_db()
    assert (running.opens_at, running.closes_at) == (paris(1, hour=9), paris(31))
    assert not CalendarChange.objects.exists()


def test_the_admin_form_shows_the_date_error_next_to_closing_and_saves_nothing(
    running: Consultation, olga: User
) -> None:
    versions = running.history.count()
    client = admin_client(olga)
    form = with_dates(consultation_form(client, running), closes_at=paris(1, hour=8))
    response = client.post(f"/admin/debates/consultation/{running.pk}/change/", form)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["closes_at"] == [ORDER_ERROR]
    row = re.search(
        r'<div class="form-row[^"]*field-closes_at[^"]*">(.*?)</fieldset>',
        response.content.decode(),
        re.S,
    )
    assert row is not None
    assert "Clôture" in row.group(1)
    assert ORDER_ERROR.replace("'", "&#x27;") in row.group(1)
    running.refresh_from_db()
    assert running.closes_at == paris(31)
    assert not CalendarChange.objects.exists()
    assert running.history.count() == versions


def test_reopening_needs_a_closing_date_in_the_future(ended: Consultation, olga: User) -> None:
    with pytest.raises(ValidationError) as error:
        moderation.reopen(consultation=ended, closes_at=NOW, by=olga)
    assert error.value.messages == ["La nouvelle date de clôture doit être dans le futur."]
    assert not CalendarChange.objects.exists()


def test_rescheduling_to_the_same_dates_records_nothing(running: Consultation, olga: User) -> None:
    versions = running.history.count()
    change = moderation.reschedule(
        consultation=running, opens_at=running.opens_at, closes_at=running.closes_at, by=olga
    )
    assert change is None
    assert not CalendarChange.objects.exists()
    assert running.history.count() == versions


# Extending, closing now, reopening.


def test_extending_a_running_consultation_is_announced_on_its_page(
    running: Consultation, olga: User, client: Client
) -> None:
    change = moderation.reschedule(
        consultation=running, opens_at=running.opens_at, closes_at=paris(15, 4), by=olga
    )
    assert change is not None
    assert (change.kind, change.by, change.at) == (CalendarChangeKind.EXTENDED, olga, NOW)
    assert (change.previous_closes_at, change.closes_at) == (paris(31), paris(15, 4))
    html = client.get(running.get_absolute_url()).content.decode()
    assert '<time datetime="2027-04-15T18:00+02:00">15/04/2027 - 18:00</time>' in html
    words = text(html)
    assert "Le 15/03/2027 - 10:00 : Date de clôture prolongée au 15/04/2027 - 18:00." in words
    assert "Participation du 1 mars 2027 09:00 au 15 avril 2027 18:00" in words


@pytest.mark.parametrize("through", ["function", "admin"])
def test_closing_now_turns_every_page_read_only_at_once(
    running: Consultation, olga: User, bob: User, client: Client, through: str
) -> None:
    proposal = proposal_of(running)
    client.force_login(bob)
    assert "Publier l'argument pour" in read(client, proposal.get_page_url())

    if through == "function":
        moderation.close_now(consultation=running, by=olga)
    else:
        response = admin_client(olga).post(
            "/admin/debates/consultation/",
            # The confirming POST of the « Clore maintenant » confirmation page.
            {"action": "close_now", "_selected_action": [running.pk], "apply": "1"},
        )
        assert response.status_code == 302
    running.refresh_from_db()
    assert running.closes_at == NOW
    change = CalendarChange.objects.get()
    assert (change.kind, change.by) == (CalendarChangeKind.CLOSED_NOW, olga)

    closed_banner = "La période de participation est maintenant fermée."
    consultation_page = read(client, running.get_absolute_url())
    assert closed_banner in consultation_page
    assert "Consultation close par les organisateurs le 15/03/2027 - 10:00." in consultation_page
    for url in (proposal.debate.get_absolute_url(), proposal.get_page_url()):
        words = read(client, url)
        assert closed_banner in words
        assert "La consultation est fermée" in words
        assert "Publier" not in words
    before = written()
    for name, (url, data) in write_urls(running).items():
        response = client.post(url, data)
        assert response.status_code == 403, name
        assert "La consultation est fermée" in text(response.content.decode())
    assert written() == before


@pytest.mark.parametrize("through", ["function", "admin"])
def test_reopening_brings_the_forms_back(
    ended: Consultation, olga: User, bob: User, client: Client, through: str
) -> None:
    proposal = proposal_of(ended)
    client.force_login(bob)
    assert "La consultation est fermée" in read(client, proposal.get_page_url())

    if through == "function":
        moderation.reopen(consultation=ended, closes_at=paris(22, hour=10), by=olga)
    else:
        response = admin_client(olga).post(
            "/admin/debates/consultation/",
            {"action": "reopen_for_a_week", "_selected_action": [ended.pk]},
        )
        assert response.status_code == 302
    ended.refresh_from_db()
    assert ended.closes_at == paris(22, hour=10)
    change = CalendarChange.objects.get()
    assert (change.kind, change.by) == (CalendarChangeKind.REOPENED, olga)

    words = read(client, proposal.get_page_url())
    assert "Publier l'argument pour" in words
    assert "La consultation est fermée" not in words
    assert "maintenant fermée" not in words
    consultation_page = read(client, ended.get_absolute_url())
    assert "Consultation rouverte jusqu'au 22/03/2027 - 10:00." in consultation_page
    url, data = write_urls(ended)["argument"]
    assert client.post(url, data).status_code == 302
    assert Argument.objects.filter(author=bob, proposal=proposal).exists()


def test_each_calendar_change_is_in_the_consultations_history(
    running: Consultation, olga: User, clock: TimeMachineFixture
) -> None:
    moderation.reschedule(
        consultation=running, opens_at=running.opens_at, closes_at=paris(10, 4), by=olga
    )
    clock.shift(timedelta(hours=1))
    moderation.close_now(consultation=running, by=olga)
    clock.shift(timedelta(hours=1))
    moderation.reopen(consultation=running, closes_at=paris(20, 4), by=olga)
    versions = list(running.history.order_by("history_date", "history_id"))
    # Created, then Olga made organiser (a version too), then the three changes.
    assert [v.closes_at for v in versions] == [
        paris(31),
        paris(31),
        paris(10, 4),
        NOW + timedelta(hours=1),
        paris(20, 4),
    ]
    kinds = list(CalendarChange.objects.values_list("kind", flat=True))
    assert kinds == [
        CalendarChangeKind.EXTENDED,
        CalendarChangeKind.CLOSED_NOW,
        CalendarChangeKind.REOPENED,
    ]


def test_changing_dates_in_the_admin_goes_through_reschedule(
    running: Consultation, olga: User, client: Client
) -> None:
    admin = admin_client(olga)
    form = with_dates(consultation_form(admin, running), closes_at=paris(7, 4, hour=12))
    response = admin.post(f"/admin/debates/consultation/{running.pk}/change/", form)
    assert response.status_code == 302
    running.refresh_from_db()
    assert running.closes_at == paris(7, 4, hour=12)
    change = CalendarChange.objects.get()
    assert (change.kind, change.by) == (CalendarChangeKind.EXTENDED, olga)
    assert (change.previous_closes_at, change.closes_at) == (paris(31), paris(7, 4, hour=12))
    latest = running.history.order_by("-history_date", "-history_id").first()
    assert latest is not None
    assert (latest.closes_at, latest.history_user) == (paris(7, 4, hour=12), olga)
    assert "Date de clôture prolongée au 07/04/2027 - 12:00." in read(
        client, running.get_absolute_url()
    )


def test_saving_the_admin_form_without_new_dates_records_no_calendar_change(
    running: Consultation, olga: User
) -> None:
    admin = admin_client(olga)
    form = consultation_form(admin, running)
    form["title"] = ["Budget participatif 2027"]
    response = admin.post(f"/admin/debates/consultation/{running.pk}/change/", form)
    assert response.status_code == 302
    running.refresh_from_db()
    assert running.title == "Budget participatif 2027"
    assert not CalendarChange.objects.exists()


def test_after_closing_now_a_post_is_allowed_until_the_second_before(
    running: Consultation, olga: User, bob: User, client: Client, clock: TimeMachineFixture
) -> None:
    moderation.close_now(consultation=running, by=olga)
    running.refresh_from_db()
    assert running.closes_at == NOW
    url, _ = write_urls(running)["argument"]
    client.force_login(bob)

    clock.move_to(NOW - timedelta(seconds=1), tick=False)
    assert client.post(url, {"stance": "for", "body": "Juste à temps."}).status_code == 302
    clock.move_to(NOW, tick=False)
    assert client.post(url, {"stance": "for", "body": "Trop tard."}).status_code == 403
    assert list(Argument.objects.values_list("body", flat=True)) == ["Juste à temps."]


@pytest.mark.parametrize("opens_in_days", [2, 10])
def test_reopening_for_a_week_leaves_an_upcoming_consultation_alone(
    clock: TimeMachineFixture, olga: User, opens_in_days: int
) -> None:
    upcoming = make_consultation(
        "bientot", NOW + timedelta(days=opens_in_days), NOW + timedelta(days=40)
    )
    enrol_organiser(olga, upcoming)
    response = admin_client(olga).post(
        "/admin/debates/consultation/",
        {"action": "reopen_for_a_week", "_selected_action": [upcoming.pk]},
    )
    assert response.status_code == 302
    upcoming.refresh_from_db()
    assert upcoming.closes_at == NOW + timedelta(days=40)
    assert not CalendarChange.objects.exists()


def test_a_superuser_change_is_recorded_with_its_author(
    running: Consultation, client: Client
) -> None:
    sabine = make_superuser()
    admin = admin_client(sabine)
    form = with_dates(consultation_form(admin, running), opens_at=paris(2), closes_at=paris(30))
    assert admin.post(f"/admin/debates/consultation/{running.pk}/change/", form).status_code == 302
    change = CalendarChange.objects.get()
    assert (change.kind, change.by) == (CalendarChangeKind.RESCHEDULED, sabine)
    assert "Calendrier modifié : du 02/03/2027 - 18:00 au 30/03/2027 - 18:00." in read(
        client, running.get_absolute_url()
    )
