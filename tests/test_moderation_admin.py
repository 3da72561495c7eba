"""Who may do what in the admin: the permissions matrix of moderation and scheduling.

Six personas meet two consultations. Olga organises consultation A and Oscar
consultation B; Mona moderates every consultation; Sabine administers the
platform; Bob is a citizen. Each consultation holds a proposal, an argument
reported by Bob, a hidden argument and a source, so that every changelist has
rows on both sides. The actions are tried on consultation B: Oscar is its
organiser, Olga the organiser of another consultation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timezone import localtime

from accounts.models import User
from debates import actions, moderation
from debates.models import (
    Argument,
    CalendarChange,
    Consultation,
    Contribution,
    HideReason,
    ModerationEvent,
    Proposal,
    Report,
    ReportReason,
    Source,
)
from tests.conftest import PASSWORD, make_consultation, make_debate, make_user

# Helpers shared with tests/test_moderation.py and tests/test_calendar.py.


def make_moderator(username: str = "mona", display_name: str = "Mona Modératrice") -> User:
    """Create a staff member of the « Modérateurs » group."""
    user = make_user(username, display_name, is_staff=True)
    Group.objects.get(name=moderation.MODERATORS_GROUP).user_set.add(user)
    return user


def make_organiser(username: str, display_name: str, *of: Consultation) -> User:
    """Create a staff member of the « Organisateurs » group who organises `of`."""
    user = make_user(username, display_name, is_staff=True)
    return enrol_organiser(user, *of)


def enrol_organiser(user: User, *of: Consultation) -> User:
    """Put `user` in the « Organisateurs » group and make them organise `of`."""
    Group.objects.get(name=moderation.ORGANISERS_GROUP).user_set.add(user)
    for consultation in of:
        consultation.organisers.add(user)
    return user


def make_superuser(username: str = "sabine") -> User:
    return make_user(username, "Sabine Admin", is_staff=True, is_superuser=True)


class _FormReader(HTMLParser):
    """Collect what a browser would submit from one <form> of a page."""

    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.data: dict[str, list[str]] = {}
        self.select: tuple[str, bool] | None = None
        self.select_first: str | None = None
        self.option: str | None = None
        self.textarea: str | None = None

    def _add(self, name: str, value: str) -> None:
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        if tag == "form" and attr.get("id") == self.form_id:
            self.inside = True
        if not self.inside or "disabled" in attr:
            return
        name = attr.get("name", "")
        if tag == "input" and name:
            kind = attr.get("type", "text")
            if kind in {"submit", "button", "image", "reset", "file"}:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in attr:
                    self._add(name, attr.get("value", "on"))
                return
            self._add(name, attr.get("value", ""))
        elif tag == "select" and name:
            self.select, self.select_first = (name, "multiple" in attr), None
            self.data.setdefault(name, [])
        elif tag == "option" and self.select:
            value = attr.get("value")
            if self.select_first is None:
                self.select_first = value
            if "selected" in attr:
                self._add(self.select[0], value or "")
        elif tag == "textarea" and name:
            self.textarea = name
            self._add(name, "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "select" and self.select:
            name, multiple = self.select
            if not self.data[name] and not multiple and self.select_first is not None:
                self.data[name] = [self.select_first]
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea:
            # Browsers drop the newline that follows <textarea>.
            self.data[self.textarea][-1] += data.removeprefix("\n")


def change_form_data(page: HttpResponse, form_id: str) -> dict[str, list[str]]:
    """Return the fields an admin change form posts as it stands on `page`."""
    reader = _FormReader(form_id)
    reader.feed(page.content.decode())
    assert reader.data, f"no form #{form_id} on the page"
    return reader.data


def consultation_form(client: Client, consultation: Consultation) -> dict[str, list[str]]:
    """Return the consultation's admin change form as it stands (`client` must may change it)."""
    page = client.get(f"/admin/debates/consultation/{consultation.pk}/change/")
    assert page.status_code == 200
    return change_form_data(page, "consultation_form")


def split_datetime(value: Any) -> dict[str, str]:
    """Return the admin's date and time inputs for an aware datetime, in Paris time."""
    local = localtime(value)
    return {"0": date_format(local, "d/m/Y"), "1": local.strftime("%H:%M:%S")}


def with_dates(form: dict[str, list[str]], **dates: Any) -> dict[str, list[str]]:
    """Return `form` with opens_at / closes_at set to the given datetimes."""
    changed = dict(form)
    for field, value in dates.items():
        for suffix, text in split_datetime(value).items():
            changed[f"{field}_{suffix}"] = [text]
    return changed


