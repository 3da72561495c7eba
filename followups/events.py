"""What followers hear of: each event recorded once (a unique key), then fanned out by a task.

Callers are the writes that cause them (debates.actions, debates.moderation,
answers.actions) and `manage.py send_notifications` for what the calendar
brings (closing soon, closed, scheduled answers and results).
"""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from debates.models import Consultation, Contribution, ModerationEvent, Proposal
from followups.models import Event, EventKind

# How far back the periodic command looks for what became due: a command that
# did not run for a few days still catches up, and a first run on an old
# archive does not announce its past closings.
LOOKBACK = timedelta(days=2)
CLOSING_SOON = timedelta(days=3)


def record(
    kind: EventKind,
    key: str,
    *,
    consultation: Consultation,
    proposal: Proposal | None = None,
    contribution: Contribution | None = None,
) -> bool:
    """Record an event once and fan it out after the commit; return whether it is new."""
    from followups.tasks import fan_out

    try:
        with transaction.atomic():
            event = Event.objects.create(
                kind=kind,
                key=key,
                consultation=consultation,
                proposal=proposal,
                contribution=contribution,
            )
    except IntegrityError:
        return False
    transaction.on_commit(lambda: fan_out.enqueue(event.pk))
    return True


def reply_posted(contribution: Contribution, proposal: Proposal) -> bool:
    return record(
        EventKind.REPLY,
        f"reply:{contribution.number}",
        consultation=proposal.debate.consultation,
        proposal=proposal,
        contribution=contribution,
    )


def moderated(moderation_event: ModerationEvent) -> bool:
    """Tell the author of a hidden or restored contribution."""
    kind = EventKind.HIDDEN if moderation_event.action == "hide" else EventKind.RESTORED
    return record(
        kind,
        f"{kind}:{moderation_event.pk}",
        consultation=moderation_event.consultation,
        contribution=moderation_event.contribution,
    )


def answer_saved(answer: object) -> bool:
    """Announce a public answer; a scheduled one waits for the periodic command.

    One announcement per answer and state: a corrected text says nothing
    again, a changed state (« À l'étude » then « Retenue ») does.
    """
    if not answer.is_published:  # type: ignore[attr-defined]
        return False
    proposal = answer.proposal  # type: ignore[attr-defined]
    return record(
        EventKind.ANSWER,
        f"answer:{answer.pk}:{answer.state}",  # type: ignore[attr-defined]
        consultation=proposal.debate.consultation,
        proposal=proposal,
    )


def results_saved(results: object) -> bool:
    if not results.is_public:  # type: ignore[attr-defined]
        return False
    consultation = results.consultation  # type: ignore[attr-defined]
    return record(EventKind.RESULTS, f"results:{consultation.pk}", consultation=consultation)


def record_due(now: None = None) -> dict[str, int]:
    """Record what the calendar made due since LOOKBACK; return how many new events of each."""
    from answers.models import Answer, Results

    now = timezone.now()
    since = now - LOOKBACK
    counts = {"closing_soon": 0, "closed": 0, "answers": 0, "results": 0}
    published = Consultation.objects.published()
    for consultation in published.filter(closes_at__gt=now, closes_at__lte=now + CLOSING_SOON):
        if consultation.opens_at <= now:
            key = f"closing_soon:{consultation.pk}:{consultation.closes_at.isoformat()}"
            counts["closing_soon"] += record(EventKind.CLOSING_SOON, key, consultation=consultation)
    for consultation in published.filter(closes_at__gt=since, closes_at__lte=now):
        key = f"closed:{consultation.pk}:{consultation.closes_at.isoformat()}"
        counts["closed"] += record(EventKind.CLOSED, key, consultation=consultation)
    due_answers = Answer.objects.filter(
        publish_at__gt=since, publish_at__lte=now, proposal__debate__consultation__is_draft=False
    ).select_related("proposal__debate__consultation")
    for answer in due_answers.iterator():
        counts["answers"] += answer_saved(answer)
    due_results = Results.objects.filter(
        publish_at__lte=now, consultation__closes_at__lte=now, consultation__is_draft=False
    ).select_related("consultation")
    for results in due_results.iterator():
        if max(results.publish_at, results.consultation.closes_at) > since:
            counts["results"] += results_saved(results)
    return counts
