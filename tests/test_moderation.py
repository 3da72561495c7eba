"""Moderation on the public side: hiding, reporting, blocking, the public log, drafts.

Mona moderates every consultation; Olga organises the open one. Alice wrote
the proposal of `open_consultation`; Bob and Vera argue on it, and Vera
deposited a source. Moderation never deletes: hidden contributions keep their
number, author line and place, with the public reason in place of the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timezone import localtime

from accounts import actions as account_actions
from accounts.models import User
from debates import actions, moderation
from debates.models import (
    Argument,
    Consultation,
    Contribution,
    Endorsement,
    HideReason,
    ModerationAction,
    ModerationEvent,
    ModeratorRole,
    Proposal,
    Report,
    ReportReason,
    Source,
    Vote,
)
from tests.conftest import make_consultation, make_debate, make_user, proposal_of
from tests.test_moderation_admin import (
    enrol_organiser,
    hide_through_admin,
    make_moderator,
    make_superuser,
)

AssertQueries = Callable[..., AbstractContextManager[object]]
HIDDEN_NOTICE = "Contribution masquée par la modération"


@pytest.fixture(autouse=True)
def _without_2fa(settings: Any) -> None:
    settings.STAFF_REQUIRE_2FA = False


@pytest.fixture
def mona(db: None) -> User:
    return make_moderator()


@dataclass
class Thread:
    """The open consultation's proposal and what was said on it."""

    proposal: Proposal
    for_bob: Argument
    against_vera: Argument
    for_vera: Argument
    source: Source


@pytest.fixture
def thread(open_consultation: Consultation, bob: User, vera: User) -> Thread:
    proposal = proposal_of(open_consultation)
    return Thread(
        proposal=proposal,
        for_bob=actions.post_argument(
            proposal=proposal, author=bob, stance="for", body="Bob trouve cela injurieux."
        ),
        against_vera=actions.post_argument(
            proposal=proposal, author=vera, stance="against", body="Vera n'est pas d'accord."
        ),
        for_vera=actions.post_argument(
            proposal=proposal, author=vera, stance="for", body="Vera soutient aussi."
        ),
        source=actions.post_source(
            proposal=proposal,
            author=vera,
            title="Rapport de la Cour",
            url="https://www.example.org/rapport-secret",
            description="Une lecture utile.",
        ),
    )


def page(client: Client, url: str) -> str:
    response = client.get(url, follow=True)
    assert response.status_code == 200, url
    return response.content.decode()


def stamp(value: Any) -> str:
    """Return a date as the pages write it: « 29/10/2014 - 13:17 », Paris time."""
    return date_format(localtime(value), "d/m/Y - H:i")


def anchors(html: str) -> list[str]:
    """Return the ids of the contributions on a proposal page, in page order."""
    return re.findall(r'id="(contribution-\d+)"', html)


def item_html(html: str, contribution: Contribution) -> str:
    """Return the <li> of one argument or source on a proposal page."""
    match = re.search(rf'<li class="\w+" id="{contribution.anchor}">(.*?)</li>', html, re.S)
    assert match, contribution.anchor
    return match.group(1)


def hidden_texts(contribution: Argument | Source | Proposal) -> list[str]:
    if isinstance(contribution, Argument):
        return [contribution.body]
    if isinstance(contribution, Source):
        return [contribution.title, contribution.url, contribution.description]
    return [contribution.title, contribution.body]


def hide_as(
    mona: User, client: Client, contribution: Contribution, through: str, note: str = ""
) -> None:
    if through == "function":
        moderation.hide(
            contribution=contribution, actor=mona, reason=HideReason.OFFENSIVE, note=note
        )
    else:
        client.force_login(mona)
        _, applied = hide_through_admin(
            client, [contribution], reason=HideReason.OFFENSIVE, note=note
        )
        assert applied.status_code == 302
        client.logout()


# Hiding.


@pytest.mark.parametrize("through", ["function", "admin"])
def test_a_hidden_argument_shows_the_reason_and_date_in_place_of_its_text(
    thread: Thread, mona: User, client: Client, through: str
) -> None:
    before = page(client, thread.proposal.get_page_url())
    hide_as(mona, client, thread.for_bob, through, note="Attaque personnelle.")
    thread.for_bob.refresh_from_db()
    html = page(client, thread.proposal.get_page_url())

    item = item_html(html, thread.for_bob)
    assert HIDDEN_NOTICE in item
    assert "Propos injurieux ou haineux — Attaque personnelle." in item
    assert stamp(thread.for_bob.hidden_at) in item
    assert f"#{thread.for_bob.number}</a>" in item
    assert "Bob Durand" in item
    assert "Bob trouve cela injurieux." not in html
    assert anchors(html) == anchors(before)
    assert '2 arguments pour <span class="hidden-count">(dont 1 masqué)</span>' in html
    assert "1 argument contre</h2>" in html


