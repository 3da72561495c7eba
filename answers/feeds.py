"""The Atom feed of a consultation's official answers, newest publication first."""

from __future__ import annotations

from datetime import datetime

from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.feedgenerator import Atom1Feed
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from answers.models import Answer
from debates.models import Consultation
from debates.opendata.feeds import FEED_SIZE
from debates.templatetags.debates import body


class ConsultationAnswersFeed(Feed):
    """Two queries: the consultation, then its latest published answers with their proposals."""

    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest, slug: str) -> Consultation:  # type: ignore[override]
        return get_object_or_404(Consultation.objects.published(), slug=slug)

    def link(self, obj: Consultation) -> str:
        return obj.get_absolute_url()

    def title(self, obj: Consultation) -> str:
        return _("Réponses officielles · %(title)s") % {"title": obj.title}

    def subtitle(self, obj: Consultation) -> str:
        return _("Les %(size)s dernières réponses des organisateurs de « %(title)s ».") % {
            "size": FEED_SIZE,
            "title": obj.title,
        }

    def items(self, obj: Consultation) -> QuerySet[Answer]:
        return (
            Answer.objects.of_consultation(obj)
            .published()
            .filter(proposal__hidden_at__isnull=True)
            .select_related("proposal__debate__consultation")
            .order_by("-publish_at", "-pk")[:FEED_SIZE]
        )

    def item_title(self, item: Answer) -> str:
        return _("%(state)s : #%(number)s %(title)s") % {
            "state": item.get_state_display(),
            "number": item.proposal.number,
            "title": item.proposal.title,
        }

    def item_link(self, item: Answer) -> str:
        return item.proposal.get_page_url() + "#reponse"

    def item_guid(self, item: Answer) -> str:
        return f"{item.proposal.get_page_url()}#reponse-{item.pk}"

    def item_pubdate(self, item: Answer) -> datetime:
        return item.publish_at

    def item_updateddate(self, item: Answer) -> datetime:
        return max(item.updated_at, item.publish_at)

    def item_description(self, item: Answer) -> SafeString:
        return body(item.text)

    def item_categories(self, item: Answer) -> tuple[str]:
        return (str(item.get_state_display()),)