def hide_through_admin(
    client: Client,
    items: list[Contribution],
    reason: str = HideReason.SPAM,
    note: str = "",
    changelist: str = "",
) -> tuple[HttpResponse, HttpResponse]:
    """Run the « Masquer avec un motif » action: the confirmation page, then apply."""
    url = changelist or f"/admin/debates/{items[0].kind}/"
    selection = {"action": "hide_selected", "_selected_action": [c.pk for c in items]}
    confirmation = client.post(url, selection)
    applied = client.post(url, {**selection, "apply": "1", "reason": reason, "note": note})
    return confirmation, applied


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200, url
    return len(queries)


# The world of the matrix.


@dataclass
class Side:
    """One consultation and its contributions."""

    consultation: Consultation
    proposal: Proposal
    argument: Argument
    hidden: Argument
    source: Source


@dataclass
class World:
    users: dict[str, User | None]
    a: Side
    b: Side


def build_side(slug: str, organiser: User, alice: User, bob: User, sabine: User) -> Side:
    now = timezone.now()
    consultation = make_consultation(
        slug, now - timedelta(days=3), now + timedelta(days=3), title=f"Consultation {slug}"
    )
    enrol_organiser(organiser, consultation)
    proposal = actions.post_proposal(
        debate=make_debate(consultation), author=alice, title=f"Idée {slug}", body="Texte."
    )
    argument = actions.post_argument(
        proposal=proposal, author=bob, stance="for", body=f"Argument visible {slug}"
    )
    hidden = actions.post_argument(
        proposal=proposal, author=bob, stance="against", body=f"Argument masqué {slug}"
    )
    source = actions.post_source(
        proposal=proposal, author=bob, title=f"Source {slug}", url="https://example.org"
    )
    moderation.report(contribution=argument, reporter=alice, reason=ReportReason.OFFENSIVE)
    moderation.hide(contribution=hidden, actor=sabine, reason=HideReason.OFFENSIVE, notify=False)
    return Side(consultation, proposal, argument, hidden, source)


@pytest.fixture(autouse=True)
def _without_2fa(settings: Any) -> None:
    settings.STAFF_REQUIRE_2FA = False


@pytest.fixture
def world(alice: User, bob: User, olga: User) -> World:
    sabine = make_superuser()
    oscar = make_user("oscar", "Oscar Organisateur", is_staff=True)
    a = build_side("conso-a", olga, alice, bob, sabine)
    b = build_side("conso-b", oscar, alice, bob, sabine)
    users: dict[str, User | None] = {
        "anonymous": None,
        "citizen": bob,
        "moderator": make_moderator(),
        "organiser_a": olga,
        "organiser_b": oscar,
        "superuser": sabine,
    }
    return World(users, a, b)


def signed_in(client: Client, world: World, persona: str) -> Client:
    user = world.users[persona]
    if user is not None:
        client.force_login(user)
    return client


def superuser_client(world: World) -> Client:
    client = Client()
    client.force_login(world.users["superuser"])  # type: ignore[arg-type]
    return client


PERSONAS = ("anonymous", "citizen", "moderator", "organiser_a", "organiser_b", "superuser")
SIGN_IN = "sign-in"  # sent to the admin's sign-in page
ALLOWED = "allowed"
REFUSED = "refused"


def matrix(table: dict[str, tuple[str, ...]]) -> list[Any]:
    return [
        pytest.param(row, persona, expected, id=f"{persona}-{row}")
        for row, cells in table.items()
        for persona, expected in zip(PERSONAS, cells, strict=True)
    ]


# What rows each persona sees in each changelist: consultation A's, B's, both.
# fmt: off
LISTS = {
    #                        anonymous citizen  moderator organiser_a organiser_b superuser
    "consultation":          (SIGN_IN, SIGN_IN, "AB",     "A",        "B",        "AB"),
    "proposal":              (SIGN_IN, SIGN_IN, "AB",     "A",        "B",        "AB"),
    "argument":              (SIGN_IN, SIGN_IN, "AB",     "A",        "B",        "AB"),
    "source":                (SIGN_IN, SIGN_IN, "AB",     "A",        "B",        "AB"),
    "reportedcontribution":  (SIGN_IN, SIGN_IN, "AB",     "A",        "B",        "AB"),
    "report":                (SIGN_IN, SIGN_IN, "AB",     "A",        "B",        "AB"),
    "moderationevent":       (SIGN_IN, SIGN_IN, "AB",     "A",        "B",        "AB"),
}
# fmt: on