@pytest.mark.parametrize("kind", ["argument", "source"])
def test_a_hidden_text_appears_on_no_page(
    thread: Thread, mona: User, client: Client, vera: User, kind: str
) -> None:
    contribution = thread.against_vera if kind == "argument" else thread.source
    moderation.hide(contribution=contribution, actor=mona, reason=HideReason.SPAM)
    pages = {
        "proposal": thread.proposal.get_page_url(),
        "debate": thread.proposal.debate.get_absolute_url(),
        "profile": f"/profils/{vera.pk}/",
        "permalink": contribution.get_absolute_url(),
    }
    for name, url in pages.items():
        html = page(client, url)
        for text in hidden_texts(contribution):
            assert text not in html, (name, text)
    proposal_page = page(client, pages["proposal"])
    assert HIDDEN_NOTICE in item_html(proposal_page, contribution)
    assert "Publicité ou spam" in item_html(proposal_page, contribution)
    if kind == "source":
        assert "(dont 1 masquée)" in proposal_page


def test_a_hidden_proposal_leaves_the_debate_list_and_the_profiles(
    thread: Thread, mona: User, client: Client, alice: User, bob: User
) -> None:
    proposal = thread.proposal
    moderation.hide(contribution=proposal, actor=mona, reason=HideReason.OFF_TOPIC)
    debate_page = page(client, proposal.debate.get_absolute_url())
    assert f"Proposition #{proposal.number} masquée par la modération" in debate_page
    assert f"#{proposal.number}, le" in debate_page
    assert "Alice Martin" in debate_page
    author_profile = page(client, f"/profils/{alice.pk}/")
    assert f"#{proposal.number} {HIDDEN_NOTICE}" in author_profile
    arguer_profile = page(client, f"/profils/{bob.pk}/")
    assert f"#{thread.for_bob.number}</a> Argument pour" in arguer_profile
    for html in (debate_page, author_profile, arguer_profile):
        assert "Une proposition" not in html
        assert "Texte." not in html


def test_a_hidden_proposals_page_shows_neither_its_title_nor_its_text(
    thread: Thread, mona: User, client: Client
) -> None:
    proposal = thread.proposal
    moderation.hide(contribution=proposal, actor=mona, reason=HideReason.OFF_TOPIC)
    html = page(client, proposal.get_absolute_url())
    assert HIDDEN_NOTICE in html
    assert "Hors sujet" in html
    assert f"Proposition #{proposal.number}</h1>" in html
    assert "Alice Martin" in html
    assert "Texte." not in html
    assert "Une proposition" not in html


@pytest.mark.parametrize("which", ["consultation", "proposal"])
def test_the_page_title_is_plain_text(thread: Thread, client: Client, which: str) -> None:
    url = (
        thread.proposal.debate.consultation.get_absolute_url()
        if which == "consultation"
        else thread.proposal.get_page_url()
    )
    html = page(client, url)
    title = html.split("<title>")[1].split("</title>")[0]
    head = html.split("</head>")[0]
    assert "<" not in title
    assert "moderation-log-link" not in head


def test_unhiding_restores_everything(
    thread: Thread, mona: User, client: Client, alice: User
) -> None:
    before = {
        "proposal": page(client, thread.proposal.get_page_url()),
        "debate": page(client, thread.proposal.debate.get_absolute_url()),
    }
    for contribution in (thread.proposal, thread.for_bob, thread.source):
        moderation.hide(contribution=contribution, actor=mona, reason=HideReason.SPAM)
    for contribution in (thread.proposal, thread.for_bob, thread.source):
        moderation.unhide(contribution=contribution, actor=mona)
    proposal_page = page(client, thread.proposal.get_page_url())
    assert HIDDEN_NOTICE not in proposal_page
    assert "(dont" not in proposal_page
    for text in ("Texte.", "Bob trouve cela injurieux.", "Rapport de la Cour"):
        assert text in proposal_page
    assert anchors(proposal_page) == anchors(before["proposal"])
    debate_page = page(client, thread.proposal.debate.get_absolute_url())
    assert "Une proposition" in debate_page
    assert "masquée par la modération" not in debate_page
    assert HIDDEN_NOTICE not in page(client, f"/profils/{alice.pk}/")


def row_counts() -> dict[str, int]:
    models = (Contribution, Proposal, Argument, Source, Report, Vote, Endorsement, User)
    return {model.__name__: model.objects.count() for model in models}


