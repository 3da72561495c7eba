"""Layout of the proposal page on a phone and a desktop, on screen and on paper.

Every run saves test-artifacts/screenshots/proposal-{open,closed}-{375,1280}.png
(and the print rendering) so a reviewer can look at them, passing or not.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from debates.models import Proposal, Stance
from tests.browser.conftest import new_page
from tests.browser.helpers import (
    CLOSED_PROPOSAL,
    OPEN_PROPOSAL,
    load_demo,
    proposal_path,
    screenshot_path,
    sign_in_with_cookie,
)
from tests.conftest import make_user

PROPOSALS = {"open": OPEN_PROPOSAL, "closed": CLOSED_PROPOSAL}


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


@pytest.fixture
def demo(transactional_db: None) -> None:
    load_demo()


@pytest.fixture
def sized_page(
    browser: Any, request: pytest.FixtureRequest, live_server: Any, width: int
) -> Iterator[Any]:
    yield from new_page(browser, request, viewport={"width": width, "height": 900})


def open_proposal_page(page: Any, base: str, state: str) -> None:
    """Show a proposal; the open one to a signed-in citizen, so its forms are there."""
    if state == "open":
        sign_in_with_cookie(page, base, make_user("zoe", "Zoé Lambert"))
    page.goto(base + proposal_path(PROPOSALS[state]))
    page.wait_for_load_state("load")


def columns(page: Any) -> tuple[dict[str, float], dict[str, float]]:
    pour = page.locator(".column-for").bounding_box()
    contre = page.locator(".column-against").bounding_box()
    assert pour and contre, "the pour / contre columns are not laid out"
    return pour, contre


@pytest.mark.parametrize("width", [375, 1280])
@pytest.mark.parametrize("state", ["open", "closed"])
def test_proposal_page_layout(
    demo: None, sized_page: Any, live_server: Any, state: str, width: int
) -> None:
    page = sized_page
    open_proposal_page(page, live_server.url, state)
    page.screenshot(path=str(screenshot_path(f"proposal-{state}-{width}.png")), full_page=True)
    if state == "open":
        assert page.locator("form.argument-form").count() == 2, "the forms are not shown"
    else:
        assert page.get_by_text("La consultation est fermée").first.is_visible()

    pour, contre = columns(page)
    if width == 375:
        overflow = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert overflow[0] <= overflow[1] <= 375, f"horizontal scrolling: {overflow}"
        assert contre["y"] >= pour["y"] + pour["height"] - 1, f"not stacked: {pour} {contre}"
        assert abs(pour["x"] - contre["x"]) < 1, f"stacked columns not aligned: {pour} {contre}"
    else:
        assert abs(pour["y"] - contre["y"]) < 1, f"columns do not share a top: {pour} {contre}"
        assert pour["x"] + pour["width"] <= contre["x"], f"columns overlap: {pour} {contre}"
        assert pour["width"] > 300 and contre["width"] > 300, (pour, contre)


def printed(page: Any) -> dict[str, Any]:
    return page.evaluate(
        """() => {
          // checkVisibility() also sees content skipped by a closed <details>.
          const shown = (el) => Boolean(el && el.checkVisibility({visibilityProperty: true}));
          return {
            forms: [...document.querySelectorAll("form")].filter(shown)
              .map(f => f.className || f.action),
            navigation: shown(document.querySelector(".site-header nav")),
            footer: shown(document.querySelector(".site-footer")),
            proposal: shown(document.querySelector("article.proposal .prose")),
            arguments: [...document.querySelectorAll(".argument")].filter(shown).length,
            all: document.querySelectorAll(".argument").length,
          };
        }"""
    )


def test_print_hides_forms_and_navigation_and_keeps_the_arguments(
    demo: None, page: Any, live_server: Any
) -> None:
    open_proposal_page(page, live_server.url, "open")
    assert page.locator("form.argument-form").first.is_visible()
    page.emulate_media(media="print")
    page.screenshot(path=str(screenshot_path("proposal-open-print.png")), full_page=True)
    page.pdf(path=str(screenshot_path("proposal-open-print.pdf")))
    shown = printed(page)
    assert shown["forms"] == [], f"forms still printed: {shown['forms']}"
    assert not shown["navigation"], "the site navigation is printed"
    assert not shown["footer"], "the footer is printed"
    assert shown["proposal"], "the proposal text is not printed"
    expected = Proposal.objects.get(number=OPEN_PROPOSAL).arguments.count()
    assert shown["arguments"] == shown["all"] == expected, shown


def test_print_keeps_the_arguments_of_a_folded_column(
    demo: None, page: Any, live_server: Any
) -> None:
    open_proposal_page(page, live_server.url, "closed")
    for stance in Stance.values:
        page.locator(f"#arguments-{stance} summary").click()
        assert not page.locator(f"#arguments-{stance} .argument").first.is_visible()
    page.emulate_media(media="print")
    shown = printed(page)
    assert shown["arguments"] == shown["all"] == 10, f"arguments missing on paper: {shown}"


HEADER_LINES_JS = """() => {
  const items = [...document.querySelectorAll(
    ".site-header .site-name, .site-header nav li, .site-header .language-switch button")];
  // Items whose vertical middles are within 12 px share a line.
  const middles = items
    .map(el => { const r = el.getBoundingClientRect(); return r.top + r.height / 2; })
    .sort((a, b) => a - b);
  const lines = middles.filter((m, i) => i === 0 || m - middles[i - 1] > 12).length;
  return {lines, height: document.querySelector(".site-header").offsetHeight};
}"""


@pytest.mark.parametrize("signed_in", [False, True])
@pytest.mark.parametrize("width", [375])
def test_the_header_takes_at_most_two_lines_on_a_phone(
    demo: None, sized_page: Any, live_server: Any, width: int, signed_in: bool
) -> None:
    page = sized_page
    if signed_in:
        sign_in_with_cookie(page, live_server.url, make_user("zoe", "Zoé Lambert"))
    page.goto(live_server.url + "/")
    header = page.evaluate(HEADER_LINES_JS)
    assert header["lines"] <= 2, f"the header wraps into {header['lines']} lines: {header}"
    assert header["height"] <= 96, header
