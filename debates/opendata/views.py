"""Open-data pages of a published consultation: exports, search, statistics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.http import content_disposition_header, urlencode
from django.utils.safestring import SafeString
from django.views.decorators.http import require_safe

from accounts.models import User
from debates.models import Consultation, Contribution, Debate, Kind, Proposal
from debates.opendata import search as searching
from debates.opendata import stats
from debates.opendata.exports import ExportFile, freeze

RESULTS_PER_PAGE = 20


def _published(slug: str) -> Consultation:
    return get_object_or_404(Consultation.objects.published(), slug=slug)


@require_safe
def export(request: HttpRequest, slug: str, name: str) -> HttpResponse | StreamingHttpResponse:
    """Send an export file: computed now while open, stored once and the same after the close."""
    consultation = _published(slug)
    file = ExportFile(name, utf8=name.endswith(".csv") and request.GET.get("format") == "utf8")
    filename = file.download_name(consultation)
    if consultation.is_closed:
        frozen = freeze(consultation, file)
        response: HttpResponse | StreamingHttpResponse = FileResponse(
            frozen.path.open("rb"),
            as_attachment=True,
            filename=filename,
            content_type=file.content_type,
        )
        response["ETag"] = f'"{frozen.sha256}"'
        response["X-Export-SHA256"] = frozen.sha256
        return response
    response = StreamingHttpResponse(file.chunks(consultation), content_type=file.content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    # Live data: a cache must ask again every time.
    response["Cache-Control"] = "no-cache"
    return response


@dataclass(frozen=True)
class Hit:
    """One search result, its title and excerpt escaped and highlighted."""

    contribution: Contribution
    kind: str
    debate: Debate
    proposal: Proposal
    title: SafeString
    excerpt: SafeString

    @property
    def number(self) -> int:
        return self.contribution.number

    @property
    def author(self) -> User:
        return self.contribution.author

    @property
    def created_at(self) -> datetime:
        return self.contribution.created_at

    @property
    def stance(self) -> str:
        return self.contribution.as_argument.stance if self.kind == Kind.ARGUMENT else ""


def _hit(contribution: Contribution, query: searching.Query) -> Hit:
    if contribution.kind == Kind.PROPOSAL:
        proposal = contribution.as_proposal
        return Hit(
            contribution,
            Kind.PROPOSAL,
            proposal.debate,
            proposal,
            title=searching.highlight(proposal.title, query),
            excerpt=searching.excerpt(proposal.body, query),
        )
    argument = contribution.as_argument
    proposal = argument.proposal
    # A visible argument may answer a hidden proposal: its title stays hidden.
    title = SafeString("") if proposal.is_hidden else searching.highlight(proposal.title, query)
    return Hit(
        contribution,
        Kind.ARGUMENT,
        proposal.debate,
        proposal,
        title=title,
        excerpt=searching.excerpt(argument.body, query),
    )


@require_safe
def search(request: HttpRequest, slug: str) -> HttpResponse:
    """Search the visible proposals and arguments of a consultation by words."""
    consultation = _published(slug)
    query = searching.Query.parse(request.GET.get("q", ""))
    page, hits = None, []
    if query.words:
        found = searching.search(consultation, query)
        page = Paginator(found, RESULTS_PER_PAGE).get_page(request.GET.get("page"))
        hits = [_hit(contribution, query) for contribution in page]
    context = {
        "consultation": consultation,
        "query": query,
        "page": page,
        "hits": hits,
        "page_query": urlencode({"q": query.text}),
    }
    return render(request, "opendata/search.html", context)


@require_safe
def statistics(request: HttpRequest, slug: str) -> HttpResponse:
    """Show the figures of a consultation, charts drawn on the server."""
    consultation = _published(slug)
    context = {"consultation": consultation, **stats.statistics(consultation)}
    return render(request, "opendata/statistics.html", context)
