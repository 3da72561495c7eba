"""What belongs to a consultation, for the queries of exports and statistics."""

from __future__ import annotations

from django.db.models import QuerySet

from debates.models import Argument, Consultation, Contribution, Proposal, Source


def contributions_of(consultation: Consultation) -> QuerySet[Contribution]:
    """Return the proposals, arguments and sources of `consultation` as Contribution rows.

    Three `pk IN (subquery)` on indexed foreign keys rather than OR-ed outer
    joins through the three child tables.
    """
    proposals = Proposal.objects.filter(debate__consultation=consultation).order_by()
    arguments = Argument.objects.filter(proposal__debate__consultation=consultation).order_by()
    sources = Source.objects.filter(proposal__debate__consultation=consultation).order_by()
    return Contribution.objects.filter(
        pk__in=proposals.values("pk").union(arguments.values("pk"), sources.values("pk"))
    )