def side_of(row: Any) -> str:
    """Return « A » or « B »: the consultation a changelist row belongs to."""
    if isinstance(row, Consultation):
        consultation = row
    elif isinstance(row, ModerationEvent):
        consultation = row.consultation
    elif isinstance(row, Report):
        consultation = moderation.consultation_of(row.contribution)
    else:
        consultation = moderation.consultation_of(row)
    return {"conso-a": "A", "conso-b": "B"}[consultation.slug]


def assert_sent_to_sign_in(response: HttpResponse) -> None:
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize(("changelist", "persona", "expected"), matrix(LISTS))
def test_each_persona_lists_the_rows_of_its_consultations(
    world: World, client: Client, changelist: str, persona: str, expected: str
) -> None:
    response = signed_in(client, world, persona).get(f"/admin/debates/{changelist}/")
    if expected == SIGN_IN:
        assert_sent_to_sign_in(response)
        return
    assert response.status_code == 200
    sides = {side_of(row) for row in response.context["cl"].result_list}
    assert "".join(sorted(sides)) == expected


# What each persona may do to consultation B and its contributions.


def view_argument(client: Client, world: World) -> tuple[HttpResponse, bool]:
    response = client.get(f"/admin/debates/argument/{world.b.argument.pk}/change/")
    shown = response.status_code == 200 and "Argument visible conso-b" in response.content.decode()
    return response, shown


def view_consultation(client: Client, world: World) -> tuple[HttpResponse, bool]:
    response = client.get(f"/admin/debates/consultation/{world.b.consultation.pk}/change/")
    shown = response.status_code == 200 and "Consultation conso-b" in response.content.decode()
    return response, shown


def change_consultation(client: Client, world: World) -> tuple[HttpResponse, bool]:
    form = consultation_form(superuser_client(world), world.b.consultation)
    form["title"] = ["Nouveau titre"]
    url = f"/admin/debates/consultation/{world.b.consultation.pk}/change/"
    response = client.post(url, form)
    world.b.consultation.refresh_from_db()
    return response, world.b.consultation.title == "Nouveau titre"


def change_dates(client: Client, world: World) -> tuple[HttpResponse, bool]:
    consultation = world.b.consultation
    later = consultation.closes_at + timedelta(days=10)
    form = with_dates(consultation_form(superuser_client(world), consultation), closes_at=later)
    response = client.post(f"/admin/debates/consultation/{consultation.pk}/change/", form)
    consultation.refresh_from_db()
    return response, CalendarChange.objects.filter(consultation=consultation).exists()


def hide(client: Client, world: World) -> tuple[HttpResponse, bool]:
    _, applied = hide_through_admin(client, [world.b.argument])
    world.b.argument.refresh_from_db()
    return applied, world.b.argument.is_hidden


def unhide(client: Client, world: World) -> tuple[HttpResponse, bool]:
    selection = {"action": "unhide_selected", "_selected_action": [world.b.hidden.pk]}
    response = client.post("/admin/debates/argument/", selection)
    world.b.hidden.refresh_from_db()
    return response, not world.b.hidden.is_hidden


def dismiss_reports(client: Client, world: World) -> tuple[HttpResponse, bool]:
    selection = {"action": "dismiss_reports", "_selected_action": [world.b.argument.pk]}
    response = client.post("/admin/debates/reportedcontribution/", selection)
    return response, not Report.objects.open().filter(contribution=world.b.argument).exists()


def consultation_action(name: str) -> Callable[[Client, World], tuple[HttpResponse, bool]]:
    def run(client: Client, world: World) -> tuple[HttpResponse, bool]:
        consultation = world.b.consultation
        if name == "reopen_for_a_week":
            moderation.close_now(consultation=consultation, by=None)
        if name == "publish":
            consultation.is_draft = True
            consultation.save()
        before = (consultation.opens_at, consultation.closes_at, consultation.is_draft)
        selection = {"action": name, "_selected_action": [consultation.pk]}
        if name == "close_now":
            selection["apply"] = "1"  # the confirming POST of its confirmation page
        response = client.post("/admin/debates/consultation/", selection)
        consultation.refresh_from_db()
        return response, (
            consultation.opens_at,
            consultation.closes_at,
            consultation.is_draft,
        ) != before

    return run


