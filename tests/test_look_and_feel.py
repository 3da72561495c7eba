"""What makes the pages a place to take part: the deadline, the figures, the bars, the faces,
and the operator's own name, logo and colours (under a CSP that forbids inline styles).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client
from django.utils import translation
from time_machine import TimeMachineFixture

from accounts.models import User
from consultation import brand
from debates import actions, moderation
from debates.dates import deadline_text
from debates.figures import participation_figures, split
from debates.models import Consultation, HideReason
from debates.templatetags.debates import initials
from tests.conftest import make_consultation, make_user, proposal_of

PARIS = ZoneInfo("Europe/Paris")


def paris(day: int, hour: int = 12, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=PARIS)


# The deadline, in local days.


@pytest.fixture
def march(db: None) -> Consultation:
    """Open from 1 March; closes at midnight starting 21 March: the 20th is its last day."""
    return make_consultation("mars", paris(1, 0), paris(21, 0))


@pytest.mark.parametrize(
    ("now", "french", "english"),
    [
        (paris(1, 0) - timedelta(minutes=1), "Ouvre le 1 mars 2026", "Opens on March 1, 2026"),
        (paris(8, 9), "Plus que 12 jours pour participer", "12 days left to take part"),
        (paris(18, 23), "Plus que 2 jours pour participer", "2 days left to take part"),
        (paris(19, 0), "Plus qu'un jour pour participer", "One day left to take part"),
        (paris(20, 0), "Dernier jour pour participer", "Last day to take part"),
        (
            paris(21, 0) - timedelta(seconds=1),
            "Dernier jour pour participer",
            "Last day to take part",
        ),
        (paris(21, 0), "Close depuis le 21 mars 2026", "Closed since March 21, 2026"),
    ],
)
def test_the_deadline_is_said_in_local_days_at_each_boundary(
    march: Consultation, time_machine: TimeMachineFixture, now: datetime, french: str, english: str
) -> None:
    time_machine.move_to(now, tick=False)
    with translation.override("fr"):
        assert deadline_text(march) == french
    with translation.override("en"):
        assert deadline_text(march) == english


def test_a_far_deadline_is_said_as_its_last_day(
    march: Consultation, time_machine: TimeMachineFixture
) -> None:
    time_machine.move_to(paris(1, 0) - timedelta(days=90), tick=False)
    march.opens_at = paris(1, 0) - timedelta(days=100)
    with translation.override("fr"):
        assert deadline_text(march) == "Participation jusqu'au 20 mars 2026 inclus"


def test_the_home_and_consultation_pages_show_the_phase_and_deadline(
    march: Consultation, client: Client, time_machine: TimeMachineFixture
) -> None:
    time_machine.move_to(paris(8, 9), tick=False)
    for url in ("/", march.get_absolute_url()):
        html = client.get(url).content.decode()
        assert '<span class="phase-label">Ouverte</span>' in html, url
        assert '<span class="deadline">Plus que 12 jours pour participer</span>' in html, url


# Participation figures.


@pytest.fixture
def busy(open_consultation: Consultation, alice: User, bob: User) -> Consultation:
    """Alice's proposal (from the fixture), two arguments by Bob, one by Carole hidden, a source."""
    proposal = proposal_of(open_consultation)
    actions.post_argument(proposal=proposal, author=bob, stance="for", body="Oui.")
    actions.post_argument(proposal=proposal, author=bob, stance="against", body="Mais.")
    carole = make_user("carole", "Carole")
    hidden = actions.post_argument(proposal=proposal, author=carole, stance="for", body="Pub.")
    moderation.hide(contribution=hidden, actor=alice, reason=HideReason.SPAM, notify=False)
    actions.post_source(proposal=proposal, author=alice, title="S", url="https://example.org")
    return open_consultation


def test_figures_count_every_contribution_and_each_author_once(
    busy: Consultation, closed_consultation: Consultation
) -> None:
    figures = participation_figures([busy, closed_consultation])
    assert (figures[busy.pk].contributions, figures[busy.pk].participants) == (5, 3)
    # The other consultation's rows are not counted in: it has its own.
    assert (figures[closed_consultation.pk].contributions,) == (1,)


def test_a_consultation_without_contribution_counts_zero(db: None) -> None:
    empty = make_consultation("vide", paris(1), paris(30))
    assert participation_figures([empty])[empty.pk].contributions == 0


def test_cached_figures_cost_no_query(busy: Consultation, django_assert_num_queries: Any) -> None:
    participation_figures([busy])
    with django_assert_num_queries(0):
        assert participation_figures([busy])[busy.pk].participants == 3


def test_the_pages_show_the_figures(busy: Consultation, client: Client) -> None:
    for url in ("/", busy.get_absolute_url()):
        html = re.sub(r"\s+", " ", client.get(url).content.decode())
        assert "<strong>5</strong> contributions" in html, url
        assert "<strong>3</strong> participants" in html, url


def test_one_contribution_and_one_participant_are_singular(
    open_consultation: Consultation, client: Client
) -> None:
    html = re.sub(r"\s+", " ", client.get(open_consultation.get_absolute_url()).content.decode())
    assert "<strong>1</strong> contribution</span>" in html
    assert "<strong>1</strong> participant</span>" in html


# Bars, with their text.


