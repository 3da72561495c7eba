"""Moderation and calendar writes: hiding with a public reason, reports, blocking, scheduling.

Nothing here deletes. Every hide and unhide writes a line of the public
moderation log (`ModerationEvent`) and a version in the contribution's
history; every change of dates writes a `CalendarChange` shown on the
consultation page.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from debates.counters import bump
from debates.interchange import BLANKED_URL
from debates.models import (
    Argument,
    CalendarChange,
    CalendarChangeKind,
    Consultation,
    Contribution,
    HideReason,
    ModerationAction,
    ModerationEvent,
    ModeratorRole,
    Phase,
    Proposal,
    Report,
    ReportReason,
    Source,
    Stance,
)
from debates.opendata.tasks import schedule_freezing
from followups import events

MODERATORS_GROUP = "Modérateurs"
ORGANISERS_GROUP = "Organisateurs"

# What a moderator may choose: every reason but the import-only one (a
# contribution the original platform never published is not a decision).
HIDE_CHOICES = [
    ("", "---------"),
    *((value, label) for value, label in HideReason.choices if value != HideReason.UNPUBLISHED),
]


def concrete(contribution: Contribution) -> Proposal | Argument | Source:
    """Return the proposal, argument or source behind a contribution row.

    Saving through the concrete instance is what writes its history.
    """
    return contribution.concrete


def consultation_of(contribution: Contribution) -> Consultation:
    """Return the consultation a contribution belongs to."""
    return contribution.thread.debate.consultation


def is_moderator(user: User | AnonymousUser) -> bool:
    """Return whether the user moderates every consultation."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name=MODERATORS_GROUP).exists()


def is_organiser(user: User | AnonymousUser, consultation: Consultation) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return consultation.organisers.filter(pk=user.pk).exists()


def may_moderate(user: User | AnonymousUser, consultation: Consultation) -> bool:
    """Return whether `user` may hide and unhide contributions of `consultation`."""
    return is_moderator(user) or is_organiser(user, consultation)


def may_schedule(user: User | AnonymousUser, consultation: Consultation) -> bool:
    """Return whether `user` may change the dates of `consultation`."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or is_organiser(user, consultation)


def role_of(user: User, consultation: Consultation) -> ModeratorRole:
    """Return the role shown publicly for an action of `user` on `consultation`."""
    if user.groups.filter(name=MODERATORS_GROUP).exists():
        return ModeratorRole.MODERATOR
    if is_organiser(user, consultation):
        return ModeratorRole.ORGANISER
    return ModeratorRole.ADMINISTRATOR


def consultations_moderated_by(user: User) -> QuerySet[Consultation]:
    """Return the consultations whose contributions `user` may moderate."""
    if is_moderator(user):
        return Consultation.objects.all()
    return Consultation.objects.filter(organisers=user)


def in_consultations(consultations: QuerySet[Consultation]) -> Q:
    """Return a filter on Contribution rows belonging to `consultations` (its indexed column)."""
    return Q(consultation__in=consultations)


class AlreadyReported(Exception):
    """The user reported this contribution before."""


def report(
    *, contribution: Contribution, reporter: User, reason: ReportReason | str, comment: str = ""
) -> Report:
    """Record a citizen's report; once per user and contribution."""
    try:
        with transaction.atomic():
            return Report.objects.create(
                contribution=contribution, reporter=reporter, reason=reason, comment=comment
            )
    except IntegrityError as error:
        raise AlreadyReported from error


@transaction.atomic
def hide(
    *,
    contribution: Contribution,
    actor: User,
    reason: HideReason | str,
    note: str = "",
    notify: bool = True,
) -> Proposal | Argument | Source:
    """Hide a contribution with a public reason; log it, close its reports, tell its author."""
    item = concrete(contribution)
    if item.is_hidden:
        return item  # already hidden: one decision, one line in the log
    consultation = consultation_of(item)
    now = timezone.now()
    item.hidden_at = now
    item.hidden_reason = reason
    item.hidden_note = note
    item.hidden_by = actor
    item.save(update_fields=["hidden_at", "hidden_reason", "hidden_note", "hidden_by"])
    count_hidden(item, 1)
    logged = ModerationEvent.objects.create(
        consultation=consultation,
        contribution=item,
        action=ModerationAction.HIDE,
        reason=reason,
        note=note,
        role=role_of(actor, consultation),
        actor=actor,
        at=now,
    )
    Report.objects.open().filter(contribution=item).update(resolved_at=now, resolved_by=actor)
    if notify:
        # The author is told by a background task, unless they switched it off.
        events.moderated(logged)
    return item


