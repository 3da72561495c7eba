"""Writes of answers and results: each one transaction, keyword-only and typed.

Callers have asked `debates.rules.may_answer()` first; these functions only
write, and tell the followers (through the task queue) once the answer is
public — at once, or later through `manage.py send_notifications` when its
publication is scheduled.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from answers.models import Answer, AnswerState, Results
from debates.models import Consultation, Proposal


@transaction.atomic
def answer_proposal(
    *,
    proposal: Proposal,
    author: User,
    state: AnswerState | str,
    text: str,
    answered_on: date | None = None,
    link: str = "",
    publish_at: datetime | None = None,
) -> Answer:
    """Publish or change the official answer on a proposal; history keeps the previous one."""
    now = timezone.now()
    answer = Answer.objects.select_for_update().filter(proposal=proposal).first()
    if answer is None:
        answer = Answer(proposal=proposal, author=author, created_at=now)
    answer.state = state
    answer.text = text
    answer.answered_on = answered_on or timezone.localdate()
    answer.link = link
    answer.publish_at = publish_at or now
    answer.author = author
    answer.updated_at = now
    answer.save()
    from followups import events  # the notifications build on answers, not the reverse

    events.answer_saved(answer)
    return answer


@transaction.atomic
def write_results(
    *, consultation: Consultation, author: User, text: str, publish_at: datetime | None = None
) -> Results:
    """Write or change a consultation's results text and its publication time."""
    now = timezone.now()
    results = Results.objects.select_for_update().filter(consultation=consultation).first()
    if results is None:
        results = Results(consultation=consultation, author=author)
    results.text = text
    results.publish_at = publish_at or now
    results.author = author
    results.updated_at = now
    results.save()
    from followups import events

    events.results_saved(results)
    return results
