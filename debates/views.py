"""Pages of a consultation, and its write endpoints behind the closing gate."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from debates import actions
from debates.forms import ArgumentForm, ProposalForm, SourceForm
from debates.models import (
    Argument,
    ArgumentOrder,
    Consultation,
    Contribution,
    Debate,
    Kind,
    Phase,
    Proposal,
    Stance,
)
from debates.paging import Window
from debates.rules import Decision, participation

PROPOSAL_SORTS = {
    "recent": _("Les plus récentes"),
    "oldest": _("Les plus anciennes"),
    "discussed": _("Les plus discutées"),
}


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    # One query: every consultation, grouped here by the gate's phase.
    groups: dict[Phase, list[Consultation]] = {
        Phase.OPEN: [],
        Phase.UPCOMING: [],
        Phase.CLOSED: [],
    }
    for consultation in Consultation.objects.for_home():
        groups[consultation.phase].append(consultation)
    groups[Phase.CLOSED].reverse()  # most recently closed first
    return render(request, "debates/home.html", {"groups": groups})


@require_GET
def consultation_detail(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = get_object_or_404(Consultation, slug=slug)
    debates = consultation.debates.for_consultation_page()
    return render(
        request,
        "debates/consultation.html",
        {"consultation": consultation, "debates": debates},
    )


def _get_debate(consultation: str, slug: str) -> Debate:
    return get_object_or_404(
        Debate.objects.select_related("consultation"), consultation__slug=consultation, slug=slug
    )


def _debate_page(
    request: HttpRequest, debate: Debate, form: Form | None = None, status: int = 200
) -> HttpResponse:
    sort = request.GET.get("tri", "recent")
    if sort not in PROPOSAL_SORTS:
        sort = "recent"
    proposals = Proposal.objects.filter(debate=debate).for_debate_page(sort)
    page = Paginator(proposals, settings.PROPOSALS_PER_PAGE).get_page(request.GET.get("page"))
    consultation = debate.consultation
    context = {
        "consultation": consultation,
        "debate": debate,
        "page": page,
        "sort": sort,
        "sorts": PROPOSAL_SORTS,
        "decision": participation(request.user, consultation),
        "form": form or ProposalForm(),
    }
    return render(request, "debates/debate.html", context, status=status)


@require_GET
def debate_detail(request: HttpRequest, consultation: str, slug: str) -> HttpResponse:
    return _debate_page(request, _get_debate(consultation, slug))


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
    for stance, total, param in (
        (Stance.FOR, proposal.arguments_for, "pour"),
        (Stance.AGAINST, proposal.arguments_against, "contre"),
    ):
        window = Window.of(request.GET, param, total, size)
        arguments = (
            Argument.objects.for_proposal_page(proposal, stance, order)[window.start : window.end]
            if total
            else []
        )
        columns.append({"stance": stance, "window": window, "arguments": arguments})
    sources_window = Window.of(request.GET, "sources", proposal.source_count, size)
    sources = (
        proposal.sources.select_related("author").order_by("number")[
            sources_window.start : sources_window.end
        ]
        if proposal.source_count
        else []
    )
    forms = forms or {}
    context = {
        "consultation": proposal.debate.consultation,
        "debate": proposal.debate,
        "proposal": proposal,
        "columns": columns,
        "sources": sources,
        "sources_window": sources_window,
        "order": order,
        "orders": ArgumentOrder.choices,
        "decision": participation(request.user, proposal.debate.consultation),
        "argument_forms": {
            stance: forms.get(stance) or ArgumentForm(initial={"stance": stance})
            for stance in Stance
        },
        "source_form": forms.get("source") or SourceForm(),
    }
    return render(request, "debates/proposal.html", context, status=status)


def _get_proposal(consultation: str, debate: str, number: int) -> Proposal:
    return get_object_or_404(
        Proposal.objects.for_proposal_page(),
        number=number,
        debate__slug=debate,
        debate__consultation__slug=consultation,
    )


@require_GET
def proposal_detail(
    request: HttpRequest, consultation: str, debate: str, number: int
) -> HttpResponse:
    return _proposal_page(request, _get_proposal(consultation, debate, number))


@require_GET
def permalink(request: HttpRequest, number: int) -> HttpResponseRedirect:
    contribution = get_object_or_404(
        Contribution.objects.select_related(
            "as_proposal__debate__consultation",
            "as_argument__proposal__debate__consultation",
            "as_source__proposal__debate__consultation",
        ),
        number=number,
    )
    if contribution.kind == Kind.PROPOSAL:
        return redirect(contribution.as_proposal.get_page_url())
    if contribution.kind == Kind.ARGUMENT:
        argument = contribution.as_argument
        query = argument.page_query(settings.ARGUMENTS_PER_PAGE)
        return redirect(f"{argument.proposal.get_page_url()}{query}#{argument.anchor}")
    source = contribution.as_source
    query = source.page_query(settings.ARGUMENTS_PER_PAGE)
    return redirect(f"{source.proposal.get_page_url()}{query}#{source.anchor}")


def refuse(request: HttpRequest, decision: Decision, next_url: str) -> HttpResponse:
    """Answer a refused write: sign in for visitors, a 403 page that says why otherwise."""
    if decision.needs_sign_in:
        return redirect_to_login(next_url)
    return render(
        request,
        "403.html",
        {"reason": decision.message, "back_url": next_url},
        status=403,
    )


@require_POST
def proposal_create(request: HttpRequest, consultation: str, slug: str) -> HttpResponse:
    debate = _get_debate(consultation, slug)
    decision = participation(request.user, debate.consultation)
    if not decision:
        return refuse(request, decision, debate.get_absolute_url())
    form = ProposalForm(request.POST)
    if not form.is_valid():
        return _debate_page(request, debate, form=form, status=400)
    proposal = actions.post_proposal(
        debate=debate,
        author=request.user,
        **form.cleaned_data,  # type: ignore[arg-type]
    )
    messages.success(
        request, _("Votre proposition est publiée sous le numéro #%d.") % proposal.number
    )
    return redirect(proposal.get_absolute_url())


@require_POST
def argument_create(
    request: HttpRequest, consultation: str, debate: str, number: int
) -> HttpResponse:
    proposal = _get_proposal(consultation, debate, number)
    decision = participation(request.user, proposal.debate.consultation)
    if not decision:
        return refuse(request, decision, proposal.get_page_url())
    form = ArgumentForm(request.POST)
    if not form.is_valid():
        stance = request.POST.get("stance", Stance.FOR)
        return _proposal_page(request, proposal, forms={stance: form}, status=400)
    argument = actions.post_argument(
        proposal=proposal,
        author=request.user,
        **form.cleaned_data,  # type: ignore[arg-type]
    )
    messages.success(request, _("Votre argument est publié sous le numéro #%d.") % argument.number)
    return redirect(argument.get_absolute_url())


@require_POST
def source_create(
    request: HttpRequest, consultation: str, debate: str, number: int
) -> HttpResponse:
    proposal = _get_proposal(consultation, debate, number)
    decision = participation(request.user, proposal.debate.consultation)
    if not decision:
        return refuse(request, decision, proposal.get_page_url())
    form = SourceForm(request.POST)
    if not form.is_valid():
        return _proposal_page(request, proposal, forms={"source": form}, status=400)
    source = actions.post_source(
        proposal=proposal,
        author=request.user,
        **form.cleaned_data,  # type: ignore[arg-type]
    )
    messages.success(request, _("Votre source est déposée sous le numéro #%d.") % source.number)
    return redirect(source.get_absolute_url())


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    context: dict[str, Any] = {"reason": str(exception) if str(exception) else ""}
    return render(request, "403.html", context, status=403)
