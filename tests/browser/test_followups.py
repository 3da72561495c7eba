"""After the close, in Chromium: following, an answer, its email, the new pages' accessibility.

The journey: Zoé follows proposal #2001 with one click, Olga (an organiser of
the consultation) answers it from the proposal page, Zoé reads the email from
the outbox and follows its link to the answer. Then axe-core (WCAG 2.1 A and
AA) on every new page, in French and in English.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core import mail

from accounts.models import User
from debates.models import Consultation, Proposal
from followups.links import unsubscribe_token
from tests.browser.conftest import assert_accessible, new_page
from tests.browser.helpers import (
    HEADINGS_JS,
    OPEN_PROPOSAL,
    OPEN_SLUG,
    ORGANISERS,
    ensure_group,
    load_demo,
    proposal_path,
    sign_in_with_cookie,
)
from tests.conftest import make_user

CLOSED_DEMO = "budget-participatif-2025"
LOCALES = {"fr-FR": "fr", "en-US": "en"}


@pytest.fixture
def people(transactional_db: None, live_server: Any) -> dict[str, User]:
    load_demo()
    olga = make_user("olga", "Olga Organisatrice", is_staff=True)
    olga.groups.add(ensure_group(ORGANISERS))
    for slug in (OPEN_SLUG, CLOSED_DEMO):
        Consultation.objects.get(slug=slug).organisers.add(olga)
    return {"zoe": make_user("zoe", "Zoé Lambert"), "olga": olga}


def test_a_citizen_follows_an_organiser_answers_and_the_email_leads_to_the_answer(
    people: dict[str, User], page: Any, live_server: Any
) -> None:
    base = live_server.url
    path = proposal_path(OPEN_PROPOSAL)
    sign_in_with_cookie(page, base, people["zoe"])
    page.goto(base + path)
    page.locator("form.follow-form").get_by_role("button", name=re.compile("^Suivre")).click()
    page.wait_for_load_state()
    assert "Vous suivez" in page.locator("main").inner_text()
    follow_form = page.locator("form.follow-form")
    assert follow_form.get_by_role("button", name=re.compile("^Ne plus suivre")).is_visible()

    page.context.clear_cookies()
    sign_in_with_cookie(page, base, people["olga"])
    page.goto(base + path)
    page.get_by_role("link", name="Rédiger la réponse officielle").click()
    page.get_by_label("État de la proposition").select_option(label="Retenue")
    page.get_by_label(re.compile("^Texte de la réponse")).fill(
        "Retenue : l'abri sera installé à la gare au printemps."
    )
    page.get_by_label(re.compile("^Lien vers la suite")).fill("https://example.org/deliberation")
    mail.outbox.clear()
    page.get_by_role("button", name="Publier la réponse").click()
    page.wait_for_load_state()
    assert "La réponse officielle est publiée." in page.locator("main").inner_text()

    (message,) = [m for m in mail.outbox if m.to == ["zoe@example.org"]]
    assert message.subject.startswith(f"Réponse officielle sur la proposition #{OPEN_PROPOSAL}")
    link = re.search(r"https?://\S+#reponse", message.body)
    assert link is not None, message.body
    page.context.clear_cookies()
    page.goto(base + "/" + link.group(0).split("/", 3)[3])
    answer = page.locator("#reponse")
    assert answer.is_visible()
    assert "Retenue" in answer.inner_text()
    assert "l'abri sera installé à la gare" in answer.inner_text()


# The new pages, for axe and the structure checks.


def _results(page: Any, base: str, people: dict[str, User]) -> None:
    page.goto(f"{base}/consultations/{CLOSED_DEMO}/synthese/")


def _answered_proposal(page: Any, base: str, people: dict[str, User]) -> None:
    number = Proposal.objects.filter(debate__consultation__slug=CLOSED_DEMO).first().number  # type: ignore[union-attr]
    page.goto(base + proposal_path(number))


def _filtered_debate(page: Any, base: str, people: dict[str, User]) -> None:
    page.goto(f"{base}/consultations/{CLOSED_DEMO}/cadre-de-vie/?reponse=non-retenue&tri=supported")


def _settings(page: Any, base: str, people: dict[str, User]) -> None:
    sign_in_with_cookie(page, base, people["zoe"])
    page.goto(f"{base}/compte/notifications/")


def _unsubscribe(page: Any, base: str, people: dict[str, User]) -> None:
    page.goto(f"{base}/desabonnement/{unsubscribe_token(people['zoe'].pk, 'answers')}/")


def _unsubscribed(page: Any, base: str, people: dict[str, User]) -> None:
    _unsubscribe(page, base, people)
    page.get_by_role("button", name=re.compile("désabonner|Unsubscribe")).click()
    page.wait_for_load_state()


def _answer_form(page: Any, base: str, people: dict[str, User]) -> None:
    sign_in_with_cookie(page, base, people["olga"])
    page.goto(base + proposal_path(OPEN_PROPOSAL) + "reponse/")


def _results_form(page: Any, base: str, people: dict[str, User]) -> None:
    sign_in_with_cookie(page, base, people["olga"])
    page.goto(f"{base}/consultations/{CLOSED_DEMO}/synthese/modifier/")


NEW_PAGES: dict[str, Callable[[Any, str, dict[str, User]], None]] = {
    "results": _results,
    "answered-proposal": _answered_proposal,
    "debate-filtered-by-answer": _filtered_debate,
    "notification-settings": _settings,
    "unsubscribe": _unsubscribe,
    "unsubscribed": _unsubscribed,
    "answer-form": _answer_form,
    "results-form": _results_form,
}


@pytest.fixture
def localized_page(
    browser: Any, request: pytest.FixtureRequest, live_server: Any, locale: str
) -> Iterator[Any]:
    yield from new_page(browser, request, locale=locale)


@pytest.mark.parametrize("locale", list(LOCALES))
@pytest.mark.parametrize("name", list(NEW_PAGES))
def test_axe_finds_nothing_on_the_new_pages(
    people: dict[str, User], localized_page: Any, live_server: Any, name: str, locale: str
) -> None:
    NEW_PAGES[name](localized_page, live_server.url, people)
    assert localized_page.evaluate("document.documentElement.lang") == LOCALES[locale]
    checked = assert_accessible(localized_page, f"{name} ({locale})")
    assert {"color-contrast", "html-has-lang", "document-title"} <= set(checked)
    headings = localized_page.evaluate(HEADINGS_JS)
    levels = [level for level, _ in headings]
    assert levels.count(1) == 1 and levels[0] == 1, headings
    skips = [(a, b) for (a, b) in zip(headings, headings[1:], strict=False) if b[0] > a[0] + 1]
    assert not skips, f"heading levels skipped: {skips}"


def test_the_results_page_prints_without_its_forms_and_links_list(
    people: dict[str, User], page: Any, live_server: Any
) -> None:
    _results(page, live_server.url, people)
    page.emulate_media(media="print")
    assert not page.locator(".results-data").is_visible()
    assert page.locator(".state-chart").is_visible()
    assert page.locator(".results-text").is_visible()
