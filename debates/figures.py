"""Figures shown to readers: how many took part, and the balance of opinions as bars.

Participation counts every contribution posted (hidden ones too: moderation
hides, never deletes) and the distinct accounts that posted them. Counting
reads every contribution of a consultation, so the result is kept in the
cache: one grouped query for all the consultations of a page on a miss, none
on a hit. An open consultation's figures are at most FIGURES_TTL seconds old;
a closed one's change only through an import, so they are kept for a day.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count

from debates.models import Consultation, Contribution

FIGURES_TTL = 300
CLOSED_FIGURES_TTL = 24 * 3600


@dataclass(frozen=True)
class Participation:
    contributions: int
    participants: int


NOBODY = Participation(0, 0)

def _key(consultation: Consultation) -> str:
    return f"participation:{consultation.pk}"


def participation_figures(consultations: list[Consultation]) -> dict[int, Participation]:
    """Return each consultation's participation figures by pk, from the cache when it has them."""
    if not consultations:
        return {}
    found = cache.get_many([_key(c) for c in consultations])
    figures = {c.pk: found[_key(c)] for c in consultations if _key(c) in found}
    missing = [c for c in consultations if c.pk not in figures]
    if missing:
        rows = (
            # The stored, indexed consultation column of each contribution row.
            Contribution.objects.filter(consultation_id__in=[c.pk for c in missing])
            .values("consultation_id")
            .annotate(contributions=Count("pk"), participants=Count("author", distinct=True))
            .order_by()
        )
        counted = {
            row["consultation_id"]: Participation(row["contributions"], row["participants"])
            for row in rows
        }
        for consultation in missing:
            figures[consultation.pk] = counted.get(consultation.pk, NOBODY)
            ttl = CLOSED_FIGURES_TTL if consultation.is_closed else FIGURES_TTL
            cache.set(_key(consultation), figures[consultation.pk], ttl)
    return figures


@dataclass(frozen=True)
class Segment:
    """One part of a bar: its name, count, share and place in a 0–100 box."""

    key: str
    label: str
    count: int
    percent: int
    x: float
    width: float


@dataclass(frozen=True)
class Split:
    """Counts drawn side by side as one bar (pour / contre, or the three votes)."""

    segments: list[Segment]

    @property
    def total(self) -> int:
        return sum(segment.count for segment in self.segments)


def split(*parts: tuple[str, str, int]) -> Split:
    """Return the bar of `parts` (key, label, count); widths in a box 100 wide."""
    total = sum(count for _key, _label, count in parts)
    segments, x = [], 0.0
    for key, label, count in parts:
        width = round(100 * count / total, 2) if total else 0.0
        percent = round(100 * count / total) if total else 0
        segments.append(Segment(key, label, count, percent, round(x, 2), width))
        x += width
    return Split(segments)
