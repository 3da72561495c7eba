"""Statistics of a consultation, counted by the database in a fixed number of queries.

Totals include hidden contributions (they were posted; moderation hides, never
deletes) and say how many are hidden; the top lists leave hidden proposals out.
Votes include the tallies imported from a consultation's original platform, as
the proposal pages show them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce

from debates import counters
from debates.models import (
    Consultation,
    Debate,
    Proposal,
    VoteValue,
)

TOP = 10
# The per-day chart, in SVG user units.
CHART_WIDTH = 720
CHART_HEIGHT = 200
CHART_LEFT = 40  # room for the scale
CHART_BOTTOM = 24  # room for the first and last day
BALANCE_WIDTH = 600
BALANCE_HEIGHT = 28


@dataclass(frozen=True)
class Bar:
    """One day of the chart: its date, count and rectangle."""

    day: date
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class DayChart:
    days: list[Bar]
    maximum: int
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    left: int = CHART_LEFT
    baseline: int = CHART_HEIGHT - CHART_BOTTOM

    @property
    def first(self) -> Bar | None:
        return self.days[0] if self.days else None

    @property
    def last(self) -> Bar | None:
        return self.days[-1] if self.days else None

    @property
    def busiest(self) -> Bar | None:
        return max(self.days, key=lambda bar: bar.count) if self.days else None

    @property
    def total(self) -> int:
        return sum(bar.count for bar in self.days)


def day_chart(counts: dict[date, int]) -> DayChart:
    """Return one bar per day from the first day with a contribution to the last, zeros included."""
    if not counts:
        return DayChart(days=[], maximum=0)
    first, last = min(counts), max(counts)
    span = (last - first).days + 1
    maximum = max(counts.values())
    plot_width = CHART_WIDTH - CHART_LEFT
    plot_height = CHART_HEIGHT - CHART_BOTTOM - 8
    step = plot_width / span
    bars = []
    for offset in range(span):
        day = first + timedelta(days=offset)
        count = counts.get(day, 0)
        height = plot_height * count / maximum
        bars.append(
            Bar(
                day=day,
                count=count,
                x=round(CHART_LEFT + offset * step, 2),
                y=round(CHART_HEIGHT - CHART_BOTTOM - height, 2),
                width=round(max(step * 0.8, 0.5), 2),
                height=round(height, 2),
            )
        )
    return DayChart(days=bars, maximum=maximum)


@dataclass(frozen=True)
class Balance:
    """Arguments pour and contre of one debate, and the widths of their bars."""

    debate: Debate
    proposals: int
    arguments_for: int
    arguments_against: int

    @property
    def total(self) -> int:
        return self.arguments_for + self.arguments_against

    @property
    def for_width(self) -> float:
        return round(BALANCE_WIDTH * self.arguments_for / self.total, 2) if self.total else 0

    @property
    def against_width(self) -> float:
        return round(BALANCE_WIDTH - self.for_width, 2) if self.total else 0

    @property
    def for_percent(self) -> int:
        return round(100 * self.arguments_for / self.total) if self.total else 0

    @property
    def against_percent(self) -> int:
        return 100 - self.for_percent if self.total else 0


def statistics(consultation: Consultation) -> dict[str, Any]:
    """Return every figure of the statistics page: five queries, whatever the size.

    Totals come from the proposals' stored counters (debates/counters.py), so
    they read one row per proposal, never one per argument, source or vote.
    """
    hidden = Q(hidden_at__isnull=False)
    proposals = Proposal.objects.of_consultation(consultation)

    def total(name: str) -> Coalesce:
        return Coalesce(Sum(name), 0)

    # 1. proposals, arguments, sources and votes, summed from the stored counters
    sums = proposals.aggregate(
        total=Count("pk"),
        hidden=Count("pk", filter=hidden),
        pour=total("arguments_for"),
        contre=total("arguments_against"),
        hidden_arguments=total(F("hidden_for") + F("hidden_against")),
        sources=total("source_count"),
        hidden_sources=total("hidden_sources"),
        **{f"imported_{value}": total(f"imported_votes_{value}") for value in VoteValue.values},
        **{f"cast_{value}": total(f"cast_{value}") for value in VoteValue.values},
    )
    proposal_totals = {
        key: sums[key] for key in ("total", "hidden", *(f"imported_{v}" for v in VoteValue.values))
    }
    argument_totals = {
        "total": sums["pour"] + sums["contre"],
        "hidden": sums["hidden_arguments"],
        "pour": sums["pour"],
        "contre": sums["contre"],
    }
    source_totals = {"total": sums["sources"], "hidden": sums["hidden_sources"]}
    voted = {value: sums[f"cast_{value}"] for value in VoteValue.values}
    votes = [
        {
            "value": value,
            "label": label,
            "cast": voted[value],
            "imported": proposal_totals[f"imported_{value}"],
            "total": voted[value] + proposal_totals[f"imported_{value}"],
        }
        for value, label in VoteValue.choices
    ]
    # Participants (distinct authors and voters) are a stored counter on the
    # consultation, read with it: no query here.
    participants = consultation.participant_count
    # 2. contributions per day, in the site's time zone: one stored row per day
    per_day = counters.per_day(consultation)
    # 3. each debate's stored proposal count and its proposals' arguments pour / contre
    debates = consultation.debates.order_by("position", "pk").annotate(
        pour=total("proposals__arguments_for"), contre=total("proposals__arguments_against")
    )
    balances = [Balance(d, d.proposal_count, d.pour, d.contre) for d in debates]
    # 4, 5. the most discussed and the most supported visible proposals (stored counts)
    visible = proposals.filter(hidden_at__isnull=True).select_related("author", "debate")
    most_discussed = list(visible.filter(discussion__gt=0).order_by("-discussion", "-number")[:TOP])
    most_supported = list(
        visible.filter(votes_agree__gt=0).order_by("-votes_agree", "-number")[:TOP]
    )
    return {
        "participants": participants,
        "proposals": proposal_totals,
        "arguments": argument_totals,
        "sources": source_totals,
        "votes": votes,
        "vote_total": sum(vote["total"] for vote in votes),
        "chart": day_chart(per_day),
        "balances": balances,
        "most_discussed": most_discussed,
        "most_supported": most_supported,
    }
