"""Pages of a consultation, and its write endpoints behind the closing gate."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from answers.listing import STATE_FILTERS, answer_filter, most_supported, with_answer_state
from answers.page import proposal_context
from debates.figures import participation_figures
from debates.forms import NewArgumentForm, NewProposalForm, NewSourceForm, VoteForm
from debates.models import (
    ARGUMENT_ORDER_KEYS,
    Argument,
    ArgumentOrder,
    Consultation,
    Contribution,
    Debate,
    Endorsement,
    Phase,
    Proposal,
    Stance,
    Vote,
)
from debates.paging import Window, keyset_slice
from debates.rules import participation, participation_on
from followups.page import follow_state

PROPOSAL_SORTS = {
    "recent": _("Les plus récentes"),
    "oldest": _("Les plus anciennes"),
    "discussed": _("Les plus discutées"),
    "supported": _("Les plus soutenues"),
}


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    # One query: every consultation, grouped here by the gate's phase.
    groups: dict[Phase, list[Consultation]] = {
        Phase.OPEN: [],
        Phase.UPCOMING: [],
        Phase.CLOSED: [],
    }
    for consultation in Consultation.objects.visible_to(request.user).for_home():
        groups[consultation.phase].append(consultation)
    groups[Phase.CLOSED].reverse()  # most recently closed first
    figures = participation_figures([c for listed in groups.values() for c in listed])
    return render(request, "debates/home.html", {"groups": groups, "figures": figures})


@require_safe
def consultation_detail(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = get_object_or_404(Consultation, slug=slug)
    ensure_visible(request, consultation)
    context = {
        "consultation": consultation,
        "debates": consultation.debates.for_consultation_page(),
        "calendar_changes": consultation.calendar_changes.all(),
        **follow_state(request, consultation),
        "figures": participation_figures([consultation])[consultation.pk],
    }
    return render(request, "debates/consultation.html", context)


def ensure_visible(request: HttpRequest, consultation: Consultation) -> None:
    """Answer 404 for a draft to anyone but staff and its organisers."""
    if not consultation.is_draft or request.user.is_staff:
        return
    if (
        request.user.is_authenticated
        and consultation.organisers.filter(pk=request.user.pk).exists()
    ):
        return
    raise Http404


def _get_debate(request: HttpRequest, consultation: str, slug: str) -> Debate:
    debate = get_object_or_404(
        Debate.objects.select_related("consultation"), consultation__slug=consultation, slug=slug
    )
    ensure_visible(request, debate.consultation)
    return debate


def _debate_page(
    request: HttpRequest, debate: Debate, form: Form | None = None, status: int = 200
) -> HttpResponse:
    sort = request.GET.get("tri", "recent")
    if sort not in PROPOSAL_SORTS:
        sort = "recent"
    state = answer_filter(request.GET.get("reponse", ""))
    page = _proposals_page(debate, sort, request.GET.get("page"), state)
    consultation = debate.consultation
    query = QueryDict(mutable=True)
    query["tri"] = sort  # the pager's links keep the sort and filter, then give the page
    query["reponse"] = state
    query["page"] = str(page.number)
    context = {
        "consultation": consultation,
        "debate": debate,
        "page": page,
        # The pager of the include, from the count the paginator already made.
        "pages": Window.of(query, "page", page.paginator.count, page.paginator.per_page),
        "sort": sort,
        "sorts": PROPOSAL_SORTS,
        "state": state,
        "states": STATE_FILTERS,
        **follow_state(request, debate),
        "decision": participation(request.user, consultation),
        "form": form or NewProposalForm(),
    }
    return render(request, "debates/debate.html", context, status=status)


def _proposals_page(debate: Debate, sort: str, number: str | None, state: str = "") -> Page:
    """Return one page of a debate's proposals (their counts are stored columns).

    Unfiltered, by date, a page is a range of the proposals' positions in the
    debate and the total is the debate's stored counter (no COUNT); by
    discussion, an offset along the index on (debate, discussion, position).
    Filtered by answer `state`, or by support, the paginator counts the subset.
    """
    size = settings.PROPOSALS_PER_PAGE
    proposals = with_answer_state(Proposal.objects.filter(debate=debate), state)
    if state or sort == "supported":
        ordered = (
            most_supported(proposals)
            if sort == "supported"
            else proposals.most_discussed().select_related("answer")
            if sort == "discussed"
            else proposals.select_related("author", "answer").order_by(
                "position" if sort == "oldest" else "-position"
            )
        )
        return Paginator(ordered, size).get_page(number)
    # A range stands for the list so the paginator counts nothing.
    page = Paginator(range(debate.proposal_count), size).get_page(number)
    proposals = proposals.select_related("author", "answer")
    start, end = (page.number - 1) * size, page.number * size
    if sort == "discussed":
        rows = proposals.most_discussed()[start:end]
    elif sort == "oldest":
        rows = proposals.filter(position__gt=start).order_by("position")[:size]
    else:
        top = debate.proposal_count - start
        rows = proposals.filter(position__lte=top).order_by("-position")[:size]
    page.object_list = list(rows)
    return page


@require_safe
def debate_detail(request: HttpRequest, consultation: str, slug: str) -> HttpResponse:
    return _debate_page(request, _get_debate(request, consultation, slug))


def _proposal_page(
    request: HttpRequest,
    proposal: Proposal,
    forms: dict[str, Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    order = request.GET.get("ordre", ArgumentOrder.DEFAULT)
    if order not in ArgumentOrder.values:
        order = ArgumentOrder.DEFAULT
    size = settings.ARGUMENTS_PER_PAGE
    columns = []
    for stance, total, hidden, param in (
        (Stance.FOR, proposal.arguments_for, proposal.hidden_for, "pour"),
        (Stance.AGAINST, proposal.arguments_against, proposal.hidden_against, "contre"),
    ):
        window = Window.of(request.GET, param, total, size)
        window, arguments = _arguments_page(proposal, stance, order, window)
        columns.append(
            {"stance": stance, "window": window, "arguments": arguments, "hidden": hidden}
        )
    sources_window = Window.of(request.GET, "sources", proposal.source_count, size)
    sources = (
        proposal.sources.select_related("author")
        .filter(position__gt=sources_window.start)
        .order_by("position")[:size]
        if proposal.source_count
        else []
    )
    consultation = proposal.debate.consultation
    forms = forms or {}
    my_vote, my_endorsements = None, set()
    if request.user.is_authenticated:
        my_vote = Vote.objects.filter(proposal=proposal, user=request.user).first()
        shown = [a.pk for column in columns for a in column["arguments"]]
        if shown:
            my_endorsements = set(
                Endorsement.objects.filter(user=request.user, argument__in=shown).values_list(
                    "argument_id", flat=True
                )
            )
    context = {
        "consultation": consultation,
        "debate": proposal.debate,
        "proposal": proposal,
        "columns": columns,
        "sources": sources,
        "sources_window": sources_window,
        "order": order,
        "orders": ArgumentOrder.choices,
        "decision": participation_on(request.user, proposal, consultation),
        "my_vote": my_vote,
        "my_endorsements": my_endorsements,
        "vote_form": forms.get("vote") or VoteForm(),
        "argument_forms": {
            stance: forms.get(stance) or NewArgumentForm(initial={"stance": stance})
            for stance in Stance
        },
        "source_form": forms.get("source") or NewSourceForm(),
        **proposal_context(request, proposal),
        **follow_state(request, proposal),
    }
    return render(request, "debates/proposal.html", context, status=status)


def _arguments_page(
    proposal: Proposal, stance: str, order: str, window: Window
) -> tuple[Window, list[Argument]]:
    """Return one page of a stance's arguments: one query on an index, whatever the page.

    In number order a page is a range of stored positions; in the orders by
    support it continues from the cursor in the links (paging.keyset_slice).
    """
    if not window.total:
        return window, []
    arguments = Argument.objects.filter(proposal=proposal, stance=stance).select_related("author")
    if order == ArgumentOrder.OLDEST:
        rows = arguments.filter(position__gt=window.start).order_by("position")
        return window, list(rows[: window.size])
    if order == ArgumentOrder.RECENT:
        rows = arguments.filter(position__lte=window.total - window.start).order_by("-position")
        return window, list(rows[: window.size])
    keys = ARGUMENT_ORDER_KEYS.get(order, ARGUMENT_ORDER_KEYS[ArgumentOrder.DEFAULT])
    return keyset_slice(arguments, window, keys, Argument._meta.db_table)  # type: ignore[return-value]


def _get_proposal(
    request: HttpRequest, consultation: str, debate: str, number: int, *, counts: bool = True
) -> Proposal:
    """Return the proposal at this address; `counts=False` skips the page's counts.

    The counts are stored columns now, so both read the same row.
    """
    queryset = Proposal.objects.for_proposal_page().select_related("answer")
    proposal = get_object_or_404(
        queryset, number=number, debate__slug=debate, debate__consultation__slug=consultation
    )
    ensure_visible(request, proposal.debate.consultation)
    return proposal


def _counted(proposal: Proposal) -> Proposal:
    """Return the proposal again with what its page shows (to re-render a refused form)."""
    return Proposal.objects.for_proposal_page().get(pk=proposal.pk)


@require_safe
def proposal_detail(
    request: HttpRequest, consultation: str, debate: str, number: int
) -> HttpResponse:
    return _proposal_page(request, _get_proposal(request, consultation, debate, number))


@require_safe
def permalink(request: HttpRequest, number: int) -> HttpResponseRedirect:
    contribution = get_object_or_404(Contribution.objects.with_place(), number=number)
    item, proposal = contribution.concrete, contribution.thread
    ensure_visible(request, proposal.debate.consultation)
    if item is proposal:
        return redirect(proposal.get_page_url())
    query = item.page_query(settings.ARGUMENTS_PER_PAGE)  # type: ignore[union-attr]
    return redirect(f"{proposal.get_page_url()}{query}#{item.anchor}")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    context: dict[str, Any] = {"reason": str(exception) if str(exception) else ""}
    return render(request, "403.html", context, status=403)
