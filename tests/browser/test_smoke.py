"""The browser harness itself: a page opens in Chromium and passes axe."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from tests.browser.conftest import assert_accessible


@pytest.fixture
def demo(transactional_db: None) -> None:
    call_command("load_demo", verbosity=0)


def test_the_reference_page_opens_in_chromium(demo: None, page: Any, live_server: Any) -> None:
    page.goto(f"{live_server.url}/contributions/1438/")
    assert page.url.endswith("#contribution-1438")
    assert page.locator("#contribution-1438").is_visible()
    assert page.get_by_text("La période de participation est maintenant fermée").is_visible()
    assert_accessible(page, "proposal page, closed")
