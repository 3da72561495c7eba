"""Whole journeys through the site, as a newcomer does them, in Chromium.

Each test is one story: reading a closed consultation down to an argument,
signing up and taking part (with JavaScript, without it, and by keyboard
alone), reporting and moderating, closing a consultation while a citizen is
writing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.core.mail import EmailMessage
from playwright.sync_api import expect

from debates.models import Argument, Consultation, Contribution, ModerationEvent, Stance
from tests.browser.conftest import new_page
from tests.browser.helpers import (
    CLOSED_PROPOSAL,
    CLOSED_SLUG,
    CLOSED_TITLE,
    MODERATORS,
    OPEN_DEBATE,
    OPEN_PROPOSAL,
    OPEN_PROPOSAL_TITLE,
    OPEN_SLUG,
    OPEN_TITLE,
    ORGANISERS,
    PERMALINK_ARGUMENT,
    Keyboard,
    confirmation_path,
    load_demo,
    proposal_path,
    published_number,
    sign_in_staff,
    sign_in_through_form,
    staff_with_totp,
    vote_counts,
)
from tests.conftest import PASSWORD, make_user

NEW_PASSWORD_LABEL = re.compile(r"^Mot de passe \(obligatoire\)")
CONFIRM_PASSWORD_LABEL = re.compile(r"^Mot de passe \(confirmation\)")
# A pressed vote button shows « ✓ » (CSS ::before), which joins its accessible name.
AGREE = re.compile(r"^(✓ )?D'accord$")
MIXED = re.compile(r"^(✓ )?Mitigé$")


@pytest.fixture
def demo(transactional_db: None) -> None:
    load_demo()


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """allauth keeps rate limits and used TOTP codes in the cache: start each story clean."""
    cache.clear()


@pytest.fixture
def other_page(browser: Any, request: pytest.FixtureRequest, live_server: Any) -> Iterator[Any]:
    """Open a second person's browser (a new context); closed, with artefacts, at teardown."""
    opened: list[Iterator[Any]] = []

    def open_page(**context: Any) -> Any:
        pages = new_page(browser, request, **context)
        opened.append(pages)
        return next(pages)

    yield open_page
    for pages in opened:
        next(pages, None)


def text_of(locator: Any) -> str:
    return re.sub(r"\s+", " ", locator.inner_text().replace("\xa0", " ")).strip()


# 1. Reading


