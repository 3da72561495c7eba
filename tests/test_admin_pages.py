"""The admin as organisers and moderators see it: its name, its language, its forms.

Olga organises the open consultation, Mona moderates, Sabine administers; Bob
and Vera are citizens who report Alice's argument. Each test reads the page a
staff member gets and what the database holds afterwards.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from debates import actions, moderation
from debates.models import (
    Argument,
    CalendarChange,
    Consultation,
    HideReason,
    ModerationEvent,
    ReportReason,
)
from tests.conftest import make_user, proposal_of
from tests.test_moderation_admin import enrol_organiser, make_moderator, make_superuser


@pytest.fixture(autouse=True)
def _without_2fa(settings: Any) -> None:
    settings.STAFF_REQUIRE_2FA = False


def signed_in(user: User, language: str = "fr") -> Client:
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    return client


def app_names(html: str) -> list[str]:
    """Return the section names of the admin index, as staff read them."""
    return re.findall(r'<caption>\s*<a [^>]*class="section"[^>]*>([^<]+)</a>', html)


# Branded and translated.


@pytest.mark.parametrize(
    ("language", "default"), [("fr", "Consultation citoyenne"), ("en", "Citizen consultation")]
)
def test_the_admin_bears_the_site_name_by_default_translated(
    db: None, language: str, default: str
) -> None:
    html = signed_in(make_superuser(), language).get("/admin/").content.decode()
    assert f'<div id="site-name"><a href="/admin/">{default}</a></div>' in html
    assert re.search(rf"<title>[^<]*\| {default}</title>", html), html[:400]
    assert "Django" not in re.search(r"<title>.*?</title>", html).group(0)  # type: ignore[union-attr]


def test_the_admin_bears_the_configured_site_name(db: None, settings: Any) -> None:
    settings.SITE_NAME = "Parlons-en, Val-d'Exemple"
    html = signed_in(make_superuser()).get("/admin/").content.decode()
    assert "Parlons-en, Val-d&#x27;Exemple</a></div>" in html
    assert "Administration de Django" not in html


@pytest.mark.parametrize(
    ("language", "expected", "english"),
    [
        (
            "fr",
            {"Adresses électroniques", "Comptes", "Double authentification"},
            {"MFA", "Authenticators", "authenticators"},
        ),
        ("en", {"Email addresses", "Accounts", "Two-factor authentication"}, {"MFA"}),
    ],
)
def test_every_admin_section_has_a_distinct_name_in_the_language(
    db: None, language: str, expected: set[str], english: set[str]
) -> None:
    html = signed_in(make_superuser(), language).get("/admin/").content.decode()
    names = app_names(html)
    assert len(names) == len(set(names)), f"two sections share a name: {names}"
    assert expected <= set(names), names
    shown = set(re.findall(r">([^<>]+)</a>", html))
    assert not english & shown, english & shown


# Choosing organisers.


def test_the_organisers_field_searches_accounts_instead_of_listing_them(
    open_consultation: Consultation, olga: User
) -> None:
    enrol_organiser(olga, open_consultation)
    for n in range(30):
        make_user(f"citizen{n}", f"Citoyen {n}")
    page = signed_in(olga).get(f"/admin/debates/consultation/{open_consultation.pk}/change/")
    assert page.status_code == 200
    select = re.search(
        r'<select name="organisers"[^>]*>(.*?)</select>', page.content.decode(), re.S
    )
    assert select, "no organisers field"
    assert "admin-autocomplete" in select.group(0)
    # Only the chosen organisers are in the page, not the 30 other accounts.
    assert re.findall(r"<option [^>]*>([^<]*)</option>", select.group(1)) == ["Olga Organisatrice"]


def autocomplete(client: Client, term: str) -> Any:
    return client.get(
        "/admin/autocomplete/",
        {
            "term": term,
            "app_label": "debates",
            "model_name": "consultation",
            "field_name": "organisers",
        },
    )


@pytest.mark.parametrize("term", ["Oscar Organ", "oscar@example"])
def test_an_organiser_finds_a_colleague_by_display_name_or_email(
    open_consultation: Consultation, olga: User, term: str
) -> None:
    enrol_organiser(olga, open_consultation)
    oscar = make_user("oscar", "Oscar Organisateur", is_staff=True)
    make_user("other", "Quelqu'un d'autre")
    answer = autocomplete(signed_in(olga), term)
    assert answer.status_code == 200
    found = json.loads(answer.content)["results"]
    assert found == [{"id": str(oscar.pk), "text": "Oscar Organisateur"}]


def test_the_accounts_search_opens_no_account_list_to_organisers(
    open_consultation: Consultation, olga: User, bob: User
) -> None:
    enrol_organiser(olga, open_consultation)
    client = signed_in(olga)
    assert client.get("/admin/accounts/user/").status_code == 403
    assert client.get(f"/admin/accounts/user/{bob.pk}/change/").status_code == 403
    # Another field's autocomplete is not a way in either.
    other = client.get(
        "/admin/autocomplete/",
        {"term": "bob", "app_label": "debates", "model_name": "vote", "field_name": "user"},
    )
    assert other.status_code == 403


def test_a_citizen_cannot_search_accounts(open_consultation: Consultation, bob: User) -> None:
    answer = autocomplete(signed_in(bob), "alice")
    assert answer.status_code in {302, 403}
    assert b"Alice" not in answer.content


# Closing now.


def close_now(client: Client, consultation: Consultation, confirm: bool) -> Any:
    data = {"action": "close_now", "_selected_action": [consultation.pk]}
    if confirm:
        data["apply"] = "1"
    return client.post("/admin/debates/consultation/", data)


def test_closing_now_asks_first_and_says_what_will_happen(
    open_consultation: Consultation, olga: User
) -> None:
    enrol_organiser(olga, open_consultation)
    page = close_now(signed_in(olga), open_consultation, confirm=False)
    assert page.status_code == 200
    html = page.content.decode()
    assert "arrête aussitôt la participation" in html
    assert "Consultation ouverte" in html
    assert 'name="apply"' in html and "Oui, clore maintenant" in html
    open_consultation.refresh_from_db()
    assert open_consultation.is_open
    assert not CalendarChange.objects.filter(consultation=open_consultation).exists()


def test_closing_now_acts_on_the_confirming_post(
    open_consultation: Consultation, olga: User
) -> None:
    enrol_organiser(olga, open_consultation)
    answer = close_now(signed_in(olga), open_consultation, confirm=True)
    assert answer.status_code == 302
    open_consultation.refresh_from_db()
    assert open_consultation.is_closed
    assert CalendarChange.objects.filter(consultation=open_consultation).count() == 1


def test_a_forged_confirmation_from_another_organiser_is_refused_and_closes_nothing(
    open_consultation: Consultation, olga: User
) -> None:
    enrol_organiser(olga)  # an organiser, but not of this consultation
    for confirm in (False, True):
        answer = close_now(signed_in(olga), open_consultation, confirm=confirm)
        assert answer.status_code in {302, 403}
        open_consultation.refresh_from_db()
        assert open_consultation.is_open
    assert not CalendarChange.objects.filter(consultation=open_consultation).exists()


# Hiding.


@pytest.fixture
def reported(open_consultation: Consultation, bob: User, vera: User, alice: User) -> Argument:
    """Alice's argument, reported twice as personal data and once as off topic."""
    argument = actions.post_argument(
        proposal=proposal_of(open_consultation),
        author=alice,
        stance="against",
        body="Le voisin du 12 rue des Lilas, M. Untel, ne paie pas ses impôts.",
    )
    moderation.report(
        contribution=argument,
        reporter=bob,
        reason=ReportReason.PERSONAL_DATA,
        comment="Un nom et une adresse.",
    )
    moderation.report(contribution=argument, reporter=vera, reason=ReportReason.PERSONAL_DATA)
    carol = make_user("carol", "Carole")
    moderation.report(contribution=argument, reporter=carol, reason=ReportReason.OFF_TOPIC)
    return argument


