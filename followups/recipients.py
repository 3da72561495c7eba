"""Who hears of an event: its followers (or author), with the switch on and a live account."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.db.models import Exists, F, OuterRef, Q, QuerySet

from accounts.models import User
from followups.models import Event, EventKind, Follow


def reachable(users: QuerySet[User]) -> QuerySet[User]:
    """Keep accounts that may receive email: active, not deleted nor blocked, email confirmed."""
    confirmed = EmailAddress.objects.filter(
        user=OuterRef("pk"), email=OuterRef("email"), verified=True
    )
    return (
        users.filter(is_active=True, deleted_at__isnull=True, blocked_at__isnull=True)
        .exclude(email="")
        .filter(Exists(confirmed))
    )


def _follows(**target: object) -> Exists:
    return Exists(Follow.objects.filter(user=OuterRef("pk"), stopped_at__isnull=True, **target))


def targeted(event: Event) -> Q:
    """Return the condition on users that this event concerns."""
    kind = EventKind(event.kind)
    if kind in (EventKind.HIDDEN, EventKind.RESTORED):
        return Q(pk=event.contribution.author_id)  # type: ignore[union-attr]
    if kind == EventKind.REPLY:
        # Not the one who posted it.
        return Q(_follows(proposal=event.proposal_id)) & ~Q(pk=event.contribution.author_id)  # type: ignore[union-attr]
    if kind == EventKind.ANSWER:
        proposal = event.proposal
        stopped = Exists(
            Follow.objects.filter(user=OuterRef("pk"), proposal=proposal, stopped_at__isnull=False)
        )
        wrote = Q(pk=proposal.author_id) & ~Q(stopped)  # type: ignore[union-attr]
        return Q(_follows(proposal=proposal)) | Q(_follows(debate=proposal.debate_id)) | wrote  # type: ignore[union-attr]
    return Q(_follows(consultation=event.consultation_id))


def recipients(event: Event) -> QuerySet[User]:
    """Return the users to tell of `event`, without those who switched its channel off."""
    channel = event.channel.value
    # No settings row means every switch on: ~Q(x=False) keeps the NULL of the outer join.
    users = User.objects.filter(targeted(event)).exclude(
        **{f"notification_settings__{channel}": False}
    )
    return reachable(users).annotate(frequency=F("notification_settings__frequency"))