def test_a_split_places_each_part_after_the_previous() -> None:
    bar = split(("for", "pour", 3), ("against", "contre", 1))
    assert [(s.x, s.width, s.percent) for s in bar.segments] == [(0.0, 75.0, 75), (75.0, 25.0, 25)]
    assert split(("for", "pour", 0), ("against", "contre", 0)).total == 0


def test_the_proposal_page_draws_the_pour_contre_balance_with_its_text(
    busy: Consultation, client: Client
) -> None:
    html = client.get(proposal_of(busy).get_page_url()).content.decode()
    section = html[html.index('class="balance-summary"') :]
    section = section[: section.index("</section>")]
    # Three arguments pour (one hidden), one contre: the bar is decorative, the text says it.
    assert (
        '<svg class="split-bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true"'
        in section
    )
    assert '<rect class="part-for" x="0.0" y="0" width="66.67" height="10">' in section
    assert '<rect class="part-against" x="66.67" y="0" width="33.33" height="10">' in section
    assert "pour&nbsp;: 2 (67&nbsp;%)" in section and "contre&nbsp;: 1 (33&nbsp;%)" in section


def test_no_page_carries_an_inline_style(busy: Consultation, client: Client) -> None:
    proposal = proposal_of(busy)
    for url in (
        "/",
        busy.get_absolute_url(),
        proposal.debate.get_absolute_url(),
        proposal.get_page_url(),
    ):
        html = client.get(url).content.decode()
        assert not re.search(r"<[^>]+\sstyle=", html), url
        assert "<style" not in html, url


# Faces.


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Camille R.", "CR"),
        ("Zoé Lambert", "ZL"),
        ("marc-étienne", "M"),
        ("Élodie", "É"),
        ("42", "?"),
    ],
)
def test_initials(name: str, expected: str) -> None:
    assert initials(name) == expected


def test_an_author_shows_initials_hidden_from_screen_readers_and_the_name_as_text(
    open_consultation: Consultation, client: Client
) -> None:
    html = client.get(proposal_of(open_consultation).get_page_url()).content.decode()
    assert re.search(
        r'<span class="avatar tone-\d" aria-hidden="true">AM</span>'
        r'<a class="author" href="/profils/\d+/">Alice Martin</a>',
        html,
    )


# The operator's name, logo and colours.


def test_by_default_no_brand_stylesheet_and_the_default_name(db: None, client: Client) -> None:
    html = client.get("/").content.decode()
    assert "/brand.css" not in html
    assert "<title>Consultations · Consultation citoyenne</title>" in html
    assert 'class="site-logo"' not in html


def test_the_operator_sets_name_logo_and_colours(db: None, client: Client, settings: Any) -> None:
    settings.SITE_NAME = "Parlons Val-d'Exemple"
    settings.SITE_LOGO_URL = "favicon.svg"
    settings.BRAND_PRIMARY_COLOR = "#6b3fa0"
    settings.BRAND_ACCENT_COLOR = "#0b5e6b"
    html = client.get("/").content.decode()
    assert "<title>Consultations · Parlons Val-d&#x27;Exemple</title>" in html
    assert '<img class="site-logo" src="/static/favicon.svg" alt="" width="32" height="32">' in html
    assert "<span>Parlons Val-d&#x27;Exemple</span>" in html  # the name stays as text
    link = re.search(r'<link rel="stylesheet" href="(/brand\.css\?v=[0-9a-f]{12})">', html)
    assert link, "no brand stylesheet"
    css = client.get(link.group(1))
    assert css.status_code == 200
    assert css["Content-Type"] == "text/css; charset=utf-8"
    assert css.content.decode() == ":root { --accent: #0b5e6b; --brand: #6b3fa0; }\n"
    assert "immutable" in css["Cache-Control"]
    # Another colour, another address: no stale theme from a cache.
    settings.BRAND_PRIMARY_COLOR = "#0f5132"
    assert link.group(1) not in client.get("/").content.decode()


@pytest.mark.parametrize(
    ("setting", "value", "error"),
    [
        ("BRAND_PRIMARY_COLOR", "#ffcc00", "consultation.E002"),  # white text on yellow: 1.4:1
        ("BRAND_ACCENT_COLOR", "#7aa2ff", "consultation.E002"),  # pale links
        ("BRAND_PRIMARY_COLOR", "blue", "consultation.E001"),
        ("SITE_LOGO_URL", "https://cdn.example.org/logo.png", "consultation.E003"),
    ],
)
def test_the_system_check_refuses_an_unreadable_or_unloadable_brand(
    settings: Any, setting: str, value: str, error: str
) -> None:
    setattr(settings, setting, value)
    assert [problem.id for problem in brand.check_brand()] == [error]
    with pytest.raises(SystemCheckError, match=error):
        call_command("check")


def test_the_system_check_accepts_aa_colours(settings: Any) -> None:
    settings.BRAND_PRIMARY_COLOR = "#2b3a8c"
    settings.BRAND_ACCENT_COLOR = "#1d4ed8"
    assert brand.check_brand() == []


def test_contrast_matches_the_wcag_formula() -> None:
    assert round(brand.contrast("#000000", "#ffffff"), 2) == 21.0
    assert round(brand.contrast("#777777", "#ffffff"), 2) == 4.48  # just below AA
