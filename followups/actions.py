"""Writes of following and of notification settings."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from debates.models import Consultation, Debate, Proposal
from followups.links import ALL_CHANNELS
from followups.models import Channel, Follow, NotificationSettings

Target = Proposal | Debate | Consultation


def target_field(target: Target) -> str:
    if isinstance(target, Proposal):
        return "proposal"
    if isinstance(target, Debate):
        return "debate"
    return "consultation"


def follow(*, user: User, target: Target) -> Follow:
    """Follow `target` (again); the unique constraint keeps one row per user and target."""
    lookup = {"user": user, target_field(target): target}
    for _attempt in range(2):
        try:
            with transaction.atomic():
                row, created = Follow.objects.select_for_update().get_or_create(**lookup)
                if not created and row.stopped_at is not None:
                    row.stopped_at = None
                    row.save(update_fields=["stopped_at"])
                return row
        except IntegrityError:
            continue  # the same click twice at once: the other request created it
    return Follow.objects.get(**lookup)


def stop_following(*, user: User, target: Target) -> bool:
    """Stop following `target`; return whether a follow was active."""
    with transaction.atomic():
        row = (
            Follow.objects.select_for_update()
            .filter(user=user, **{target_field(target): target})
            .first()
        )
        if row is None:
            if isinstance(target, Proposal) and target.author_id == user.pk:
                # An author never followed (imported): remember that they stopped.
                Follow.objects.create(user=user, proposal=target, stopped_at=timezone.now())
            return False
        if row.stopped_at is not None:
            return False
        row.stopped_at = timezone.now()
        row.save(update_fields=["stopped_at"])
        return True


def author_follows(*, author: User, proposal: Proposal) -> None:
    """Make the author of a new proposal follow it (they can stop)."""
    Follow.objects.get_or_create(user=author, proposal=proposal)


def settings_of(user: User) -> NotificationSettings:
    """Return the user's settings, unsaved defaults when they never chose."""
    found = NotificationSettings.objects.filter(user=user).first()
    return found or NotificationSettings(user=user)


@transaction.atomic
def switch_off(*, user_id: int, channel: str) -> bool:
    """Turn one channel off (or all of them) for a user; return whether the user exists."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return False
    settings, _created = NotificationSettings.objects.select_for_update().get_or_create(user=user)
    names = Channel.values if channel == ALL_CHANNELS else [channel]
    for name in names:
        setattr(settings, name, False)
    settings.updated_at = timezone.now()
    settings.save()
    return True
