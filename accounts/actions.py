"""Account writes: verification, and deletion that anonymises but keeps contributions."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from allauth.usersessions.adapter import get_adapter as usersessions_adapter
from allauth.usersessions.models import UserSession
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User, VerificationMethod

security_log = logging.getLogger("accounts.security")


def may_act_on_account(*, actor: User, account: User) -> bool:
    """Return whether `actor` may block, unblock, verify or unverify `account`.

    Only a superuser acts on a staff account (moderators, organisers,
    superusers): otherwise a moderator could block the superuser who would
    unblock them, or verify a fellow staff member.
    """
    return actor.is_superuser or not (account.is_staff or account.is_superuser)


def verify(
    *,
    user: User,
    method: VerificationMethod | str,
    by: User | None = None,
    when: datetime | None = None,
) -> User:
    """Grant « Compte vérifié », recording how, by whom and when."""
    user.verified_at = when or timezone.now()
    user.verification_method = method
    user.verified_by = by
    user.save(update_fields=["verified_at", "verification_method", "verified_by"])
    return user


def confirm_email(*, user: User) -> EmailAddress:
    """Record `user`'s address as confirmed and primary (allauth then lets them sign in)."""
    address, _ = EmailAddress.objects.update_or_create(
        user=user,
        email__iexact=user.email,
        defaults={"email": user.email, "verified": True, "primary": True},
    )
    return address


def unverify(*, user: User) -> User:
    """Withdraw « Compte vérifié »."""
    user.verified_at = None
    user.verification_method = ""
    user.verified_by = None
    user.save(update_fields=["verified_at", "verification_method", "verified_by"])
    return user


@transaction.atomic
def delete_account(*, user: User) -> None:
    """Delete an account: its contributions stay, credited to « Compte supprimé ».

    Everything personal goes: email addresses, names, password, linked
    identity-provider accounts, two-factor devices. Open sessions end by
    themselves: the new unusable password changes the session hash Django
    checks on every request. The row stays (contributions and votes point at
    it) under an opaque username.
    """
    EmailAddress.objects.filter(user=user).delete()
    SocialAccount.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    # A colon: no username validator accepts it, so no signup can take this name.
    user.username = f"compte-supprime:{user.pk}"
    user.email = ""
    user.first_name = ""
    user.last_name = ""
    user.display_name = ""
    user.verified_at = None
    user.verification_method = ""
    user.verified_by = None
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.set_unusable_password()
    user.deleted_at = timezone.now()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    security_log.info("account deleted: account=%s", user.pk)


def end_sessions(*, users: QuerySet[User]) -> int:
    """Sign the users out on every device: delete their sessions. Return how many ended.

    allauth.usersessions records each session opened by signing in; ending
    one deletes the Django session it names, so its cookie leads nowhere.
    """
    sessions = list(UserSession.objects.filter(user__in=users))
    usersessions_adapter().end_sessions(sessions)
    for session in sessions:
        security_log.info("session ended: account=%s", session.user_id)
    return len(sessions)


def personal_data(user: User) -> dict[str, Any]:
    """Return everything the platform holds about a user, for download (JSON-ready)."""
    from accounts.franceconnect.identity import identities_of as franceconnect_identities
    from debates.models import Contribution, Endorsement, Vote

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    contributions = Contribution.objects.filter(author=user).select_related(
        "as_proposal", "as_argument", "as_source"
    )
    return {
        "account": {
            "username": user.username,
            "display_name": user.display_name,
            "language": user.language,
            "email": user.email,
            "emails": list(
                EmailAddress.objects.filter(user=user).values("email", "verified", "primary")
            ),
            "date_joined": iso(user.date_joined),
            "last_login": iso(user.last_login),
            "verified_at": iso(user.verified_at),
            "verification_method": user.verification_method,
            "identity_providers": list(
                SocialAccount.objects.filter(user=user).values_list("provider", flat=True)
            ),
            # The civil identity FranceConnect gave: private, but the citizen's own data.
            "civil_identity": franceconnect_identities(user),
        },
        "contributions": [_contribution_data(c) for c in contributions.order_by("number")],
        "votes": [
            {"proposal": v.proposal.number, "value": v.value, "at": iso(v.updated_at)}
            for v in Vote.objects.filter(user=user).select_related("proposal").order_by("pk")
        ],
        "endorsements": [
            {"argument": e.argument.number, "at": iso(e.created_at)}
            for e in Endorsement.objects.filter(user=user).select_related("argument").order_by("pk")
        ],
    }


def _contribution_data(contribution: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "number": contribution.number,
        "kind": contribution.kind,
        "created_at": contribution.created_at.isoformat(),
        "updated_at": contribution.updated_at.isoformat(),
        "url": contribution.get_absolute_url(),
    }
    if contribution.kind == "proposal":
        data |= {"title": contribution.as_proposal.title, "body": contribution.as_proposal.body}
    elif contribution.kind == "argument":
        argument = contribution.as_argument
        data |= {"stance": argument.stance, "body": argument.body}
    else:
        source = contribution.as_source
        data |= {"title": source.title, "url": source.url, "description": source.description}
    return data
