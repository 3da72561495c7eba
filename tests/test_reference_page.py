"""The reference page: contribution #694 of the CNNum 2014 consultation, from the demo data.

Every line of shared/seed/contribution-694.txt must appear in the visible text
of our page, in the same order, with the same wording, numbers, dates, authors
and bodies (whitespace aside). The page may say more (vote counts, sort
controls), never less and never out of order.
"""

from __future__ import annotations

import re
from datetime import datetime
from html.parser import HTMLParser

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from tests.conftest import require_shared_data

BLOCK_TAGS = {
    "address", "article", "aside", "br", "dd", "details", "div", "dl", "dt", "fieldset",
    "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main",
    "nav", "ol", "p", "section", "summary", "table", "td", "th", "tr", "ul", "button",
    "label", "legend", "textarea", "select", "option",
}  # fmt: skip
HIDDEN_TAGS = {"head", "script", "style", "template"}


class VisibleText(HTMLParser):
    """Collect the text a reader sees, one line per block element."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN_TAGS:
            self.hidden_depth += 1
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN_TAGS:
            self.hidden_depth -= 1
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden_depth:
            self.parts.append(data)


def normalise(text: str) -> str:
    # Non-breaking and narrow spaces (French typography) count as spaces.
    return re.sub(r"\s+", " ", text).strip()


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return normalise("".join(parts for parts in parser.parts))


def reference_lines() -> list[str]:
    path = require_shared_data("seed", "contribution-694.txt")
    return [
        normalise(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def missing_in_order(lines: list[str], text: str) -> list[str]:
    """Return the lines not found in `text` after the previous line's place."""
    missing, position = [], 0
    for line in lines:
        found = text.find(line, position)
        if found < 0:
            missing.append(line)
        else:
            position = found + len(line)
    return missing


@pytest.fixture
def demo(db: None) -> None:
    call_command("load_demo", verbosity=0)


def test_the_permalink_of_694_renders_the_reference_page_line_by_line(
    demo: None, client: Client
) -> None:
    response = client.get("/contributions/694/", follow=True)
    assert response.status_code == 200
    text = visible_text(response.content.decode())
    lines = reference_lines()
    assert len(lines) > 40
    assert missing_in_order(lines, text) == []


def test_the_closed_reference_page_offers_no_form_and_no_sign_in_prompt(
    demo: None, client: Client
) -> None:
    html = client.get("/contributions/694/", follow=True).content.decode()
    main = html.split('<main id="main-content"', 1)[1]
    assert 'method="post"' not in main
    assert "Connectez-vous" not in main
    text = visible_text(html)
    assert text.count("La consultation est fermée") == 4  # vote, pour, contre, sources


def test_the_same_proposal_while_open_shows_prompts_instead_of_the_closed_places(
    demo: None, client: Client
) -> None:
    # The gate is derived from dates: on 25 November 2014 the consultation was open.
    with time_machine.travel(datetime.fromisoformat("2014-11-25T12:00:00+01:00"), tick=False):
        html = client.get("/contributions/694/", follow=True).content.decode()
    text = visible_text(html)
    assert "La période de participation est maintenant fermée" not in text
    assert "La consultation est fermée" not in text
    assert text.count("Connectez-vous pour proposer un argument.") == 2
    assert "Connectez-vous pour déposer une source." in text
    assert "Connectez-vous pour voter." in text
    # Everything else of the reference stays, in order.
    page_lines = [
        line
        for line in reference_lines()
        if line
        not in {
            "La période de participation est maintenant fermée. Merci à tous d'avoir participé.",
            "La consultation est fermée",
        }
    ]
    assert missing_in_order(page_lines, text) == []


def test_the_permalink_of_an_argument_lands_on_its_anchor(demo: None, client: Client) -> None:
    response = client.get("/contributions/1438/")
    assert response.status_code == 302
    assert response["Location"].endswith("#contribution-1438")
    html = client.get(response["Location"]).content.decode()
    assert 'id="contribution-1438"' in html


def test_the_arguments_keep_the_reference_order(demo: None, client: Client) -> None:
    html = client.get("/contributions/694/", follow=True).content.decode()
    shown = [int(n) for n in re.findall(r'<li class="argument" id="contribution-(\d+)"', html)]
    assert shown == [1438, 1433, 1297, 878, 939, 1120, 924, 1167, 1301, 1282]
