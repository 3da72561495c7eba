"""What belongs to a consultation, for the queries of exports and statistics."""

from __future__ import annotations

from django.db.models import QuerySet

from debates.models import Consultation, Contribution


def contributions_of(consultation: Consultation) -> QuerySet[Contribution]:
    """Return the proposals, arguments and sources of `consultation` as Contribution rows."""
    return Contribution.objects.of_consultation(consultation)