ACTIONS: dict[str, Callable[[Client, World], tuple[HttpResponse, bool]]] = {
    "view-argument": view_argument,
    "view-consultation": view_consultation,
    "change-consultation": change_consultation,
    "hide": hide,
    "unhide": unhide,
    "dismiss-reports": dismiss_reports,
    "change-dates": change_dates,
    "close-now": consultation_action("close_now"),
    "reopen-for-a-week": consultation_action("reopen_for_a_week"),
    "publish": consultation_action("publish"),
}

# fmt: off
ON_B = {
    #                     anonymous citizen  moderator organiser_a organiser_b superuser
    "view-argument":       (SIGN_IN, SIGN_IN, ALLOWED,  REFUSED,    ALLOWED,    ALLOWED),
    "view-consultation":   (SIGN_IN, SIGN_IN, ALLOWED,  REFUSED,    ALLOWED,    ALLOWED),
    "change-consultation": (SIGN_IN, SIGN_IN, REFUSED,  REFUSED,    ALLOWED,    ALLOWED),
    "hide":                (SIGN_IN, SIGN_IN, ALLOWED,  REFUSED,    ALLOWED,    ALLOWED),
    "unhide":              (SIGN_IN, SIGN_IN, ALLOWED,  REFUSED,    ALLOWED,    ALLOWED),
    "dismiss-reports":     (SIGN_IN, SIGN_IN, ALLOWED,  REFUSED,    ALLOWED,    ALLOWED),
    "change-dates":        (SIGN_IN, SIGN_IN, REFUSED,  REFUSED,    ALLOWED,    ALLOWED),
    "close-now":           (SIGN_IN, SIGN_IN, REFUSED,  REFUSED,    ALLOWED,    ALLOWED),
    "reopen-for-a-week":   (SIGN_IN, SIGN_IN, REFUSED,  REFUSED,    ALLOWED,    ALLOWED),
    "publish":             (SIGN_IN, SIGN_IN, REFUSED,  REFUSED,    ALLOWED,    ALLOWED),
}
# fmt: on


def is_refusal(response: HttpResponse) -> bool:
    """Return whether the admin refused: 403, 404, or its « n'existe pas » redirect home.

    Django's admin answers a change page outside get_queryset() with a redirect
    to its index and a warning, which tells no more than a 404.
    """
    if response.status_code in (403, 404):
        return True
    return response.status_code == 302 and response["Location"] == "/admin/"


@pytest.mark.parametrize(("action", "persona", "expected"), matrix(ON_B))
def test_each_persona_may_act_on_consultation_b_as_the_matrix_says(
    world: World, client: Client, action: str, persona: str, expected: str
) -> None:
    response, done = ACTIONS[action](signed_in(client, world, persona), world)
    if expected == SIGN_IN:
        assert_sent_to_sign_in(response)
        assert not done
    elif expected == ALLOWED:
        assert response.status_code in (200, 302)
        assert done
    else:
        # Refusals by the admin's scoping answer a redirect or a 403.
        assert response.status_code in (302, 403, 404)
        assert not done
        if persona == "moderator":
            assert response.status_code == 403
        if action.startswith("view"):
            assert is_refusal(response)


@pytest.mark.parametrize(
    "action", ["hide", "unhide", "dismiss-reports", "close-now", "reopen-for-a-week", "publish"]
)
def test_an_organiser_is_refused_an_action_on_another_consultation(
    world: World, client: Client, action: str
) -> None:
    response, done = ACTIONS[action](signed_in(client, world, "organiser_a"), world)
    assert not done
    assert response.status_code == 403


def test_the_hide_confirmation_lists_the_items_and_asks_a_public_reason(
    world: World, client: Client
) -> None:
    signed_in(client, world, "organiser_b")
    selection = {"action": "hide_selected", "_selected_action": [world.b.argument.pk]}
    page = client.post("/admin/debates/argument/", selection)
    assert page.status_code == 200
    html = page.content.decode()
    assert f"#{world.b.argument.number} (argument)" in html
    assert 'name="reason"' in html and 'name="apply"' in html
    world.b.argument.refresh_from_db()
    assert not world.b.argument.is_hidden  # nothing happens before the confirmation


def test_a_moderator_hides_from_the_moderation_queue(world: World, client: Client) -> None:
    signed_in(client, world, "moderator")
    hide_through_admin(
        client,
        [world.a.argument, world.b.argument],
        changelist="/admin/debates/reportedcontribution/",
    )
    assert Argument.objects.get(pk=world.a.argument.pk).is_hidden
    assert Argument.objects.get(pk=world.b.argument.pk).is_hidden