def test_a_visitor_reads_the_closed_consultation_down_to_an_argument(
    demo: None, page: Any, live_server: Any
) -> None:
    base = live_server.url
    page.goto(f"{base}/")
    page.get_by_role("link", name=CLOSED_TITLE).click()
    expect(page).to_have_url(f"{base}/consultations/{CLOSED_SLUG}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(CLOSED_TITLE)

    page.get_by_role("link", name=re.compile(r"^Transformation numérique des relations")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Transformation numérique")
    page.locator(f"#contribution-{CLOSED_PROPOSAL} h3").get_by_role("link").click()

    expect(page).to_have_url(re.compile(rf"/{CLOSED_PROPOSAL}/$"))
    expect(page.locator(".kicker")).to_have_text(f"La contribution #{CLOSED_PROPOSAL}")
    expect(
        page.get_by_text("La période de participation est maintenant fermée. Merci à tous")
    ).to_be_visible()
    expect(page.locator("#arguments-for-title")).to_have_text("8 arguments pour")
    expect(page.locator("#arguments-against-title")).to_have_text("2 arguments contre")

    # ∨ folds each list and unfolds it again.
    for stance in ("for", "against"):
        details = page.locator(f"#arguments-{stance}")
        arguments = details.locator(".argument-list")
        expect(arguments).to_be_visible()
        details.locator("summary").click()
        expect(arguments).to_be_hidden()
        expect(details).not_to_have_attribute("open", "")
        details.locator("summary").click()
        expect(arguments).to_be_visible()
        expect(details).to_have_attribute("open", "")

    # The number shown on an argument is its permalink; followed, it lands on it.
    expect(page.locator(f'a[href="/contributions/{PERMALINK_ARGUMENT}/"]')).to_have_text(
        f"#{PERMALINK_ARGUMENT}"
    )
    page.goto(f"{base}/contributions/{PERMALINK_ARGUMENT}/")
    # In the oldest-first order, where an argument's page never moves.
    expect(page).to_have_url(
        re.compile(rf"/{CLOSED_PROPOSAL}/\?ordre=oldest#contribution-{PERMALINK_ARGUMENT}$")
    )
    target = page.locator(f"#contribution-{PERMALINK_ARGUMENT}")
    expect(target).to_be_in_viewport()
    assert page.evaluate("document.querySelector(':target')?.id") == target.get_attribute("id")
    assert page.evaluate("window.scrollY") > 0, "the page did not scroll to the argument"
    expect(target).to_contain_text(f"#{PERMALINK_ARGUMENT}, le 24/11/2014 - 17:36")


# 2 and 3. Signing up and taking part, with and without JavaScript


def sign_up_and_confirm(
    page: Any, base: str, mailoutbox: list[EmailMessage], email: str, name: str
) -> None:
    page.goto(f"{base}/")
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Créer un compte"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Création de compte")
    page.get_by_label("Courriel").fill(email)
    page.get_by_label("Nom affiché").fill(name)
    page.get_by_label(NEW_PASSWORD_LABEL).fill(PASSWORD)
    page.get_by_label(CONFIRM_PASSWORD_LABEL).fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Création de compte").click()
    expect(page).to_have_url(f"{base}/comptes/confirm-email/")

    page.goto(base + confirmation_path(mailoutbox, email))
    expect(page.locator("main")).to_contain_text(email)
    page.locator("main").get_by_role("button", name="Confirmer").click()
    header = page.get_by_role("navigation", name="Menu principal")
    expect(header).to_be_visible()
    if header.get_by_role("link", name="Se connecter").count():
        sign_in_through_form(page, base, email)
    expect(header.get_by_role("link", name=re.compile("^Mon compte"))).to_be_visible()


def take_part(page: Any, base: str) -> None:
    """From the home page: post an argument pour, vote, change the vote, edit the argument."""
    page.goto(f"{base}/")
    page.get_by_role("link", name=OPEN_TITLE).click()
    page.get_by_role("link", name=OPEN_DEBATE).click()
    page.get_by_role("link", name=OPEN_PROPOSAL_TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(OPEN_PROPOSAL_TITLE)

    text = "Un abri fermé rassurerait aussi les parents des lycéens qui prennent le train."
    page.get_by_label("Votre argument pour").fill(text)
    page.get_by_role("button", name="Publier l'argument pour").click()
    number = published_number(page)
    argument = page.locator(f"#arguments-for #contribution-{number}")
    expect(argument).to_be_visible()
    expect(argument).to_contain_text(text)
    expect(argument.get_by_role("link", name=f"#{number}", exact=True)).to_be_visible()
    saved = Argument.objects.get(number=number)
    assert (saved.body, saved.stance) == (text, Stance.FOR)

    votes = page.locator("#vote")
    before = vote_counts(page)
    votes.get_by_role("button", name=AGREE).click()
    expect(page.locator(".messages")).to_contain_text("Votre vote « D'accord » est enregistré.")
    expect(votes.get_by_role("button", name=AGREE)).to_have_attribute("aria-pressed", "true")
    assert vote_counts(page) == {**before, "D'accord": before["D'accord"] + 1}

    votes.get_by_role("button", name=MIXED).click()
    expect(page.locator(".messages")).to_contain_text("Votre vote « Mitigé » est enregistré.")
    expect(votes.get_by_role("button", name=MIXED)).to_have_attribute("aria-pressed", "true")
    expect(votes.get_by_role("button", name=AGREE)).to_have_attribute("aria-pressed", "false")
    assert vote_counts(page) == {**before, "Mitigé": before["Mitigé"] + 1}
    assert "Vous avez voté « Mitigé »" in text_of(votes)

    page.locator(f"#contribution-{number}").get_by_role(
        "link", name=f"Modifier l'argument #{number}"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Modifier la contribution #{number}")
    edited = "Un abri fermé et éclairé rassurerait aussi les parents des lycéens."
    page.locator("main textarea").fill(edited)
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".messages")).to_contain_text(f"Votre contribution #{number} est modifiée.")
    argument = page.locator(f"#contribution-{number}")
    expect(argument).to_contain_text(edited)
    expect(argument).not_to_contain_text(text)
    # « modifié le » appears only for edits more than a minute after publication.


def test_a_newcomer_signs_up_and_takes_part(
    demo: None, page: Any, live_server: Any, mailoutbox: list[EmailMessage]
) -> None:
    sign_up_and_confirm(page, live_server.url, mailoutbox, "chloe@example.org", "Chloé Petit")
    take_part(page, live_server.url)


def test_a_newcomer_signs_up_and_takes_part_without_javascript(
    demo: None, page_without_js: Any, live_server: Any, mailoutbox: list[EmailMessage]
) -> None:
    page = page_without_js
    assert page.evaluate("1 + 1") == 2  # Playwright's own scripts still run
    sign_up_and_confirm(page, live_server.url, mailoutbox, "jules@example.org", "Jules Sans-JS")
    take_part(page, live_server.url)


# 4. Reporting and moderating


def test_a_reported_argument_is_hidden_by_a_moderator_with_a_public_reason(
    demo: None, page: Any, other_page: Callable[..., Any], live_server: Any
) -> None:
    base = live_server.url
    make_user("bob", "Bob Durand")
    moderator, secret = staff_with_totp("mona", "Mona Modératrice", MODERATORS)
    reported = 2007  # the argument contre on « Un abri vélo sécurisé à la gare »

    sign_in_through_form(page, base, "bob@example.org")
    page.goto(base + proposal_path(OPEN_PROPOSAL))
    page.locator(f"#contribution-{reported}").get_by_role(
        "link", name=f"Signaler la contribution #{reported}"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Signaler la contribution #{reported}"
    )
    page.get_by_label("Publicité ou spam").check()
    page.get_by_label("Commentaire (facultatif)").fill("Ce message fait de la réclame.")
    page.get_by_role("button", name="Envoyer le signalement").click()
    expect(page.locator(".messages")).to_contain_text(
        f"Merci : la contribution #{reported} est signalée à la modération."
    )

    admin = other_page()
    queue = "/admin/debates/reportedcontribution/"
    sign_in_staff(admin, base, moderator.email, secret, queue)
    row = admin.locator("#result_list tbody tr", has_text=f"{reported}")
    expect(row).to_have_count(1)
    pk = Contribution.objects.get(number=reported).pk
    row.locator(f'input[name="_selected_action"][value="{pk}"]').check()
    admin.locator('select[name="action"]').select_option("hide_selected")
    admin.locator('button[name="index"]').click()

    expect(admin.locator("#content")).to_contain_text(f"#{reported}")
    admin.get_by_label("Motif (public)").select_option(label="Publicité ou spam")
    admin.get_by_label("Précision (publique, facultative)").fill("Réclame pour un commerce.")
    with admin.expect_response(
        lambda r: r.url.endswith(queue) and r.request.method == "GET"
    ) as back:
        admin.get_by_role("button", name="Masquer").click()

    page.reload()
    hidden = page.locator(f"#contribution-{reported}")
    expect(hidden).to_contain_text("Contribution masquée par la modération")
    expect(hidden).to_contain_text("Publicité ou spam — Réclame pour un commerce.")
    expect(hidden).not_to_contain_text("Le parking de la gare est déjà saturé")
    expect(hidden).to_contain_text(f"#{reported}")

    page.get_by_role("link", name="Journal public de modération de la consultation").last.click()
    expect(page).to_have_url(f"{base}/consultations/{OPEN_SLUG}/moderation/")
    line = page.locator("table.log tbody tr", has_text=f"#{reported}")
    expect(line).to_have_count(1)
    expect(line).to_contain_text("Publicité ou spam — Réclame pour un commerce.")
    expect(line).to_contain_text("Modérat")  # the public role, never the person
    expect(line).not_to_contain_text("Mona")
    assert ModerationEvent.objects.filter(contribution__number=reported).count() == 1

    # Last, the moderator's own screen: back on the queue, told what was done.
    assert back.value.status == 200, f"the moderation queue answered {back.value.status}"
    expect(admin.locator(".messagelist")).to_contain_text("1 contribution(s) masquée(s).")


# 5. Closing while a citizen writes


def test_closing_now_turns_the_pages_read_only_and_refuses_a_form_left_open(
    demo: None, page: Any, other_page: Callable[..., Any], live_server: Any
) -> None:
    base = live_server.url
    consultation = Consultation.objects.get(slug=OPEN_SLUG)
    organiser, secret = staff_with_totp("olga", "Olga Organisatrice", ORGANISERS)
    consultation.organisers.add(organiser)
    make_user("bob", "Bob Durand")
    proposal = base + proposal_path(OPEN_PROPOSAL)

    sign_in_through_form(page, base, "bob@example.org")
    page.goto(proposal)
    expect(page.get_by_label("Votre argument pour")).to_be_visible()
    second_tab = page.context.new_page()
    second_tab.goto(proposal)
    late = "Texte écrit pendant que la consultation se fermait."
    second_tab.get_by_label("Votre argument pour").fill(late)

    admin = other_page()
    sign_in_staff(admin, base, organiser.email, secret, "/admin/debates/consultation/")
    admin.locator(f'input[name="_selected_action"][value="{consultation.pk}"]').check()
    admin.locator('select[name="action"]').select_option("close_now")
    admin.locator('button[name="index"]').click()
    expect(admin.locator("#content")).to_contain_text("arrête aussitôt la participation")
    consultation.refresh_from_db()
    assert consultation.is_open, "closed before the organiser confirmed"
    admin.get_by_role("button", name="Oui, clore maintenant").click()
    expect(admin.locator(".messagelist")).to_contain_text("Consultation(s) close(s).")
    consultation.refresh_from_db()
    assert not consultation.is_open

    page.reload()
    expect(
        page.get_by_text(
            "La période de participation est maintenant fermée. Merci à tous d'avoir participé."
        )
    ).to_be_visible()
    expect(page.locator(".form-closed").first).to_have_text("La consultation est fermée")
    expect(page.locator("form.argument-form")).to_have_count(0)
    expect(page.locator("form.vote-form")).to_have_count(0)
    page.goto(f"{base}/consultations/{OPEN_SLUG}/")
    expect(page.locator(".notices")).to_contain_text("Consultation close par les organisateurs")

    count = Argument.objects.count()
    with second_tab.expect_response(lambda r: r.request.method == "POST") as answer:
        second_tab.get_by_role("button", name="Publier l'argument pour").click()
    assert answer.value.status == 403
    main = second_tab.locator("main")
    expect(main).to_contain_text("La consultation est fermée")
    expect(main).to_contain_text("Rien n'a été enregistré.")
    expect(main.get_by_role("link", name="Revenir à la page")).to_be_visible()
    assert Argument.objects.count() == count
    assert not Argument.objects.filter(body=late).exists()


# 6. Keyboard only


def test_a_newcomer_signs_up_and_takes_part_with_the_keyboard_only(
    demo: None, page: Any, live_server: Any, mailoutbox: list[EmailMessage]
) -> None:
    base = live_server.url
    keys = Keyboard(page)
    email = "karim@example.org"
    page.goto(f"{base}/")

    # The skip link is the first stop and leads into <main>.
    keys.press_tab()
    assert keys.focused_matches("a.skip-link"), f"first Tab stop: {keys.focused()}"
    assert page.evaluate("document.activeElement.textContent.trim()") == "Aller au contenu"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main-content"
    assert page.evaluate("document.activeElement.tagName") == "MAIN"

    # Back up into the header to « Créer un compte ».
    keys.tab_to('.site-header a[href="/comptes/signup/"]', backwards=True)
    keys.activate("Enter")
    keys.tab_to("#id_email")
    keys.type(email)
    keys.next_is("#id_display_name")
    keys.type("Karim Clavier")
    keys.next_is("#id_password1")
    keys.type(PASSWORD)
    keys.next_is("#id_password2")
    keys.type(PASSWORD)
    keys.next_is('main button[type="submit"]')
    keys.activate("Enter")
    expect(page).to_have_url(f"{base}/comptes/confirm-email/")

    page.goto(base + confirmation_path(mailoutbox, email))  # the link opened from the mail
    keys.tab_to('main button[type="submit"]')
    keys.activate("Space")
    if page.locator('.site-header a[href^="/comptes/login/"]').count():
        keys.tab_to('.site-header a[href^="/comptes/login/"]')
        keys.activate("Enter")
        keys.tab_to("#id_login")
        keys.type(email)
        keys.next_is("#id_password")
        keys.type(PASSWORD)
        keys.tab_to('main button[type="submit"]')
        keys.activate("Enter")
    expect(page.locator('.site-header a[href="/compte/"]')).to_be_visible()

    keys.tab_to(".site-header a.site-name")
    keys.activate("Enter")
    keys.tab_to(f'main a[href="/consultations/{OPEN_SLUG}/"]')
    keys.activate("Enter")
    keys.tab_to(f'main a[href="/consultations/{OPEN_SLUG}/mobilites/"]')
    keys.activate("Enter")
    keys.tab_to(f'main h3 a[href="{proposal_path(OPEN_PROPOSAL)}"]')
    keys.activate("Enter")

    text = "Au clavier aussi on peut défendre un abri vélo fermé."
    keys.tab_to("#id_body_for")
    keys.type(text)
    keys.next_is("#arguments-for ~ form.argument-form button[type=submit]")
    keys.activate("Enter")
    number = published_number(page)
    expect(page.locator(f"#arguments-for #contribution-{number}")).to_contain_text(text)

    # The vote form sits above the arguments: Shift+Tab back up to it.
    before = vote_counts(page)
    keys.tab_to('.vote-form button[value="agree"]', backwards=True)
    keys.activate("Space")
    assert vote_counts(page) == {**before, "D'accord": before["D'accord"] + 1}
    keys.tab_to('.vote-form button[value="mixed"]')
    keys.activate("Enter")
    assert vote_counts(page) == {**before, "Mitigé": before["Mitigé"] + 1}
    expect(page.locator('.vote-form button[value="mixed"]')).to_have_attribute(
        "aria-pressed", "true"
    )

    keys.tab_to(f'#contribution-{number} a[href="/contributions/{number}/modifier/"]')
    keys.activate("Enter")
    edited = "Au clavier aussi, et sans souris, on défend un abri vélo fermé."
    keys.tab_to("main textarea")
    page.keyboard.press("ControlOrMeta+A")
    keys.type(edited)
    keys.tab_to('main button[type="submit"]')
    keys.activate("Enter")
    expect(page.locator(f"#contribution-{number}")).to_contain_text(edited)

    assert keys.stops > 20
    assert not keys.invisible_focus, "focus not visible:\n" + "\n".join(keys.invisible_focus)
