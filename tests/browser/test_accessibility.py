"""Accessibility of every page type, in French and in English, measured in Chromium.

axe-core checks WCAG 2.1 A and AA (the rules checked are printed: run with -s).
The rest is checked here because axe does not: the skip link, the page title,
headings and landmarks, `<html lang>`, unique ids, required fields said in
words, errors tied to their field and announced, 24 px targets, pour / contre
said in words, reduced motion and the language switch.

Each page type is opened by a small function of PAGES, from a demo site where
Zoé has posted an argument contre and voted « D'accord » on #2001, and the
argument #2007 is hidden by moderation (so the notice and the log have rows).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache

from accounts.models import User
from debates import actions, moderation
from debates.models import Argument, HideReason, Proposal, Stance, VoteValue
from tests.browser.conftest import assert_accessible, new_page
from tests.browser.helpers import (
    CLOSED_PROPOSAL,
    DUPLICATE_IDS_JS,
    ERRORS_JS,
    HEADINGS_JS,
    LANDMARKS_JS,
    MODERATORS,
    OPEN_PROPOSAL,
    OPEN_SLUG,
    REQUIRED_JS,
    TARGETS_JS,
    ensure_group,
    load_demo,
    proposal_path,
    sign_in_with_cookie,
)
from tests.conftest import make_user

LOCALES = {"fr-FR": "fr", "en-US": "en"}
REQUIRED_WORD = {"fr": "obligatoire", "en": "required"}  # « obligatoire » in locale/en: required
STANCE_WORDS = {"fr": ("pour", "contre"), "en": ("for", "against")}
SITE_NAME = "Consultation citoyenne"


@dataclass(frozen=True)
class Site:
    base: str
    citizen: User
    own_argument: int
    author_pk: int

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


@pytest.fixture
def site(transactional_db: None, live_server: Any) -> Site:
    load_demo()
    proposal = Proposal.objects.get(number=OPEN_PROPOSAL)
    citizen = make_user("zoe", "Zoé Lambert")
    own = actions.post_argument(
        proposal=proposal,
        author=citizen,
        stance=Stance.AGAINST,
        body="Un abri fermé coûterait cher à entretenir.",
    )
    actions.cast_vote(proposal=proposal, user=citizen, value=VoteValue.AGREE)
    moderator = make_user("mona", "Mona Modératrice", is_staff=True)
    moderator.groups.add(ensure_group(MODERATORS))
    moderation.hide(
        contribution=Argument.objects.get(number=2007),
        actor=moderator,
        reason=HideReason.SPAM,
        note="Réclame pour un commerce.",
        notify=False,
    )
    return Site(live_server.url, citizen, own.number, proposal.author_id)


@pytest.fixture
def localized_page(
    browser: Any, request: pytest.FixtureRequest, live_server: Any, locale: str
) -> Iterator[Any]:
    """A page whose browser asks for `locale` (Accept-Language): the site follows it."""
    yield from new_page(browser, request, locale=locale)


# The page types. Each opener leaves the page on that page type, signed in or not.

SIGNED_IN = {
    "proposal-open-signed-in",
    "debate-signed-in",
    "argument-errors",
    "forbidden-403",
    "report-form",
    "report-errors",
    "account",
    "edit-form",
}


def _goto(page: Any, site: Site, path: str, status: int = 200) -> None:
    response = page.goto(site.url(path))
    assert response is not None and response.status == status, (path, response and response.status)


def _submit(page: Any, button: str, status: int) -> None:
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.locator(button).click()
    assert answer.value.status == status, (page.url, answer.value.status)
    page.wait_for_load_state()


def _sign_up_errors(page: Any, site: Site) -> None:
    _goto(page, site, "/comptes/signup/")
    page.locator("#id_email").fill("nina@example.org")
    page.locator("#id_display_name").fill("Nina")
    page.locator("#id_password1").fill("correct horse battery staple")
    page.locator("#id_password2").fill("incorrect horse battery staple")
    _submit(page, "main form button[type=submit]", 200)


def _argument_errors(page: Any, site: Site) -> None:
    _goto(page, site, proposal_path(OPEN_PROPOSAL))
    _submit(page, "#arguments-for ~ form.argument-form button[type=submit]", 400)


def _report_errors(page: Any, site: Site) -> None:
    _goto(page, site, "/contributions/2004/signaler/")
    _submit(page, "main form button[type=submit]", 400)


PAGES: dict[str, Callable[[Any, Site], None]] = {
    "home": lambda page, site: _goto(page, site, "/"),
    "consultation": lambda page, site: _goto(page, site, f"/consultations/{OPEN_SLUG}/"),
    "debate": lambda page, site: _goto(page, site, f"/consultations/{OPEN_SLUG}/mobilites/"),
    "debate-signed-in": lambda page, site: _goto(
        page, site, f"/consultations/{OPEN_SLUG}/mobilites/"
    ),
    "proposal-open-signed-out": lambda page, site: _goto(page, site, proposal_path(OPEN_PROPOSAL)),
    "proposal-open-signed-in": lambda page, site: _goto(page, site, proposal_path(OPEN_PROPOSAL)),
    "proposal-closed": lambda page, site: _goto(page, site, proposal_path(CLOSED_PROPOSAL)),
    "profile": lambda page, site: _goto(page, site, f"/profils/{site.author_pk}/"),
    "sign-in": lambda page, site: _goto(page, site, "/comptes/login/"),
    "sign-up": lambda page, site: _goto(page, site, "/comptes/signup/"),
    "sign-up-errors": _sign_up_errors,
    "argument-errors": _argument_errors,
    "forbidden-403": lambda page, site: _goto(page, site, "/contributions/2004/modifier/", 403),
    "not-found-404": lambda page, site: _goto(page, site, "/contributions/999999/", 404),
    "moderation-log": lambda page, site: _goto(
        page, site, f"/consultations/{OPEN_SLUG}/moderation/"
    ),
    "accessibility-statement": lambda page, site: _goto(page, site, "/accessibilite/"),
    "report-form": lambda page, site: _goto(page, site, "/contributions/2004/signaler/"),
    "report-errors": _report_errors,
    "account": lambda page, site: _goto(page, site, "/compte/"),
    "edit-form": lambda page, site: _goto(
        page, site, f"/contributions/{site.own_argument}/modifier/"
    ),
}
FORM_PAGES = [
    "sign-up",
    "sign-in",
    "debate-signed-in",
    "proposal-open-signed-in",
    "report-form",
    "account",
    "edit-form",
]
ERROR_PAGES = ["sign-up-errors", "argument-errors", "report-errors"]


def visit(page: Any, site: Site, name: str) -> None:
    if name in SIGNED_IN:
        sign_in_with_cookie(page, site.base, site.citizen)
    else:
        page.context.clear_cookies()
    PAGES[name](page, site)


# axe-core


@pytest.mark.parametrize("locale", list(LOCALES))
@pytest.mark.parametrize("name", list(PAGES))
def test_axe_finds_no_wcag_21_aa_violation_and_lang_matches(
    site: Site, localized_page: Any, name: str, locale: str
) -> None:
    visit(localized_page, site, name)
    assert localized_page.evaluate("document.documentElement.lang") == LOCALES[locale]
    checked = assert_accessible(localized_page, f"{name} ({locale})")
    assert {"color-contrast", "html-has-lang", "document-title"} <= set(checked)
    if name in FORM_PAGES or name in ERROR_PAGES:
        assert "label" in checked, "axe found no form control to check"


# Structure: headings, landmarks, language


@pytest.mark.parametrize("name", list(PAGES))
def test_headings_in_order_and_landmarks(site: Site, page: Any, name: str) -> None:
    visit(page, site, name)
    headings = page.evaluate(HEADINGS_JS)
    levels = [level for level, _ in headings]
    assert levels.count(1) == 1, f"expected one h1: {headings}"
    assert levels[0] == 1, f"the first heading is not the h1: {headings}"
    skips = [(a, b) for (a, b) in zip(headings, headings[1:], strict=False) if b[0] > a[0] + 1]
    assert not skips, f"heading levels skipped: {skips}"

    landmarks = page.evaluate(LANDMARKS_JS)
    assert landmarks["banners"] == 1, landmarks
    assert landmarks["mains"] == ["main-content"], landmarks
    assert landmarks["contentinfos"] == 1, landmarks
    assert landmarks["navs"] and all(landmarks["navs"]), f"a <nav> has no aria-label: {landmarks}"
    assert len(set(landmarks["navs"])) == len(landmarks["navs"]), f"nav labels repeat: {landmarks}"
    assert "Menu principal" in landmarks["navs"]


@pytest.mark.parametrize("name", list(PAGES))
def test_a_plain_title_and_the_skip_link_come_first(site: Site, page: Any, name: str) -> None:
    visit(page, site, name)
    title = page.title()
    assert "<" not in title and ">" not in title, f"markup in the title: {title!r}"
    suffix = f" · {SITE_NAME}"
    assert title.endswith(suffix) and len(title) > len(suffix) + 2, title

    page.keyboard.press("Tab")
    first = page.evaluate("document.activeElement.outerHTML.slice(0, 100)")
    assert page.evaluate("document.activeElement.matches('a.skip-link')"), f"first stop: {first}"
    box = page.locator("a.skip-link").bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0, f"the focused skip link is off screen: {box}"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main-content"


def test_ids_are_unique(site: Site, page: Any) -> None:
    repeated = []
    for name in PAGES:
        visit(page, site, name)
        repeated += [
            f"{name}: id={ident!r} ×{count}" for ident, count in page.evaluate(DUPLICATE_IDS_JS)
        ]
    assert not repeated, "ids given more than once:\n" + "\n".join(repeated)


# Forms: required fields in words, errors tied to their field and announced


@pytest.mark.parametrize("locale", list(LOCALES))
def test_required_fields_are_marked_in_words(site: Site, localized_page: Any, locale: str) -> None:
    word = REQUIRED_WORD[LOCALES[locale]]
    unmarked = []
    for name in FORM_PAGES:
        visit(localized_page, site, name)
        controls = localized_page.evaluate(REQUIRED_JS)
        assert controls, f"no required field on {name}"
        unmarked += [f"{name}: {c}" for c in controls if word not in c["label"].lower()]
    assert not unmarked, f"required fields whose label does not say « {word} »:\n" + "\n".join(
        unmarked
    )


@pytest.mark.parametrize("name", ERROR_PAGES)
def test_errors_are_tied_to_their_field_and_announced(site: Site, page: Any, name: str) -> None:
    visit(page, site, name)
    found = page.evaluate(ERRORS_JS)
    assert found["messages"], f"no error message shown on {name}"
    silent = [m for m in found["messages"] if not m["alert"]]
    assert not silent, f"error messages outside role=alert: {silent}"
    unlinked = [m for m in found["messages"] if m["fieldError"] and not m["linked"]]
    assert not unlinked, f"field errors no control points to (aria-describedby): {unlinked}"
    loose = [c for c in found["invalid"] if not c["describedByAlert"]]
    assert not loose, f"aria-invalid controls not described by their error: {loose}"
    assert found["invalid"], f"no control marked aria-invalid on {name}"


# Targets


def test_buttons_and_summaries_are_at_least_24px(site: Site, page: Any) -> None:
    small = []
    for name in PAGES:
        visit(page, site, name)
        targets = page.evaluate(
            TARGETS_JS, "button, input[type=submit], input[type=button], input[type=reset], summary"
        )
        small += [f"{name}: {t}" for t in targets if t["width"] < 24 or t["height"] < 24]
    assert not small, "targets under 24×24 px:\n" + "\n".join(small)


def test_navigation_links_are_at_least_24px_high(site: Site, page: Any) -> None:
    small = []
    for name in ("home", "proposal-open-signed-in", "moderation-log", "account"):
        visit(page, site, name)
        targets = page.evaluate(TARGETS_JS, "nav a, .site-header a")
        small += [f"{name}: {t}" for t in targets if t["width"] < 24 or t["height"] < 24]
    assert not small, "navigation links under 24×24 px:\n" + "\n".join(small)


# Not by colour alone, and reduced motion


@pytest.mark.parametrize("locale", list(LOCALES))
def test_pour_and_contre_are_said_in_words_not_only_colours(
    site: Site, localized_page: Any, locale: str
) -> None:
    page = localized_page
    pour, contre = STANCE_WORDS[LOCALES[locale]]
    visit(page, site, "proposal-open-signed-in")
    assert re.search(rf"\b{pour}\b", page.locator("#arguments-for-title").inner_text())
    assert re.search(rf"\b{contre}\b", page.locator("#arguments-against-title").inner_text())
    for stance, word in (("for", pour), ("against", contre)):
        label = page.locator(f"label[for=id_body_{stance}]").inner_text()
        button = page.locator(f"#arguments-{stance} ~ form.argument-form button").inner_text()
        assert re.search(rf"\b{word}\b", label) and re.search(rf"\b{word}\b", button)
    # The vote given is shown by a mark and a sentence, not only by the button's colour.
    pressed = page.locator('.vote-form button[aria-pressed="true"]')
    assert pressed.count() == 1
    marker = pressed.evaluate("el => getComputedStyle(el, '::before').content")
    assert "✓" in marker, f"the pressed vote button has no non-colour marker: {marker}"
    assert page.locator(".my-vote").inner_text().strip()
    # A hidden contribution says so in words.
    assert page.locator("#contribution-2007 .hidden-notice").inner_text().strip()

    visit(page, site, "debate")
    item = page.locator(f"#contribution-{OPEN_PROPOSAL}")
    assert re.search(rf"\b{pour}\b", item.locator(".count-for").inner_text())
    assert re.search(rf"\b{contre}\b", item.locator(".count-against").inner_text())


def test_reduced_motion_stops_the_fold_animation(site: Site, page: Any) -> None:
    visit(page, site, "proposal-closed")
    duration = "getComputedStyle(document.querySelector('.fold')).transitionDuration"
    assert page.evaluate(duration) != "0s", "no animation to reduce: the test measures nothing"
    page.emulate_media(reduced_motion="reduce")
    assert page.evaluate(duration) == "0s"


def test_the_language_switch_changes_the_language_of_the_page(site: Site, page: Any) -> None:
    visit(page, site, "proposal-closed")
    assert page.evaluate("document.documentElement.lang") == "fr"
    switch = page.locator(".language-switch button")
    assert switch.get_attribute("lang") == "en" and switch.inner_text() == "English"
    with page.expect_navigation():
        switch.click()
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.locator("a.skip-link").inner_text() == "Skip to content"
    assert f"/{CLOSED_PROPOSAL}/" in page.url, "the switch did not come back to the same page"
    switch = page.locator(".language-switch button")
    assert switch.get_attribute("lang") == "fr" and switch.inner_text() == "Français"
    with page.expect_navigation():
        switch.click()
    assert page.evaluate("document.documentElement.lang") == "fr"
