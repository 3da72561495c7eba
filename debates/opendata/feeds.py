"""Atom feeds: a consultation's and a debate's new proposals, a proposal's arguments.

Newest first, at most FEED_SIZE entries, hidden contributions left out; each
entry links to the contribution's permalink. Two queries per feed: the object,
then its entries with their authors (the current Site is cached per process).
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.feedgenerator import Atom1Feed
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from debates.models import Argument, Consultation, Contribution, Debate, Proposal, Stance
from debates.templatetags.debates import body

FEED_SIZE = 50


class ContributionFeed(Feed):
    """What the three feeds share: Atom, permalinks, authors, dates, escaped bodies."""

    feed_type = Atom1Feed

    def link(self, obj: Consultation | Debate) -> str:
        return obj.get_absolute_url()

    def item_link(self, item: Contribution) -> str:
        return item.get_absolute_url()

    def item_author_name(self, item: Contribution) -> str:
        return item.author.public_name

    def item_pubdate(self, item: Contribution) -> datetime:
        return item.created_at

    def item_updateddate(self, item: Contribution) -> datetime:
        return item.updated_at

    def item_description(self, item: Proposal | Argument) -> SafeString:
        # Escaped paragraphs with links, as on the pages: an Atom summary is HTML.
        return body(item.body)


def _proposal_label(proposal: Proposal) -> str:
    if proposal.is_hidden:
        return _("Proposition #%(number)s masquée par la modération") % {"number": proposal.number}
    return f"#{proposal.number} {proposal.title}"


class ProposalItems:
    """Entries that are proposals: title with number, debate as category."""

    def item_title(self, item: Proposal) -> str:
        return _proposal_label(item)

    def item_categories(self, item: Proposal) -> tuple[str]:
        return (item.debate.title,)


def _new_proposals(proposals: QuerySet[Proposal]) -> QuerySet[Proposal]:
    return (
        proposals.filter(hidden_at__isnull=True)
        .select_related("author", "debate")
        .order_by("-number")[:FEED_SIZE]
    )


class ConsultationProposalsFeed(ProposalItems, ContributionFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Consultation:  # type: ignore[override]
        return get_object_or_404(Consultation.objects.published(), slug=slug)

    def title(self, obj: Consultation) -> str:
        return _("Nouvelles propositions · %(title)s") % {"title": obj.title}

    def subtitle(self, obj: Consultation) -> str:
        return _("Les %(size)s dernières propositions de la consultation « %(title)s ».") % {
            "size": FEED_SIZE,
            "title": obj.title,
        }

    def items(self, obj: Consultation) -> QuerySet[Proposal]:
        return _new_proposals(Proposal.objects.of_consultation(obj))


class DebateProposalsFeed(ProposalItems, ContributionFeed):
    def get_object(  # type: ignore[override]
        self, request: HttpRequest, consultation: str, slug: str
    ) -> Debate:
        return get_object_or_404(
            Debate.objects.select_related("consultation").filter(consultation__is_draft=False),
            consultation__slug=consultation,
            slug=slug,
        )

    def title(self, obj: Debate) -> str:
        return _("Nouvelles propositions · %(title)s") % {"title": obj.title}

    def subtitle(self, obj: Debate) -> str:
        return _("Les %(size)s dernières propositions du débat « %(title)s ».") % {
            "size": FEED_SIZE,
            "title": obj.title,
        }

    def items(self, obj: Debate) -> QuerySet[Proposal]:
        return _new_proposals(Proposal.objects.filter(debate=obj))


class ProposalArgumentsFeed(ContributionFeed):
    def get_object(  # type: ignore[override]
        self, request: HttpRequest, consultation: str, debate: str, number: int
    ) -> Proposal:
        return get_object_or_404(
            Proposal.objects.select_related("debate__consultation").filter(
                debate__consultation__is_draft=False
            ),
            number=number,
            debate__slug=debate,
            debate__consultation__slug=consultation,
        )

    def link(self, obj: Proposal) -> str:  # type: ignore[override]
        return obj.get_page_url()

    def title(self, obj: Proposal) -> str:
        return _("Arguments · %(proposal)s") % {"proposal": _proposal_label(obj)}

    def subtitle(self, obj: Proposal) -> str:
        return _("Les %(size)s derniers arguments pour et contre la proposition #%(number)s.") % {
            "size": FEED_SIZE,
            "number": obj.number,
        }

    def items(self, obj: Proposal) -> QuerySet[Argument]:
        return (
            Argument.objects.filter(proposal=obj, hidden_at__isnull=True)
            .select_related("author")
            .order_by("-number")[:FEED_SIZE]
        )

    def item_title(self, item: Argument) -> str:
        if item.stance == Stance.FOR:
            label = _("Argument pour #%(number)s, de %(author)s")
        else:
            label = _("Argument contre #%(number)s, de %(author)s")
        return label % {"number": item.number, "author": item.author.public_name}

    def item_categories(self, item: Argument) -> tuple[str]:
        return (item.get_stance_display(),)