def test_a_moderator_without_totp_is_sent_to_set_it_up(
    world: World, client: Client, settings: Any
) -> None:
    settings.STAFF_REQUIRE_2FA = True
    signed_in(client, world, "moderator")
    response = client.get("/admin/debates/reportedcontribution/")
    assert response.status_code == 302
    assert response["Location"] == "/comptes/2fa/totp/activate/"
    _, applied = hide_through_admin(client, [world.b.argument])
    assert applied.status_code == 302
    assert not Argument.objects.get(pk=world.b.argument.pk).is_hidden


CHANGELISTS_WITH_CONSULTATION_FILTERS = [
    "/admin/debates/proposal/",
    "/admin/debates/argument/",
    "/admin/debates/source/",
    "/admin/debates/moderationevent/",
    "/admin/debates/debate/",
]


@pytest.mark.parametrize(
    "url",
    [pytest.param(url) for url in CHANGELISTS_WITH_CONSULTATION_FILTERS]
    + ["/admin/debates/consultation/", "/admin/debates/reportedcontribution/"],
)
def test_an_organiser_never_reads_another_consultations_title_in_the_admin(
    world: World, client: Client, url: str
) -> None:
    response = signed_in(client, world, "organiser_a").get(url)
    assert response.status_code == 200
    assert "conso-b" not in response.content.decode()


def test_a_moderator_cannot_make_themself_superuser(world: World, client: Client) -> None:
    mona = world.users["moderator"]
    assert mona is not None
    signed_in(client, world, "moderator")
    page = client.get(f"/admin/accounts/user/{mona.pk}/change/")
    form = change_form_data(page, "user_form") if page.status_code == 200 else {}
    form["is_superuser"] = ["on"]
    client.post(f"/admin/accounts/user/{mona.pk}/change/", form)
    mona.refresh_from_db()
    assert not mona.is_superuser


def test_a_moderator_cannot_set_a_superusers_password(world: World, client: Client) -> None:
    sabine = world.users["superuser"]
    assert sabine is not None
    signed_in(client, world, "moderator")
    client.post(
        f"/admin/accounts/user/{sabine.pk}/password/",
        {"password1": "pris en main 2027!", "password2": "pris en main 2027!"},
    )
    sabine.refresh_from_db()
    assert sabine.check_password(PASSWORD)


def test_a_malformed_consultation_filter_in_the_queue_is_no_server_error(
    world: World, client: Client
) -> None:
    response = signed_in(client, world, "moderator").get(
        "/admin/debates/reportedcontribution/?consultation=abc"
    )
    assert response.status_code in (200, 302)


# Query budgets: a changelist costs the same with few and with many rows.


def grow(world: World, n: int) -> None:
    """Add n reported and hidden arguments, hidden sources and proposals to each side."""
    sabine = world.users["superuser"]
    assert sabine is not None
    reporters = [make_user(f"r{n}-{i}") for i in range(3)]
    for side in (world.a, world.b):
        for i in range(n):
            argument = actions.post_argument(
                proposal=side.proposal, author=reporters[i % 3], stance="for", body=f"a{i}"
            )
            source = actions.post_source(
                proposal=side.proposal, author=reporters[i % 3], title="s", url="https://a.fr"
            )
            proposal = actions.post_proposal(
                debate=side.proposal.debate, author=reporters[i % 3], title="p", body="b"
            )
            for item in (argument, source, proposal):
                moderation.hide(contribution=item, actor=sabine, reason="spam", notify=False)
            if i % 2:
                moderation.unhide(contribution=argument, actor=sabine)
            # Reported after the hide, so that every row of the queue has open reports
            # (see test_the_queue_lists_a_contribution_whose_reports_were_all_dealt_with).
            for reporter in reporters[: 1 + i % 3]:
                moderation.report(contribution=argument, reporter=reporter, reason="spam")


BUDGETED = [
    "/admin/debates/reportedcontribution/",
    "/admin/debates/reportedcontribution/?masquee=non",
    "/admin/debates/report/",
    "/admin/debates/moderationevent/",
    "/admin/debates/proposal/?masquee=oui",
    "/admin/debates/argument/?masquee=oui",
    "/admin/debates/source/?masquee=oui",
]


@pytest.mark.parametrize("persona", ["moderator", "organiser_a", "superuser"])
@pytest.mark.parametrize("url", BUDGETED)
def test_a_moderation_changelist_costs_the_same_with_few_or_many_rows(
    world: World, client: Client, url: str, persona: str
) -> None:
    signed_in(client, world, persona)
    grow(world, 2)
    few = count_queries(client, url)
    grow(world, 12)
    assert count_queries(client, url) == few
