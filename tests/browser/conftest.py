"""Browser tests: Playwright driving Debian's Chromium against a live server.

Without Playwright or /usr/bin/chromium these tests skip with a loud reason
on a laptop, and fail under CI=true. On failure a screenshot and the page
HTML are saved under test-artifacts/.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI

# Playwright's sync API runs an event loop in this thread; the ORM calls the
# tests make between browser steps are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _unavailable() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[dev]')"
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"Chromium is missing at {CHROMIUM} (apt-get install chromium)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test of this folder `browser` (the PostgreSQL pass leaves them out)."""
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    reason = _unavailable()
    if reason:
        if IN_CI:
            pytest.fail(f"browser tests cannot run under CI: {reason}")
        pytest.skip(f"BROWSER TESTS SKIPPED: {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _save_artifacts(request: pytest.FixtureRequest, page: Any) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
    try:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        (ARTIFACTS / f"{name}.html").write_text(page.content(), encoding="utf-8")
    except Exception as error:  # the page may be gone; the failure itself matters more
        print(f"could not save artefacts for {name}: {error}")
    else:
        print(f"artefacts saved: {ARTIFACTS / name}.png and .html")


def new_page(browser: Any, request: pytest.FixtureRequest, **context: Any) -> Iterator[Any]:
    options = {"locale": "fr-FR", "viewport": {"width": 1280, "height": 900}, **context}
    ctx = browser.new_context(**options)
    ctx.set_default_timeout(10_000)
    page = ctx.new_page()
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    yield page
    call = getattr(request.node, "report_call", None)
    if call is not None and call.failed:
        _save_artifacts(request, page)
    ctx.close()
    # A resource the policy refused is a page that lost something: fail loudly.
    assert not refused, "Content Security Policy refusals:\n" + "\n".join(refused)


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest, live_server: Any) -> Iterator[Any]:
    """A French page in a fresh browser context, with JavaScript on."""
    yield from new_page(browser, request)


@pytest.fixture
def page_without_js(
    browser: Any, request: pytest.FixtureRequest, live_server: Any
) -> Iterator[Any]:
    yield from new_page(browser, request, java_script_enabled=False)


WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def assert_accessible(page: Any, label: str = "") -> list[str]:
    """Run axe-core at WCAG 2.1 A and AA on the page; fail with each violation.

    Returns the ids of the rules axe checked, so callers can print them.
    """
    from axe_playwright_python.sync_playwright import Axe

    results = (
        Axe()
        .run(
            page,
            options={
                "runOnly": {"type": "tag", "values": WCAG_TAGS},
                "resultTypes": ["violations", "passes", "incomplete"],
            },
        )
        .response
    )
    checked = sorted(
        {rule["id"] for kind in ("passes", "violations", "incomplete") for rule in results[kind]}
    )
    problems = [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(" ".join(node["target"]) for node in violation["nodes"])
        for violation in results["violations"]
    ]
    print(f"axe {label or page.url}: {len(checked)} rules checked: {', '.join(checked)}")
    assert not problems, f"accessibility violations on {label or page.url}:\n" + "\n".join(problems)
    return checked
