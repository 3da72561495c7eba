"""The admin lists and shows everything, with history, in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from debates import actions
from debates.models import Argument, Consultation, Proposal, Stance
from tests.conftest import make_user, proposal_of

AssertQueries = Callable[..., AbstractContextManager[object]]
CHANGELISTS = [
    "/admin/debates/consultation/",
    "/admin/debates/debate/",
    "/admin/debates/proposal/",
    "/admin/debates/argument/",
    "/admin/debates/source/",
    "/admin/debates/vote/",
    "/admin/debates/endorsement/",
    "/admin/accounts/user/",
]


@pytest.fixture
def admin_client_without_2fa(client: Client, settings: object) -> Client:
    settings.STAFF_REQUIRE_2FA = False  # type: ignore[attr-defined]
    client.force_login(User.objects.create_superuser("root", "root@example.org", "x"))
    return client


def grow(consultation: Consultation, n: int) -> None:
    proposal = Proposal.objects.filter(debate__consultation=consultation).earliest("number")
    users = [make_user(f"u{n}-{i}") for i in range(3)]
    for i in range(n):
        argument = actions.post_argument(
            proposal=proposal, author=users[i % 3], stance=Stance.FOR, body=f"a{i}"
        )
        actions.toggle_endorsement(argument=argument, user=users[(i + 1) % 3])
        actions.post_source(proposal=proposal, author=users[i % 3], title="s", url="https://a.fr")
        actions.post_proposal(debate=proposal.debate, author=users[i % 3], title="p", body="b")
    for user in users:
        actions.cast_vote(proposal=proposal, user=user, value="agree")


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200, url
    return len(queries)


@pytest.mark.parametrize("url", CHANGELISTS)
def test_a_changelist_costs_the_same_with_3_or_30_rows(
    open_consultation: Consultation, admin_client_without_2fa: Client, url: str
) -> None:
    grow(open_consultation, 3)
    small = count_queries(admin_client_without_2fa, url)
    grow(open_consultation, 27)
    assert count_queries(admin_client_without_2fa, url) == small


def test_change_and_history_pages_open_for_every_contribution_kind(
    open_consultation: Consultation, admin_client_without_2fa: Client, bob: User
) -> None:
    proposal = proposal_of(open_consultation)
    argument = actions.post_argument(proposal=proposal, author=bob, stance="for", body="x")
    source = actions.post_source(proposal=proposal, author=bob, title="t", url="https://a.fr")
    for model, pk in (
        ("proposal", proposal.pk),
        ("argument", argument.pk),
        ("source", source.pk),
        ("consultation", open_consultation.pk),
    ):
        for suffix in ("change/", "history/"):
            url = f"/admin/debates/{model}/{pk}/{suffix}"
            assert admin_client_without_2fa.get(url).status_code == 200, url


def test_an_edit_in_the_admin_is_kept_in_history_with_who_made_it(
    open_consultation: Consultation, admin_client_without_2fa: Client, bob: User
) -> None:
    proposal = proposal_of(open_consultation)
    argument = actions.post_argument(proposal=proposal, author=bob, stance="for", body="avant")
    response = admin_client_without_2fa.post(
        f"/admin/debates/argument/{argument.pk}/change/",
        {
            "proposal": proposal.pk,
            "stance": "for",
            "author": bob.pk,
            "body": "après",
            "updated_at_0": "29/11/2026",
            "updated_at_1": "10:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    argument.refresh_from_db()
    assert argument.body == "après"
    latest = argument.history.first()
    assert latest is not None and latest.history_user.username == "root"
    assert [h.body for h in argument.history.order_by("history_date")] == ["avant", "après"]


def test_nothing_can_be_deleted_or_added_from_the_contribution_admins(
    open_consultation: Consultation, admin_client_without_2fa: Client
) -> None:
    proposal: Proposal = proposal_of(open_consultation)
    assert admin_client_without_2fa.get("/admin/debates/proposal/add/").status_code == 403
    url = f"/admin/debates/proposal/{proposal.pk}/delete/"
    assert admin_client_without_2fa.post(url, {"post": "yes"}).status_code == 403
    assert Proposal.objects.filter(pk=proposal.pk).exists()
    assert Argument.objects.count() == 0
