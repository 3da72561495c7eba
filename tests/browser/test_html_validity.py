"""Every page type is valid HTML, as the Nu HTML checker (the W3C's validator) reads it.

The HTML checked is what the server sent for the page the browser landed on
(the document response, not Chromium's repaired DOM), in French and in
English, for every page type of the accessibility tests plus the permalink,
search (with and without results), statistics and about pages. The checker
is `vnu.jar` from the npm package `vnu-jar` (`npm ci --ignore-scripts`,
which `.ci/run` does) run by Java (`default-jre-headless`), once for all the
pages of a language. Any error fails, with its page, line and message.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import CLOSED_SLUG, OPEN_SLUG, PERMALINK_ARGUMENT
from tests.browser.test_accessibility import (  # noqa: F401 (fixtures used by name)
    LOCALES,
    PAGES,
    Site,
    _fresh_cache,
    _goto,
    localized_page,
    site,
)
from tests.browser.test_accessibility import visit as visit_page_type
from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parent.parent.parent
VNU_JAR = Path(os.environ.get("VNU_JAR", ROOT / "node_modules/vnu-jar/build/dist/vnu.jar"))

# Opened signed out, by address.
MORE_PAGES: dict[str, str] = {
    "permalink": f"/contributions/{PERMALINK_ARGUMENT}/",
    "search-results": f"/consultations/{OPEN_SLUG}/recherche/?q=v%C3%A9lo",
    "search-nothing-found": f"/consultations/{OPEN_SLUG}/recherche/?q=introuvable",
    "statistics": f"/consultations/{CLOSED_SLUG}/statistiques/",
    "closed-consultation": f"/consultations/{CLOSED_SLUG}/",
    "about": "/a-propos/",
}
ALL_PAGES = {**PAGES, **MORE_PAGES}


def _checker() -> list[str]:
    """Return the command that runs the Nu checker, or skip (fail under CI) without it."""
    java = shutil.which("java")
    missing = []
    if java is None:
        missing.append("Java (apt-get install default-jre-headless)")
    if not VNU_JAR.is_file():
        missing.append(f"{VNU_JAR} (npm ci --ignore-scripts)")
    if missing:
        reason = "the Nu HTML checker needs " + " and ".join(missing)
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(f"HTML VALIDITY NOT CHECKED: {reason}")
    return [str(java), "-Xss8m", "-jar", str(VNU_JAR), "--format", "json", "--errors-only"]


def validate(files: list[Path]) -> list[str]:
    """Run the checker on `files`; return its errors as « file:line: message »."""
    done = subprocess.run(
        [*_checker(), *map(str, files)], capture_output=True, text=True, timeout=300, check=False
    )
    # The JSON report goes to stderr; exit 1 means errors were found.
    report = json.loads(done.stderr or '{"messages": []}')
    return [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine', '?')}: {m['message']}"
        f" — {m.get('extract', '').strip()!r}"
        for m in report["messages"]
        if m["type"] == "error" or m.get("subType") == "fatal"
    ]


def served_html(page: Any, on: Site, name: str) -> str:
    """Open page type `name`; return the HTML the server sent for the page landed on."""
    documents: list[Any] = []

    def keep(response: Any) -> None:
        if response.request.resource_type == "document" and response.frame == page.main_frame:
            documents.append(response)

    page.on("response", keep)
    try:
        if name in MORE_PAGES:
            page.context.clear_cookies()
            _goto(page, on, MORE_PAGES[name])
        else:
            visit_page_type(page, on, name)
    finally:
        page.remove_listener("response", keep)
    assert documents, f"no document was loaded for {name}"
    return documents[-1].text()


def test_the_checker_finds_an_invalid_page(tmp_path: Path) -> None:
    """The check can fail: a stray `<numéro>` (the bug of /a-propos/) is reported."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!doctype html><html lang="fr"><head><title>t</title></head>'
        "<body><p>l'adresse /contributions/<numéro>/ y mène</p></body></html>",
        encoding="utf-8",
    )
    errors = validate([bad])
    assert any("numéro" in error for error in errors), errors


@pytest.mark.parametrize("locale", list(LOCALES))
def test_every_page_type_is_valid_html(
    site: Site,  # noqa: F811 (the fixture imported above)
    localized_page: Any,  # noqa: F811
    locale: str,
    tmp_path: Path,
) -> None:
    _checker()
    files = []
    for name in ALL_PAGES:
        path = tmp_path / f"{name}.{LOCALES[locale]}.html"
        path.write_text(served_html(localized_page, site, name), encoding="utf-8")
        files.append(path)
    errors = validate(files)
    assert not errors, f"invalid HTML ({len(errors)} errors):\n" + "\n".join(errors)
