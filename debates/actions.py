"""Writes that span several rows: each one transaction, keyword-only and typed.

Callers have asked `rules.participation()` first; these functions only write.
"""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from debates.models import Argument, Debate, NumberSequence, Proposal, Source, Stance


@transaction.atomic
def post_proposal(*, debate: Debate, author: User, title: str, body: str) -> Proposal:
    """Publish a proposal under the next public number."""
    return Proposal.objects.create(
        number=NumberSequence.next_number(),
        debate=debate,
        author=author,
        title=title,
        body=body,
    )


@transaction.atomic
def post_argument(*, proposal: Proposal, author: User, stance: Stance | str, body: str) -> Argument:
    """Publish an argument pour or contre under the next public number."""
    return Argument.objects.create(
        number=NumberSequence.next_number(),
        proposal=proposal,
        author=author,
        stance=stance,
        body=body,
    )


@transaction.atomic
def post_source(
    *, proposal: Proposal, author: User, title: str, url: str, description: str = ""
) -> Source:
    """Deposit a source under the next public number."""
    return Source.objects.create(
        number=NumberSequence.next_number(),
        proposal=proposal,
        author=author,
        title=title,
        url=url,
        description=description,
    )