def test_no_moderation_action_deletes_anything(
    thread: Thread, mona: User, client: Client, bob: User, vera: User
) -> None:
    moderation.report(contribution=thread.for_bob, reporter=vera, reason=ReportReason.OFFENSIVE)
    actions.cast_vote(proposal=thread.proposal, user=bob, value="agree")
    actions.toggle_endorsement(argument=thread.against_vera, user=bob)
    counts = row_counts()

    moderation.hide(contribution=thread.for_bob, actor=mona, reason=HideReason.OFFENSIVE)
    moderation.unhide(contribution=thread.for_bob, actor=mona)
    moderation.dismiss_reports(contribution=thread.for_bob, actor=mona)
    client.force_login(mona)
    hide_through_admin(client, [thread.proposal])
    hide_through_admin(client, [thread.source])
    client.post(
        "/admin/debates/argument/",
        {"action": "unhide_selected", "_selected_action": [thread.for_bob.pk]},
    )
    for action in ("block", "hide_all_contributions", "unblock"):
        client.post("/admin/accounts/user/", {"action": action, "_selected_action": [bob.pk]})

    assert Proposal.objects.get(pk=thread.proposal.pk).is_hidden
    assert Source.objects.get(pk=thread.source.pk).is_hidden
    assert row_counts() == counts


def test_each_hide_and_unhide_through_the_admin_is_in_history_and_the_log(
    thread: Thread, mona: User, client: Client
) -> None:
    argument = thread.for_bob
    client.force_login(mona)
    hide_through_admin(client, [argument], reason=HideReason.PERSONAL_DATA, note="Adresse.")
    client.post(
        "/admin/debates/argument/",
        {"action": "unhide_selected", "_selected_action": [argument.pk]},
    )
    versions = list(argument.history.order_by("history_date", "history_id"))
    assert [(v.history_type, v.hidden_reason, v.hidden_at is None) for v in versions] == [
        ("+", "", True),
        ("~", HideReason.PERSONAL_DATA, False),
        ("~", "", True),
    ]
    assert [v.history_user for v in versions[1:]] == [mona, mona]
    events = list(ModerationEvent.objects.order_by("at", "pk"))
    assert [
        (e.action, e.reason, e.note, e.role, e.actor, e.contribution_id, e.consultation)
        for e in events
    ] == [
        (
            ModerationAction.HIDE,
            HideReason.PERSONAL_DATA,
            "Adresse.",
            ModeratorRole.MODERATOR,
            mona,
            argument.pk,
            thread.proposal.debate.consultation,
        ),
        (
            ModerationAction.UNHIDE,
            "",
            "",
            ModeratorRole.MODERATOR,
            mona,
            argument.pk,
            thread.proposal.debate.consultation,
        ),
    ]


def test_a_hide_through_the_function_is_in_history_too(thread: Thread, mona: User) -> None:
    moderation.hide(contribution=thread.source, actor=mona, reason=HideReason.SPAM)
    moderation.unhide(contribution=thread.source, actor=mona)
    reasons = [v.hidden_reason for v in thread.source.history.order_by("history_date")]
    assert reasons == ["", HideReason.SPAM, ""]
    assert ModerationEvent.objects.filter(contribution=thread.source).count() == 2


def test_the_author_cannot_edit_a_hidden_contribution(
    thread: Thread, mona: User, client: Client, bob: User
) -> None:
    moderation.hide(contribution=thread.for_bob, actor=mona, reason=HideReason.OFFENSIVE)
    client.force_login(bob)
    url = f"/contributions/{thread.for_bob.number}/modifier/"
    assert client.get(url).status_code == 403
    client.post(url, {"body": "Nouveau texte pour contourner la modération."})
    thread.for_bob.refresh_from_db()
    assert thread.for_bob.body == "Bob trouve cela injurieux."


def test_nobody_endorses_a_hidden_argument(
    thread: Thread, mona: User, client: Client, alice: User
) -> None:
    moderation.hide(contribution=thread.for_bob, actor=mona, reason=HideReason.OFFENSIVE)
    client.force_login(alice)
    client.post(f"/contributions/{thread.for_bob.number}/accord/")
    assert not Endorsement.objects.filter(argument=thread.for_bob).exists()


# The author is told.


