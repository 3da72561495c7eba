"""The figures of a consultation's results page (« Synthèse »), in a fixed number of queries.

The participation figures and the most supported proposals come from the
statistics page (debates/opendata/stats.py); this adds the published answers,
counted by state and listed by state (at most SHOWN_PER_STATE each), and the
pour / contre balance of each most supported proposal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count
from django.utils import timezone

from answers.models import Answer, AnswerState, Results
from debates.models import Consultation, Proposal
from debates.opendata import stats

SHOWN_PER_STATE = 100
STATE_CHART_WIDTH = 600
STATE_BAR_HEIGHT = 28


@dataclass(frozen=True)
class StateRow:
    """One state of the answers: its count, its answers shown and its bar."""

    state: AnswerState
    count: int
    answers: list[Answer]
    width: float
    y: int

    @property
    def slug(self) -> str:
        from answers.models import STATE_SLUGS

        return STATE_SLUGS[self.state]


@dataclass(frozen=True)
class Supported:
    """A most supported proposal and the widths of its pour / contre bar."""

    proposal: Proposal

    @property
    def total(self) -> int:
        return self.proposal.arguments_for + self.proposal.arguments_against  # type: ignore[attr-defined]

    @property
    def for_width(self) -> float:
        if not self.total:
            return 0
        return round(stats.BALANCE_WIDTH * self.proposal.arguments_for / self.total, 2)  # type: ignore[attr-defined]

    @property
    def against_width(self) -> float:
        return round(stats.BALANCE_WIDTH - self.for_width, 2) if self.total else 0

    @property
    def for_percent(self) -> int:
        if not self.total:
            return 0
        return round(100 * self.proposal.arguments_for / self.total)  # type: ignore[attr-defined]

    @property
    def against_percent(self) -> int:
        return 100 - self.for_percent if self.total else 0


def published_results(consultation: Consultation, now: datetime | None = None) -> Results | None:
    """Return the organisers' results text if the public may read it now (one query)."""
    results = Results.objects.filter(consultation=consultation).first()
    if results is None:
        return None
    results.consultation = consultation  # already read: no second query
    if not results.is_public_at(now):
        return None
    return results


def answers_by_state(consultation: Consultation, now: datetime | None = None) -> list[StateRow]:
    """Return each state with its published answers (two queries, bounded lists)."""
    now = now or timezone.now()
    published = Answer.objects.of_consultation(consultation).published(now)
    counts = dict(published.order_by().values_list("state").annotate(n=Count("pk")))
    shown: dict[str, list[Answer]] = {state: [] for state in AnswerState.values}
    # One query for every state's first answers: a window would be tidier, but
    # the lists are short and ordered by number within their state.
    for answer in (
        published.select_related("proposal__debate__consultation")
        .filter(proposal__hidden_at__isnull=True)
        .order_by("state", "proposal__number")
        .iterator()
    ):
        if len(shown[answer.state]) < SHOWN_PER_STATE:
            shown[answer.state].append(answer)
    largest = max(counts.values(), default=0)
    rows = []
    for index, state in enumerate(AnswerState):
        count = counts.get(state.value, 0)
        width = round(STATE_CHART_WIDTH * count / largest, 2) if largest else 0
        rows.append(
            StateRow(state, count, shown[state.value], width, index * (STATE_BAR_HEIGHT + 8))
        )
    return rows


def synthesis(consultation: Consultation) -> dict[str, Any]:
    """Return every figure of the results page: the statistics' nine queries and three more."""
    figures = stats.statistics(consultation)
    states = answers_by_state(consultation)
    answered = sum(row.count for row in states)
    return {
        **figures,
        "results": published_results(consultation),
        "states": states,
        "answered": answered,
        "state_chart_height": len(states) * (STATE_BAR_HEIGHT + 8),
        "state_chart_width": STATE_CHART_WIDTH,
        "supported": [Supported(p) for p in figures["most_supported"]],
    }


def synthesis_document(consultation: Consultation) -> dict[str, Any]:
    """Return the results page as open data (JSON): figures, answers by state, the text."""
    data = synthesis(consultation)
    results = data["results"]
    return {
        "consultation": consultation.slug,
        "title": consultation.title,
        "closes_at": timezone.localtime(consultation.closes_at).isoformat(),
        "figures": {
            "participants": data["participants"],
            "proposals": data["proposals"]["total"],
            "arguments_for": data["arguments"]["pour"],
            "arguments_against": data["arguments"]["contre"],
            "sources": data["sources"]["total"],
            "votes": {vote["value"]: vote["total"] for vote in data["votes"]},
        },
        "answers": {
            row.state.value: {
                "label": str(row.state.label),
                "count": row.count,
                "proposals": [answer.proposal.number for answer in row.answers],
            }
            for row in data["states"]
        },
        "most_supported": [
            {
                "number": item.proposal.number,
                "title": item.proposal.title,
                "votes_agree": item.proposal.votes_agree,
                "arguments_for": item.proposal.arguments_for,
                "arguments_against": item.proposal.arguments_against,
            }
            for item in data["supported"]
        ],
        "text": results.text if results else None,
        "published_at": timezone.localtime(results.publish_at).isoformat() if results else None,
    }
