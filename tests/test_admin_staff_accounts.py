"""Only superusers act on staff accounts through the user admin's actions.

Before, a moderator could block, unblock, verify or unverify a superuser or
a fellow staff member from the user changelist. Each attack runs the action
as the moderator and asserts that it is refused whole, with a message, and
that no account changed.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from accounts.models import User
from debates import moderation
from debates.models import Contribution
from tests.test_moderation_admin import make_moderator, make_organiser, make_superuser

ACTIONS = [
    "verify_identity",
    "verify_organisation",
    "unverify",
    "block",
    "unblock",
    "hide_all_contributions",
]
REFUSED = "seul un superutilisateur agit sur les comptes de l'équipe"


@pytest.fixture(autouse=True)
def _without_2fa(settings: Any) -> None:
    settings.STAFF_REQUIRE_2FA = False


def accounts_state() -> list[dict[str, Any]]:
    fields = ("pk", "is_active", "is_staff", "is_superuser", "blocked_at", "blocked_reason")
    more = ("verified_at", "verification_method", "verified_by")
    return list(User.objects.order_by("pk").values(*fields, *more))


def contributions_state() -> list[Any]:
    return list(Contribution.objects.order_by("pk").values_list("pk", "hidden_at"))


def prepare(target: User, action: str) -> None:
    """Put `target` in the state the action changes (blocked to unblock, verified…)."""
    if action == "unblock":
        moderation.block(user=target, reason="test")
    if action == "unverify":
        target.verified_at = timezone.now()
        target.verification_method = "identity"
        target.save()


def run(client: Client, action: str, *targets: User) -> Any:
    selection = {"action": action, "_selected_action": [u.pk for u in targets]}
    return client.post("/admin/accounts/user/", selection, follow=True)


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("target", ["superuser", "moderator", "organiser"])
def test_a_moderator_cannot_act_on_a_staff_account(
    client: Client, open_consultation: Any, bob: User, action: str, target: str
) -> None:
    mona = make_moderator()
    accounts = {
        "superuser": make_superuser(),
        "moderator": make_moderator("marc", "Marc Modérateur"),
        "organiser": make_organiser("oscar", "Oscar", open_consultation),
    }
    victim = accounts[target]
    prepare(victim, action)
    prepare(bob, action)
    client.force_login(mona)
    before, contributions = accounts_state(), contributions_state()
    # The staff account hides among citizens: the whole action is refused.
    response = run(client, action, bob, victim)
    assert response.status_code == 200
    assert any(REFUSED in str(m) for m in get_messages(response.wsgi_request))
    assert accounts_state() == before
    assert contributions_state() == contributions


def test_a_moderator_cannot_act_on_themself(client: Client, db: None) -> None:
    mona = make_moderator()
    client.force_login(mona)
    before = accounts_state()
    run(client, "verify_identity", mona)
    assert accounts_state() == before


@pytest.mark.parametrize("action", ["verify_identity", "block"])
def test_a_moderator_still_acts_on_citizens(client: Client, bob: User, action: str) -> None:
    client.force_login(make_moderator())
    run(client, action, bob)
    bob.refresh_from_db()
    assert bob.is_verified if action == "verify_identity" else bob.is_blocked


@pytest.mark.parametrize("action", ["verify_identity", "block"])
def test_a_superuser_acts_on_staff_accounts(client: Client, db: None, action: str) -> None:
    marc = make_moderator("marc", "Marc Modérateur")
    client.force_login(make_superuser())
    run(client, action, marc)
    marc.refresh_from_db()
    assert marc.is_verified if action == "verify_identity" else marc.is_blocked


def test_a_moderator_cannot_edit_a_staff_accounts_form(client: Client, db: None) -> None:
    sabine = make_superuser()
    client.force_login(make_moderator())
    before = accounts_state()
    url = f"/admin/accounts/user/{sabine.pk}/change/"
    assert 'name="blocked_reason"' not in client.get(url).content.decode()
    response = client.post(url, {"blocked_reason": "Bloquée par Mona"})
    assert response.status_code == 403
    assert accounts_state() == before