def hide_form(client: Client, argument: Argument) -> str:
    page = client.post(
        "/admin/debates/reportedcontribution/",
        {"action": "hide_selected", "_selected_action": [argument.pk]},
    )
    assert page.status_code == 200
    return page.content.decode()


def test_the_hide_form_shows_the_text_in_context_and_the_reports(reported: Argument) -> None:
    html = hide_form(signed_in(make_moderator()), reported)
    assert "Le voisin du 12 rue des Lilas" in html
    assert "Sur la proposition #" in html and "Une proposition" in html
    assert (
        "Consultation «&nbsp;Consultation ouverte&nbsp;», débat «&nbsp;Débat theme&nbsp;»" in html
    )
    assert "3 signalements ouverts" in html
    assert "Données personnelles&nbsp;: 2" in html and "Hors sujet&nbsp;: 1" in html
    assert "«&nbsp;Un nom et une adresse.&nbsp;»" in html
    assert "Bob Durand" in html


def test_the_hide_form_defaults_to_the_most_reported_reason(reported: Argument) -> None:
    html = hide_form(signed_in(make_moderator()), reported)
    selected = re.findall(r'<option value="([^"]*)" selected>', html)
    assert selected == [HideReason.PERSONAL_DATA]


def test_without_reports_the_hide_form_makes_the_moderator_choose(
    open_consultation: Consultation,
) -> None:
    argument = proposal_of(open_consultation)
    html = hide_form(signed_in(make_moderator()), argument)
    assert re.findall(r'<option value="([^"]*)" selected>', html) == [""]


def test_the_hide_form_never_offers_the_import_only_reason(reported: Argument) -> None:
    html = hide_form(signed_in(make_moderator()), reported)
    assert 'value="unpublished"' not in html
    assert "plateforme d'origine" not in html and "plateforme d&#x27;origine" not in html


def test_a_forged_import_only_reason_is_refused_and_nothing_is_hidden(reported: Argument) -> None:
    answer = signed_in(make_moderator()).post(
        "/admin/debates/reportedcontribution/",
        {
            "action": "hide_selected",
            "_selected_action": [reported.pk],
            "apply": "1",
            "reason": HideReason.UNPUBLISHED,
        },
    )
    assert answer.status_code == 200  # the form again, with its error
    assert "Sélectionnez un choix valide" in answer.content.decode()
    reported.refresh_from_db()
    assert not reported.is_hidden
    assert not ModerationEvent.objects.filter(contribution=reported).exists()


# The author is told where to look.


def test_the_email_links_the_contribution_and_the_public_log(
    reported: Argument,
    settings: Any,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.SITE_DOMAIN = "consultation.example.org"
    with django_capture_on_commit_callbacks(execute=True):
        moderation.hide(
            contribution=reported, actor=make_superuser(), reason=HideReason.PERSONAL_DATA
        )
    body = mailoutbox[0].body
    slug = moderation.consultation_of(reported).slug
    assert f"https://consultation.example.org/contributions/{reported.number}/" in body
    assert f"https://consultation.example.org/consultations/{slug}/moderation/" in body
