"""The admin's own forms in Chromium: choosing organisers by searching, under the CSP."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from debates.models import Consultation
from tests.browser.helpers import (
    OPEN_SLUG,
    ORGANISERS,
    load_demo,
    sign_in_with_cookie,
    staff_with_totp,
)
from tests.conftest import make_user


def test_an_organiser_adds_a_colleague_by_typing_part_of_their_name(
    transactional_db: None, page: Any, live_server: Any
) -> None:
    load_demo()
    consultation = Consultation.objects.get(slug=OPEN_SLUG)
    olga, _ = staff_with_totp("olga", "Olga Organisatrice", ORGANISERS)
    consultation.organisers.add(olga)
    oscar = make_user("oscar", "Oscar Organisateur", is_staff=True)
    for n in range(20):
        make_user(f"citoyen{n}", f"Citoyen {n}")
    sign_in_with_cookie(page, live_server.url, olga)
    page.goto(f"{live_server.url}/admin/debates/consultation/{consultation.pk}/change/")
    # The select2 search box of the organisers field.
    page.locator(".field-organisers .select2-selection").click()
    page.locator(".select2-search__field").fill("Oscar")
    choice = page.locator(".select2-results__option", has_text="Oscar Organisateur")
    expect(choice).to_have_count(1)
    expect(page.locator(".select2-results__option", has_text="Citoyen")).to_have_count(0)
    choice.click()
    with page.expect_navigation():
        page.locator('input[name="_save"]').click()
    expect(page.locator(".messagelist")).to_be_visible()
    assert set(consultation.organisers.all()) == {olga, oscar}