@pytest.mark.parametrize("through", ["function", "admin"])
def test_the_author_is_emailed_with_the_reason(
    thread: Thread,
    mona: User,
    client: Client,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
    through: str,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        hide_as(mona, client, thread.for_bob, through, note="Attaque personnelle.")
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["bob@example.org"]
    assert mail.subject == f"Votre contribution #{thread.for_bob.number} a été masquée"
    assert "Bonjour Bob Durand," in mail.body
    assert "Motif : Propos injurieux ou haineux" in mail.body
    assert "Précision : Attaque personnelle." in mail.body
    assert "« Consultation ouverte »" in mail.body


@pytest.mark.parametrize("account", ["deleted", "without email"])
def test_an_account_without_email_is_not_emailed(
    thread: Thread,
    mona: User,
    bob: User,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
    account: str,
) -> None:
    if account == "deleted":
        account_actions.delete_account(user=bob)
    else:
        bob.email = ""
        bob.save()
    with django_capture_on_commit_callbacks(execute=True):
        moderation.hide(contribution=thread.for_bob, actor=mona, reason=HideReason.SPAM)
    assert mailoutbox == []
    assert Argument.objects.get(pk=thread.for_bob.pk).is_hidden


# Reporting.


def report_url(contribution: Contribution) -> str:
    return f"/contributions/{contribution.number}/signaler/"


@pytest.mark.parametrize("kind", ["proposal", "argument", "source"])
def test_a_citizen_reports_a_contribution_with_a_reason_and_a_comment(
    thread: Thread, client: Client, alice: User, kind: str
) -> None:
    contribution = {"proposal": thread.proposal, "argument": thread.for_bob}.get(
        kind, thread.source
    )
    client.force_login(alice)
    form = client.get(report_url(contribution))
    assert form.status_code == 200
    html = form.content.decode()
    assert f"Signaler la contribution #{contribution.number}" in html
    for label in ("Hors sujet", "Propos injurieux ou haineux", "Données personnelles"):
        assert label in html

    response = client.post(
        report_url(contribution), {"reason": "personal_data", "comment": "Un numéro de téléphone."}
    )
    assert response.status_code == 302
    assert response["Location"] == contribution.get_absolute_url()
    report = Report.objects.get()
    assert (report.contribution_id, report.reporter, report.reason, report.comment) == (
        contribution.pk,
        alice,
        ReportReason.PERSONAL_DATA,
        "Un numéro de téléphone.",
    )
    assert report.resolved_at is None
    shown = page(client, response["Location"])
    assert f"Merci : la contribution #{contribution.number} est signalée à la modération." in shown


def test_a_report_without_a_reason_is_refused(thread: Thread, client: Client, alice: User) -> None:
    client.force_login(alice)
    response = client.post(report_url(thread.for_bob), {"comment": "?"})
    assert response.status_code == 400
    assert not Report.objects.exists()


def test_a_citizen_reports_a_contribution_once(thread: Thread, client: Client, alice: User) -> None:
    client.force_login(alice)
    client.post(report_url(thread.for_bob), {"reason": "offensive"})
    again = client.post(report_url(thread.for_bob), {"reason": "spam"}, follow=True)
    assert again.status_code == 200
    assert f"Vous aviez déjà signalé la contribution #{thread.for_bob.number}." in (
        again.content.decode()
    )
    assert Report.objects.get().reason == ReportReason.OFFENSIVE
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.create(contribution=thread.for_bob, reporter=alice, reason="spam")


def test_reports_are_taken_after_the_consultation_closes(
    closed_consultation: Consultation, client: Client, bob: User
) -> None:
    proposal = proposal_of(closed_consultation)
    client.force_login(bob)
    assert client.get(report_url(proposal)).status_code == 200
    response = client.post(report_url(proposal), {"reason": "off_topic"})
    assert response.status_code == 302
    assert Report.objects.filter(contribution=proposal, reporter=bob).exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_anonymous_visitor_is_asked_to_sign_in_to_report(
    thread: Thread, client: Client, method: str
) -> None:
    url = report_url(thread.for_bob)
    response = getattr(client, method)(url, {"reason": "spam"} if method == "post" else None)
    assert response.status_code == 302
    assert response["Location"] == f"/comptes/login/?next={url}"
    assert not Report.objects.exists()


def test_a_blocked_account_cannot_report(thread: Thread, client: Client, alice: User) -> None:
    moderation.block(user=alice, reason="Spam")
    client.force_login(alice)
    response = client.post(report_url(thread.for_bob), {"reason": "spam"})
    assert response.status_code == 403
    assert "bloqué" in response.content.decode()
    assert not Report.objects.exists()


def test_a_hidden_contribution_shows_no_report_link(
    thread: Thread, mona: User, client: Client, alice: User
) -> None:
    moderation.hide(contribution=thread.for_bob, actor=mona, reason=HideReason.SPAM)
    client.force_login(alice)
    html = page(client, thread.proposal.get_page_url())
    assert report_url(thread.for_bob) not in html
    assert report_url(thread.against_vera) in html
    assert report_url(thread.proposal) in html


def test_hiding_closes_the_contributions_open_reports(
    thread: Thread, mona: User, alice: User, bob: User
) -> None:
    for reporter in (alice, bob):
        moderation.report(contribution=thread.against_vera, reporter=reporter, reason="spam")
    other = moderation.report(contribution=thread.for_vera, reporter=alice, reason="spam")
    moderation.hide(contribution=thread.against_vera, actor=mona, reason=HideReason.SPAM)
    closed = Report.objects.filter(contribution=thread.against_vera)
    assert {(r.resolved_at is not None, r.resolved_by) for r in closed} == {(True, mona)}
    other.refresh_from_db()
    assert other.resolved_at is None


def queue(client: Client, query: str = "") -> Any:
    response = client.get(f"/admin/debates/reportedcontribution/{query}")
    assert response.status_code == 200
    return response


def test_the_queue_lists_contributions_by_open_reports_with_counts_and_reasons(
    thread: Thread, mona: User, client: Client, alice: User, bob: User, vera: User
) -> None:
    moderation.report(contribution=thread.source, reporter=bob, reason="spam")
    moderation.report(contribution=thread.for_bob, reporter=alice, reason="offensive")
    moderation.report(
        contribution=thread.for_bob, reporter=vera, reason="personal_data", comment="Mon nom."
    )
    client.force_login(mona)
    response = queue(client)
    rows = list(response.context["cl"].result_list)
    assert [row.number for row in rows] == [thread.for_bob.number, thread.source.number]
    html = response.content.decode()
    assert "2 signalements ouverts sur 2" in html and "1 signalement ouvert sur 1" in html
    assert "Données personnelles : Mon nom.<br>Propos injurieux ou haineux" in html
    assert "Bob trouve cela injurieux." in html  # the moderator reads the text in context


def test_the_queue_filters_by_consultation(
    thread: Thread, closed_consultation: Consultation, mona: User, client: Client, bob: User
) -> None:
    elsewhere = proposal_of(closed_consultation)
    moderation.report(contribution=elsewhere, reporter=bob, reason="spam")
    moderation.report(contribution=thread.for_vera, reporter=bob, reason="spam")
    client.force_login(mona)
    assert len(queue(client).context["cl"].result_list) == 2
    only = queue(client, f"?consultation={closed_consultation.pk}").context["cl"].result_list
    assert [row.number for row in only] == [elsewhere.number]


def test_the_queue_lists_dealt_with_contributions_after_open_ones(
    thread: Thread, mona: User, client: Client, alice: User
) -> None:
    moderation.report(contribution=thread.for_bob, reporter=alice, reason="offensive")
    moderation.report(contribution=thread.source, reporter=alice, reason="spam")
    moderation.hide(contribution=thread.for_bob, actor=mona, reason=HideReason.OFFENSIVE)
    client.force_login(mona)
    rows = list(queue(client).context["cl"].result_list)
    assert [row.number for row in rows] == [thread.source.number, thread.for_bob.number]


# Blocking.


def block_through_admin(client: Client, mona: User, user: User, action: str = "block") -> None:
    client.force_login(mona)
    response = client.post(
        "/admin/accounts/user/", {"action": action, "_selected_action": [user.pk]}
    )
    assert response.status_code == 302
    client.logout()


def writes(thread: Thread) -> dict[str, tuple[str, dict[str, str]]]:
    """Return every write a citizen can make on the thread: URL and form."""
    proposal = thread.proposal
    base = proposal.get_page_url()
    return {
        "proposal": (
            f"{proposal.debate.get_absolute_url()}proposer/",
            {"title": "Une idée", "body": "Son texte."},
        ),
        "argument": (f"{base}arguments/", {"stance": "for", "body": "Un argument."}),
        "source": (f"{base}sources/", {"title": "Lien", "url": "https://example.org/x"}),
        "vote": (f"{base}vote/", {"value": "agree"}),
        "endorsement": (f"/contributions/{thread.against_vera.number}/accord/", {}),
        "edit": (f"/contributions/{thread.for_bob.number}/modifier/", {"body": "Changé."}),
    }


@pytest.mark.parametrize("write", ["proposal", "argument", "source", "vote", "endorsement", "edit"])
def test_a_blocked_account_can_neither_post_nor_vote(
    thread: Thread, mona: User, client: Client, bob: User, write: str
) -> None:
    block_through_admin(client, mona, bob)
    bob.refresh_from_db()
    assert bob.is_blocked
    counts = row_counts()
    client.force_login(bob)
    url, data = writes(thread)[write]
    response = client.post(url, data)
    assert response.status_code == 403
    assert "Votre compte a été bloqué par la modération" in response.content.decode()
    assert row_counts() == counts
    assert Argument.objects.get(pk=thread.for_bob.pk).body == "Bob trouve cela injurieux."


def test_a_blocked_accounts_contributions_stay_visible(
    thread: Thread, mona: User, client: Client, bob: User
) -> None:
    block_through_admin(client, mona, bob)
    client.force_login(bob)
    html = page(client, thread.proposal.get_page_url())
    assert "Bob trouve cela injurieux." in html
    assert HIDDEN_NOTICE not in html
    assert "vous ne pouvez plus publier ni voter" in html
    assert 'class="argument-form"' not in html


def test_hiding_all_contributions_of_an_account_hides_each_one(
    thread: Thread,
    closed_consultation: Consultation,
    mona: User,
    client: Client,
    bob: User,
) -> None:
    elsewhere = actions.post_argument(
        proposal=proposal_of(closed_consultation), author=bob, stance="against", body="Pub."
    )
    source = actions.post_source(
        proposal=thread.proposal, author=bob, title="Pub", url="https://spam.example"
    )
    client.force_login(mona)
    response = client.post(
        "/admin/accounts/user/",
        {"action": "hide_all_contributions", "_selected_action": [bob.pk]},
        follow=True,
    )
    assert "3 contribution(s) masquée(s)." in response.content.decode()
    bobs = Contribution.objects.filter(author=bob)
    assert {c.pk for c in bobs} == {thread.for_bob.pk, elsewhere.pk, source.pk}
    assert all(c.is_hidden and c.hidden_reason == HideReason.SPAM for c in bobs)
    events = ModerationEvent.objects.filter(action=ModerationAction.HIDE)
    assert sorted((e.contribution_id, e.consultation.slug) for e in events) == sorted(
        [
            (thread.for_bob.pk, "ouverte"),
            (source.pk, "ouverte"),
            (elsewhere.pk, "fermee"),
        ]
    )
    assert not Contribution.objects.exclude(author=bob).filter(hidden_at__isnull=False).exists()


def test_unblocking_restores_participation(
    thread: Thread, mona: User, client: Client, bob: User
) -> None:
    block_through_admin(client, mona, bob)
    block_through_admin(client, mona, bob, action="unblock")
    client.force_login(bob)
    assert 'class="argument-form"' in page(client, thread.proposal.get_page_url())
    url, data = writes(thread)["argument"]
    response = client.post(url, data)
    assert response.status_code == 302
    assert Argument.objects.filter(author=bob, body="Un argument.").exists()


# The public moderation log.


def log_url(consultation: Consultation) -> str:
    return f"/consultations/{consultation.slug}/moderation/"


def test_the_log_lists_every_hide_and_unhide_with_the_role_never_the_name(
    thread: Thread,
    closed_consultation: Consultation,
    mona: User,
    olga: User,
    client: Client,
) -> None:
    consultation = thread.proposal.debate.consultation
    enrol_organiser(olga, consultation)
    sabine = make_superuser()
    moderation.hide(contribution=thread.for_bob, actor=mona, reason=HideReason.OFFENSIVE)
    moderation.hide(
        contribution=thread.source, actor=olga, reason=HideReason.SPAM, note="Lien publicitaire"
    )
    moderation.unhide(contribution=thread.for_bob, actor=sabine)
    elsewhere = proposal_of(closed_consultation)
    moderation.hide(contribution=elsewhere, actor=mona, reason=HideReason.DUPLICATE)

    html = page(client, log_url(consultation))
    rows = re.findall(r"<tr>\s*<td>(.*?)</tr>", html, re.S)
    assert len(rows) == 3
    events = ModerationEvent.objects.filter(consultation=consultation).order_by("-at", "-pk")
    expected = [
        (thread.for_bob, "Rétablissement", "", "Administration"),
        (thread.source, "Masquage", "Publicité ou spam — Lien publicitaire", "Organisateurs"),
        (thread.for_bob, "Masquage", "Propos injurieux ou haineux", "Modération"),
    ]
    for row, event, (contribution, action, reason, role) in zip(
        rows, events, expected, strict=True
    ):
        link = f'<a href="/contributions/{contribution.number}/">#{contribution.number}</a>'
        assert link in row
        assert f"<td>{action}</td>" in row
        assert f"<td>{reason}</td>" in row
        assert f"<td>{role}</td>" in row
        assert stamp(event.at) in row
    for name in ("Mona", "mona", "Olga", "olga", "Sabine", "sabine"):
        assert name not in html
    assert f"/contributions/{elsewhere.number}/" not in html
    assert "Doublon" not in html


def test_the_log_says_so_when_nothing_happened(
    open_consultation: Consultation, client: Client
) -> None:
    html = page(client, log_url(open_consultation))
    assert "Aucune action de modération pour l'instant." in html


def test_the_log_is_paginated(thread: Thread, mona: User, client: Client, settings: Any) -> None:
    settings.PROPOSALS_PER_PAGE = 3
    for contribution in (thread.for_bob, thread.for_vera, thread.against_vera, thread.source):
        moderation.hide(contribution=contribution, actor=mona, reason=HideReason.SPAM)
    moderation.unhide(contribution=thread.for_bob, actor=mona)
    url = log_url(thread.proposal.debate.consultation)
    first = page(client, url)
    assert first.count("<tr>") == 1 + 3  # the head, then three events
    assert "Page 1 sur 2" in first
    assert 'rel="next" href="?page=2"' in first
    second = page(client, f"{url}?page=2")
    assert second.count("<tr>") == 1 + 2
    assert 'rel="prev" href="?page=1"' in second
    assert "Rétablissement" in first and "Rétablissement" not in second


def test_the_log_keeps_its_query_budget_whatever_the_number_of_events(
    thread: Thread, mona: User, client: Client, django_assert_num_queries: AssertQueries
) -> None:
    url = log_url(thread.proposal.debate.consultation)
    moderation.hide(contribution=thread.for_bob, actor=mona, reason=HideReason.SPAM)
    # the consultation; COUNT of its events; one page of events with their contributions
    with django_assert_num_queries(3):
        page(client, url)
    for i in range(40):
        argument = actions.post_argument(
            proposal=thread.proposal, author=mona, stance="for", body=f"n{i}"
        )
        moderation.hide(contribution=argument, actor=mona, reason=HideReason.SPAM, notify=False)
        moderation.unhide(contribution=argument, actor=mona)
    with django_assert_num_queries(3):
        page(client, url)


# Drafts.


@pytest.fixture
def draft(open_consultation: Consultation) -> Consultation:
    open_consultation.is_draft = True
    open_consultation.title = "Consultation en préparation"
    open_consultation.save()
    return open_consultation


def draft_pages(consultation: Consultation) -> dict[str, str]:
    proposal = proposal_of(consultation)
    return {
        "consultation": consultation.get_absolute_url(),
        "debate": proposal.debate.get_absolute_url(),
        "proposal": proposal.get_page_url(),
        "permalink": proposal.get_absolute_url(),
        "moderation log": log_url(consultation),
        "report": report_url(proposal),
    }


@pytest.mark.parametrize("persona", ["anonymous", "citizen"])
@pytest.mark.parametrize(
    "which", ["consultation", "debate", "proposal", "permalink", "moderation log", "report"]
)
def test_a_draft_answers_404_to_the_public(
    draft: Consultation, client: Client, bob: User, persona: str, which: str
) -> None:
    if persona == "citizen":
        client.force_login(bob)
    assert client.get(draft_pages(draft)[which]).status_code == 404


@pytest.mark.parametrize("persona", ["anonymous", "citizen"])
def test_a_draft_is_absent_from_the_home_page(
    draft: Consultation, client: Client, bob: User, persona: str
) -> None:
    if persona == "citizen":
        client.force_login(bob)
    assert "Consultation en préparation" not in page(client, "/")


@pytest.mark.parametrize("persona", ["organiser", "staff"])
def test_its_organisers_and_staff_see_a_draft(
    draft: Consultation, client: Client, mona: User, persona: str
) -> None:
    if persona == "organiser":
        organiser = make_user("orla", "Orla Organisatrice")  # not staff
        draft.organisers.add(organiser)
        client.force_login(organiser)
    else:
        client.force_login(mona)
    assert "Consultation en préparation" in page(client, "/")
    for which, url in draft_pages(draft).items():
        if which != "report":
            assert client.get(url, follow=True).status_code == 200, which


@pytest.mark.parametrize("write", ["proposal", "argument", "source", "vote"])
def test_nobody_posts_in_a_draft(
    draft: Consultation, thread: Thread, olga: User, client: Client, write: str
) -> None:
    draft.organisers.add(olga)
    counts = row_counts()
    client.force_login(olga)
    url, data = writes(thread)[write]
    response = client.post(url, data)
    assert response.status_code == 403
    assert "Cette consultation n&#x27;est pas encore publiée." in response.content.decode()
    assert row_counts() == counts


def test_publishing_a_draft_makes_it_public(
    draft: Consultation, olga: User, client: Client
) -> None:
    enrol_organiser(olga, draft)
    client.force_login(olga)
    response = client.post(
        "/admin/debates/consultation/", {"action": "publish", "_selected_action": [draft.pk]}
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert not draft.is_draft
    client.logout()
    assert "Consultation en préparation" in page(client, "/")
    for which, url in draft_pages(draft).items():
        if which != "report":
            assert client.get(url, follow=True).status_code == 200, which


def test_a_drafts_contributions_stay_off_public_profiles(
    draft: Consultation, client: Client, alice: User
) -> None:
    html = page(client, f"/profils/{alice.pk}/")
    assert "Une proposition" not in html
    assert "Débat theme" not in html


def test_the_home_page_counts_debates_once_for_a_signed_in_citizen(
    client: Client, bob: User, olga: User, alice: User
) -> None:
    now = timezone.now()
    consultation = make_consultation("deux", now - timedelta(days=1), now + timedelta(days=1))
    consultation.organisers.add(olga, alice)
    for slug in ("un", "deux", "trois"):
        make_debate(consultation, slug)
    client.force_login(bob)
    html = page(client, "/")
    assert "3 débats" in html


# Open data: exports, feeds, search and statistics leave hidden texts out.


def opendata_urls(proposal: Proposal) -> dict[str, str]:
    """Return the open-data addresses of the proposal's consultation; skip if none yet."""
    try:
        from debates.opendata.exports import NAMES
    except ImportError:
        pytest.skip("no open-data exports yet (debates/opendata/exports.py)")
    consultation, debate = proposal.debate.consultation, proposal.debate
    try:
        urls = {
            name: reverse("opendata:export", kwargs={"slug": consultation.slug, "name": name})
            for name in NAMES
        }
        urls |= {
            "consultation feed": reverse(
                "opendata:consultation_feed", kwargs={"slug": consultation.slug}
            ),
            "debate feed": reverse(
                "opendata:debate_feed",
                kwargs={"consultation": consultation.slug, "slug": debate.slug},
            ),
            "proposal feed": reverse(
                "opendata:proposal_feed",
                kwargs={
                    "consultation": consultation.slug,
                    "debate": debate.slug,
                    "number": proposal.number,
                },
            ),
            "statistics": reverse("opendata:statistics", kwargs={"slug": consultation.slug}),
        }
        search = reverse("opendata:search", kwargs={"slug": consultation.slug})
    except NoReverseMatch:
        pytest.skip("the open-data URLs are not there yet (debates/opendata/urls.py)")
    for word in ("Secret", "XQZ1", "XQZ3", "XQZ4"):
        urls[f"search {word}"] = f"{search}?q={word}"
    return urls


def body_of(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def test_hidden_texts_stay_out_of_the_open_data(
    thread: Thread, mona: User, client: Client, bob: User
) -> None:
    proposal = thread.proposal
    secret = actions.post_proposal(
        debate=proposal.debate, author=bob, title="Secret title XQZ1", body="Secret body XQZ2"
    )
    hidden = [
        secret,
        actions.post_argument(
            proposal=proposal, author=bob, stance="for", body="Secret argument XQZ3"
        ),
        actions.post_source(
            proposal=proposal,
            author=bob,
            title="Secret source XQZ4",
            url="https://xqz5.example/",
            description="Secret description XQZ6",
        ),
    ]
    visible = actions.post_argument(
        proposal=proposal, author=bob, stance="for", body="Visible argument VXQ7"
    )
    for contribution in hidden:
        moderation.hide(contribution=contribution, actor=mona, reason=HideReason.SPAM)
    urls = opendata_urls(proposal)
    seen = ""
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200, name
        content = body_of(response)
        if name.startswith("search "):
            content = content.replace(name.removeprefix("search "), "")  # the query, echoed
            for contribution in hidden:
                assert f"/contributions/{contribution.number}/" not in content, name
        assert "XQZ" not in content, name
        assert "xqz5" not in content, name
        seen += content
    assert visible.body in seen  # the exports do carry the visible texts


def test_a_contribution_imported_without_its_text_cannot_be_unhidden(
    thread: Thread, mona: User
) -> None:
    from django.core.exceptions import ValidationError

    argument = thread.for_bob
    moderation.hide(contribution=argument, actor=mona, reason=HideReason.OFFENSIVE, notify=False)
    # What an import of a public export stores: the hiding, and no text.
    argument.body = ""
    argument.save()
    with pytest.raises(ValidationError, match="sans son texte"):
        moderation.unhide(contribution=argument, actor=mona)
    argument.refresh_from_db()
    assert argument.is_hidden