@transaction.atomic
def unhide(
    *, contribution: Contribution, actor: User, note: str = ""
) -> Proposal | Argument | Source:
    """Restore a hidden contribution, and log it."""
    item = concrete(contribution)
    if not item.is_hidden:
        return item
    if not has_text(item):
        raise ValidationError(
            _(
                "La contribution #%(number)s a été importée d'un fichier public, sans son "
                "texte : la rétablir montrerait une page vide."
            )
            % {"number": item.number},
            code="no_text",
        )
    consultation = consultation_of(item)
    item.hidden_at = None
    item.hidden_reason = ""
    item.hidden_note = ""
    item.hidden_by = None
    item.save(update_fields=["hidden_at", "hidden_reason", "hidden_note", "hidden_by"])
    count_hidden(item, -1)
    logged = ModerationEvent.objects.create(
        consultation=consultation,
        contribution=item,
        action=ModerationAction.UNHIDE,
        note=note,
        role=role_of(actor, consultation),
        actor=actor,
    )
    events.moderated(logged)
    return item


def count_hidden(item: Proposal | Argument | Source, delta: int) -> None:
    """Change the proposal's count of hidden arguments or sources, in the hide's transaction."""
    if isinstance(item, Argument):
        counter = "hidden_for" if item.stance == Stance.FOR else "hidden_against"
        bump(Proposal, item.proposal_id, **{counter: delta})
    elif isinstance(item, Source):
        bump(Proposal, item.proposal_id, hidden_sources=delta)


def has_text(item: Proposal | Argument | Source) -> bool:
    """Return whether a contribution holds its text (a public export blanks hidden ones)."""
    if isinstance(item, Proposal):
        return bool(item.title or item.body)
    if isinstance(item, Argument):
        return bool(item.body)
    return bool(item.title) and item.url != BLANKED_URL


@dataclass(frozen=True)
class InContext:
    """A contribution as a moderator judges it: its text, where it stands, its reports."""

    item: Proposal | Argument | Source
    proposal: Proposal
    reports: list[Report]

    @property
    def reasons(self) -> list[tuple[str, int]]:
        """Return each reason reporters gave with how many gave it, most given first."""
        counts = Counter(report.get_reason_display() for report in self.reports)
        return counts.most_common()


def in_context(items: list[Contribution]) -> list[InContext]:
    """Return the contributions with their proposal, debate, consultation and open reports.

    A fixed number of queries whatever the selection's size.
    """
    rows = (
        Contribution.objects.filter(pk__in=[item.pk for item in items])
        .select_related(
            "author",
            "as_proposal__debate__consultation",
            "as_argument__proposal__debate__consultation",
            "as_source__proposal__debate__consultation",
        )
        .prefetch_related(
            Prefetch(
                "reports",
                Report.objects.open().select_related("reporter").order_by("created_at"),
                to_attr="open_list",
            )
        )
        .order_by("number")
    )
    return [InContext(row.concrete, row.thread, row.open_list) for row in rows]  # type: ignore[attr-defined]


def most_reported_reason(items: list[Contribution]) -> str:
    """Return the hide reason matching the report reason given most often, or "" without reports.

    Report and hide reasons share their values (« Autre » included); ties go
    to the reason listed first, the more specific one.
    """
    counts = Counter(
        Report.objects.open()
        .filter(contribution__in=[item.pk for item in items])
        .values_list("reason", flat=True)
    )
    offered = [value for value, _label in HIDE_CHOICES if value]
    ranked = sorted(
        (value for value in counts if value in offered),
        key=lambda value: (-counts[value], offered.index(value)),
    )
    return ranked[0] if ranked else ""


