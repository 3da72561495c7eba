"""What debate pages ask of answers: a filter by state, and the « les plus soutenues » order."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from answers.models import STATE_SLUGS, AnswerState
from debates.models import ProposalQuerySet

# ?reponse=<slug> on a debate page: each state, and « sans réponse ».
NO_ANSWER = "sans-reponse"
STATE_FILTERS = {slug: state.label for state, slug in STATE_SLUGS.items()} | {
    NO_ANSWER: _("Sans réponse officielle")
}


def answer_filter(value: str) -> str:
    """Return the state filter asked for, or "" for none (unknown values are ignored)."""
    return value if value in STATE_FILTERS or value == NO_ANSWER else ""


def with_answer_state(proposals: ProposalQuerySet, slug: str) -> ProposalQuerySet:
    """Keep proposals whose published answer has the state `slug` (or without answer)."""
    if not slug:
        return proposals
    now = timezone.now()
    if slug == NO_ANSWER:
        return proposals.exclude(answer__publish_at__lte=now)
    state = next(state for state, known in STATE_SLUGS.items() if known == slug)
    return proposals.filter(answer__state=AnswerState(state), answer__publish_at__lte=now)


def most_supported(proposals: ProposalQuerySet) -> ProposalQuerySet:
    """Return proposals with their counts, most « D'accord » first, then newest."""
    return (
        proposals.select_related("author", "answer")
        .with_counts()
        .order_by("-votes_agree", "-number")
    )
