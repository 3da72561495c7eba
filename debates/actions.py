"""Writes that span several rows: each one transaction, keyword-only and typed.

Callers have asked `rules.participation()` (or `rules.may_edit()`) first;
these functions only write.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from debates.counters import bump, posted, take_position, took_part
from debates.models import (
    Argument,
    Contribution,
    Debate,
    Endorsement,
    NumberSequence,
    Proposal,
    Source,
    Stance,
    Vote,
    VoteValue,
)
from followups import actions as followups
from followups import events


class PostingTooFast(Exception):
    """The author already published POSTING_RATE_LIMIT contributions in the window."""


def _take_posting_turn(author: User) -> None:
    """Refuse a post beyond the author's rate limit; call inside the posting transaction.

    The count and the insert must be one step: counted outside the inserting
    transaction, 20 parallel posts against a limit of 10 made 16 rows. The
    lock on the author's row (held until the transaction ends) queues that
    author's posts, so each counts the rows of those before it; other authors
    do not wait. SQLite has no row locks: its IMMEDIATE transactions
    (settings.py) already run one write at a time.
    """
    User.objects.select_for_update().filter(pk=author.pk).values_list("pk", flat=True).get()
    if posted_recently(author=author, seconds=settings.POSTING_RATE_WINDOW) >= (
        settings.POSTING_RATE_LIMIT
    ):
        raise PostingTooFast


@transaction.atomic
def post_proposal(
    *,
    debate: Debate,
    author: User,
    title: str,
    body: str,
    submission_token: UUID | None = None,
    rate_limited: bool = False,
    created_at: datetime | None = None,
) -> Proposal:
    """Publish a proposal under the next public number; its author follows it.

    With `rate_limited`, raise PostingTooFast beyond the author's posting limit.
    `created_at`: the stamp (default now).
    """
    if rate_limited:
        _take_posting_turn(author)
    proposal = Proposal.objects.create(
        number=NumberSequence.next_number(),
        position=take_position(Debate, debate.pk, "proposal_count"),
        debate=debate,
        author=author,
        title=title,
        body=body,
        submission_token=submission_token,
        # The moment the closing gate was last asked (write_views._publish).
        created_at=created_at or timezone.now(),
    )
    followups.author_follows(author=author, proposal=proposal)
    posted(proposal)
    return proposal


@transaction.atomic
def post_argument(
    *,
    proposal: Proposal,
    author: User,
    stance: Stance | str,
    body: str,
    submission_token: UUID | None = None,
    rate_limited: bool = False,
    created_at: datetime | None = None,
) -> Argument:
    """Publish an argument pour or contre under the next public number (see post_proposal)."""
    if rate_limited:
        _take_posting_turn(author)
    counter = "arguments_for" if stance == Stance.FOR else "arguments_against"
    argument = Argument.objects.create(
        number=NumberSequence.next_number(),
        position=take_position(Proposal, proposal.pk, counter),
        proposal=proposal,
        author=author,
        stance=stance,
        body=body,
        submission_token=submission_token,
        # The moment the closing gate was last asked (write_views._publish).
        created_at=created_at or timezone.now(),
    )
    events.reply_posted(argument, proposal)
    posted(argument)
    return argument


@transaction.atomic
def post_source(
    *,
    proposal: Proposal,
    author: User,
    title: str,
    url: str,
    description: str = "",
    submission_token: UUID | None = None,
    rate_limited: bool = False,
    created_at: datetime | None = None,
) -> Source:
    """Deposit a source under the next public number (see post_proposal)."""
    if rate_limited:
        _take_posting_turn(author)
    source = Source.objects.create(
        number=NumberSequence.next_number(),
        position=take_position(Proposal, proposal.pk, "source_count"),
        proposal=proposal,
        author=author,
        title=title,
        url=url,
        description=description,
        submission_token=submission_token,
        # The moment the closing gate was last asked (write_views._publish).
        created_at=created_at or timezone.now(),
    )
    events.reply_posted(source, proposal)
    posted(source)
    return source


def already_submitted(*, author: User, submission_token: UUID | None) -> Contribution | None:
    """Return the contribution this form already created, if it was posted before."""
    if submission_token is None:
        return None
    return Contribution.objects.filter(author=author, submission_token=submission_token).first()


def posted_recently(*, author: User, seconds: int) -> int:
    """Return how many contributions `author` published in the last `seconds`."""
    since = timezone.now() - timedelta(seconds=seconds)
    return Contribution.objects.filter(author=author, created_at__gte=since).count()


@transaction.atomic
def edit_contribution(*, contribution: Contribution, **fields: str) -> Contribution:
    """Change the text of a contribution; history keeps the previous version."""
    for name, value in fields.items():
        setattr(contribution, name, value)
    contribution.updated_at = timezone.now()
    contribution.save(update_fields=[*fields, "updated_at"])
    return contribution


def cast_vote(
    *, proposal: Proposal, user: User, value: VoteValue | str, now: datetime | None = None
) -> Vote:
    """Record or change the user's vote on a proposal (one per user and proposal).

    Two requests of the same user at once both try to insert; the unique
    constraint lets one win and the other turns into an update. `now`: the
    moment the closing gate was asked (the vote is stamped with it).
    The proposal's tallies change in the same transaction as the vote.
    """
    now = now or timezone.now()
    for _attempt in range(2):
        try:
            with transaction.atomic():
                vote = Vote.objects.select_for_update().filter(proposal=proposal, user=user).first()
                if vote is None:
                    vote = Vote.objects.create(
                        proposal=proposal, user=user, value=value, created_at=now, updated_at=now
                    )
                    bump(Proposal, proposal.pk, **{tally(value): 1})
                    took_part(consultation_id=proposal.consultation_id, user_id=user.pk)
                    return vote
                if vote.value != value:
                    bump(Proposal, proposal.pk, **{tally(vote.value): -1, tally(value): 1})
                    vote.value = value
                    vote.updated_at = now
                    vote.save(update_fields=["value", "updated_at"])
                return vote
        except IntegrityError:
            continue  # the other request inserted first: update its row
    raise RuntimeError("vote could not be recorded")  # pragma: no cover


def tally(value: VoteValue | str) -> str:
    """Return the proposal's counter of votes cast with `value`."""
    return f"cast_{VoteValue(value).value}"


@transaction.atomic
def withdraw_vote(*, proposal: Proposal, user: User) -> bool:
    """Withdraw the user's vote; history keeps the record. Return whether one existed."""
    vote = Vote.objects.select_for_update().filter(proposal=proposal, user=user).first()
    if vote is None:
        return False
    deleted, _rows = vote.delete()
    if deleted:
        bump(Proposal, proposal.pk, **{tally(vote.value): -1})
        took_part(consultation_id=proposal.consultation_id, user_id=user.pk, delta=-1)
    return bool(deleted)


def toggle_endorsement(*, argument: Argument, user: User) -> bool:
    """Add or remove the user's « D'accord » on an argument; return whether it is on."""
    try:
        with transaction.atomic():
            existing = (
                Endorsement.objects.select_for_update().filter(argument=argument, user=user).first()
            )
            if existing is not None:
                deleted, _rows = existing.delete()
                if deleted:
                    bump(Argument, argument.pk, endorsements_cast=-1)
                return False
            Endorsement.objects.create(argument=argument, user=user)
            bump(Argument, argument.pk, endorsements_cast=1)
            return True
    except IntegrityError:
        return True  # a simultaneous request of the same user endorsed it already
