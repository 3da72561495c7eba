"""Every page type at 375 and 1280 px: saved for review, and no horizontal scrolling.

Each run writes test-artifacts/screenshots/page-<name>-<width>.png (full page),
passing or not, so a reviewer sees the whole site at a phone's and a desktop's
width. The assertion is what a reader feels: the page never scrolls sideways,
neither on a phone nor in the admin at 1280 px (the moderation queue did).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.cache import cache

from accounts.models import User
from debates import actions, moderation
from debates.models import (
    Argument,
    Consultation,
    HideReason,
    Proposal,
    ReportReason,
    Stance,
    VoteValue,
)
from tests.browser.conftest import new_page
from tests.browser.helpers import (
    CLOSED_PROPOSAL,
    CLOSED_SLUG,
    MODERATORS,
    OPEN_PROPOSAL,
    OPEN_SLUG,
    load_demo,
    proposal_path,
    screenshot_path,
    sign_in_with_cookie,
    staff_with_totp,
)
from tests.conftest import make_user

WIDTHS = [375, 1280]

# name -> (path, who is signed in: None, "citizen" or "moderator")
PAGES: dict[str, tuple[str, str | None]] = {
    "home": ("/", None),
    "consultation-open": (f"/consultations/{OPEN_SLUG}/", None),
    "consultation-closed": (f"/consultations/{CLOSED_SLUG}/", None),
    "debate": (f"/consultations/{OPEN_SLUG}/mobilites/", "citizen"),
    "proposal-open": ("proposal:open", "citizen"),
    "proposal-closed": ("proposal:closed", None),
    "profile": ("profile", None),
    "search": (f"/consultations/{OPEN_SLUG}/recherche/?q=vélo", None),
    "statistics": (f"/consultations/{OPEN_SLUG}/statistiques/", None),
    "moderation-log": (f"/consultations/{OPEN_SLUG}/moderation/", None),
    "about": ("/a-propos/", None),
    "sign-in": ("/comptes/login/", None),
    "sign-up": ("/comptes/signup/", None),
    "account": ("/compte/", "citizen"),
    "report": ("/contributions/2004/signaler/", "citizen"),
    "admin-index": ("/admin/", "moderator"),
    "admin-queue": ("/admin/debates/reportedcontribution/", "moderator"),
    "admin-hide": ("/admin/debates/reportedcontribution/", "moderator"),
    "admin-consultation": ("consultation-change", "superuser"),
}


def open_hide_form(page: Any) -> None:
    """Tick the reported argument in the queue and choose « Masquer avec un motif »."""
    page.locator('#result_list input[name="_selected_action"]').first.check()
    page.locator('select[name="action"]').select_option("hide_selected")
    with page.expect_navigation():
        page.locator('button[name="index"]').click()


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


@pytest.fixture
def people(transactional_db: None) -> dict[str, User]:
    """The demo, with an argument, a vote, two reports (one long) and a hidden argument."""
    load_demo()
    proposal = Proposal.objects.get(number=OPEN_PROPOSAL)
    citizen = make_user("zoe", "Zoé Lambert")
    actions.post_argument(
        proposal=proposal,
        author=citizen,
        stance=Stance.AGAINST,
        body="Un abri fermé coûterait cher à entretenir.",
    )
    actions.cast_vote(proposal=proposal, user=citizen, value=VoteValue.AGREE)
    moderator, _ = staff_with_totp("mona", "Mona Modératrice", MODERATORS)
    moderation.report(
        contribution=Argument.objects.get(number=2004).contribution_ptr,
        reporter=citizen,
        reason=ReportReason.OFFENSIVE,
        comment="Ce commentaire vise une personne nommément " * 8,
    )
    # A source whose address is one long word, reported: what made the queue overflow.
    source = actions.post_source(
        proposal=proposal,
        author=citizen,
        title="Étude",
        url="https://example.org/" + "tres-long-chemin-sans-espace-" * 12,
    )
    moderation.report(
        contribution=source,
        reporter=proposal.author,
        reason=ReportReason.SPAM,
        comment="Lien-publicitaire-vers-" * 10,
    )
    moderation.hide(
        contribution=Argument.objects.get(number=2007),
        actor=moderator,
        reason=HideReason.SPAM,
        note="Réclame pour un commerce.",
        notify=False,
    )
    superuser = make_user("sam", "Sam Admin", is_staff=True, is_superuser=True)
    TOTP.activate(superuser, generate_totp_secret())
    return {
        "citizen": citizen,
        "moderator": moderator,
        "superuser": superuser,
        "author": proposal.author,
    }


@pytest.fixture
def sized_page(
    browser: Any, request: pytest.FixtureRequest, live_server: Any, width: int
) -> Iterator[Any]:
    yield from new_page(browser, request, viewport={"width": width, "height": 900})


def resolve(path: str, people: dict[str, User]) -> str:
    if path == "proposal:open":
        return proposal_path(OPEN_PROPOSAL)
    if path == "proposal:closed":
        return proposal_path(CLOSED_PROPOSAL)
    if path == "consultation-change":
        pk = Consultation.objects.get(slug=OPEN_SLUG).pk
        return f"/admin/debates/consultation/{pk}/change/"
    if path == "profile":
        return f"/profils/{people['author'].pk}/"
    return path


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(PAGES))
def test_page_type_screenshot_without_horizontal_scrolling(
    people: dict[str, User], sized_page: Any, live_server: Any, name: str, width: int
) -> None:
    page = sized_page
    path, who = PAGES[name]
    if who:
        sign_in_with_cookie(page, live_server.url, people[who])
    response = page.goto(live_server.url + resolve(path, people))
    page.wait_for_load_state("load")
    if name == "admin-hide":
        open_hide_form(page)
    page.screenshot(path=str(screenshot_path(f"page-{name}-{width}.png")), full_page=True)
    assert response is not None and response.status == 200, (name, response and response.status)
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{name} scrolls sideways at {width} px: {widths}"
    if name == "admin-queue" and width == 1280:
        # The admin wraps its table in a scrolling box: the page does not
        # overflow, the table does, and the last columns are cut off.
        table = page.evaluate(
            "() => { const box = document.querySelector('#changelist .results');"
            " return [box.scrollWidth, box.clientWidth]; }"
        )
        assert table[0] <= table[1], f"the moderation queue's table overflows: {table}"