def dismiss_reports(*, contribution: Contribution, actor: User) -> int:
    """Close the open reports of a contribution left visible; return how many."""
    return (
        Report.objects.open()
        .filter(contribution=contribution)
        .update(resolved_at=timezone.now(), resolved_by=actor)
    )


@transaction.atomic
def hide_all_by(*, author: User, actor: User, reason: HideReason | str, note: str = "") -> int:
    """Hide every visible contribution of an author (bulk moderation); return how many."""
    count = 0
    visible = Contribution.objects.filter(author=author, hidden_at__isnull=True)
    for contribution in visible.order_by("number"):
        hide(contribution=contribution, actor=actor, reason=reason, note=note, notify=False)
        count += 1
    return count


def block(*, user: User, reason: str = "") -> User:
    """Stop an account from posting and voting; its contributions stay."""
    user.blocked_at = timezone.now()
    user.blocked_reason = reason
    user.save(update_fields=["blocked_at", "blocked_reason"])
    return user


def unblock(*, user: User) -> User:
    user.blocked_at = None
    user.blocked_reason = ""
    user.save(update_fields=["blocked_at", "blocked_reason"])
    return user


def change_kind(
    consultation: Consultation, opens_at: datetime, closes_at: datetime, now: datetime
) -> CalendarChangeKind:
    """Name a change of dates for its public notice."""
    was = consultation.phase_at(now)
    will_be = Phase.UPCOMING if now < opens_at else Phase.OPEN if now < closes_at else Phase.CLOSED
    if was == Phase.CLOSED and will_be == Phase.OPEN:
        return CalendarChangeKind.REOPENED
    if was == Phase.OPEN and will_be == Phase.CLOSED:
        return CalendarChangeKind.CLOSED_NOW
    if opens_at == consultation.opens_at and closes_at > consultation.closes_at:
        return CalendarChangeKind.EXTENDED
    return CalendarChangeKind.RESCHEDULED


def validate_dates(opens_at: datetime, closes_at: datetime) -> None:
    if closes_at <= opens_at:
        raise ValidationError(
            _("La date de clôture doit être postérieure à la date d'ouverture."), code="order"
        )


@transaction.atomic
def reschedule(
    *, consultation: Consultation, opens_at: datetime, closes_at: datetime, by: User | None
) -> CalendarChange | None:
    """Change a consultation's dates and record a dated public notice; None if unchanged."""
    validate_dates(opens_at, closes_at)
    locked = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if (locked.opens_at, locked.closes_at) == (opens_at, closes_at):
        return None
    now = timezone.now()
    change = CalendarChange.objects.create(
        consultation=locked,
        kind=change_kind(locked, opens_at, closes_at, now),
        previous_opens_at=locked.opens_at,
        previous_closes_at=locked.closes_at,
        opens_at=opens_at,
        closes_at=closes_at,
        at=now,
        by=by,
    )
    locked.opens_at, locked.closes_at = opens_at, closes_at
    locked.save(update_fields=["opens_at", "closes_at"])
    consultation.opens_at, consultation.closes_at = opens_at, closes_at
    # The exports are frozen by a worker at the (new) close.
    schedule_freezing(locked)
    return change


def close_now(*, consultation: Consultation, by: User | None) -> CalendarChange | None:
    """Close a running consultation at once (the end is exclusive: now)."""
    now = timezone.now()
    opens_at = min(consultation.opens_at, now - timedelta(seconds=1))
    return reschedule(consultation=consultation, opens_at=opens_at, closes_at=now, by=by)


def reopen(
    *, consultation: Consultation, closes_at: datetime, by: User | None
) -> CalendarChange | None:
    """Reopen a closed consultation until `closes_at`."""
    if closes_at <= timezone.now():
        raise ValidationError(
            _("La nouvelle date de clôture doit être dans le futur."), code="past"
        )
    return reschedule(
        consultation=consultation, opens_at=consultation.opens_at, closes_at=closes_at, by=by
    )
