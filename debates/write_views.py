"""Write endpoints: posting, voting, endorsing and editing, each behind the one gate.

Every view finds its object, asks `rules.participation()` (or `rules.may_edit()`)
before touching a form, and writes through `debates.actions`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db import IntegrityError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from debates import actions
from debates.forms import (
    WITHDRAW,
    ArgumentEditForm,
    NewArgumentForm,
    NewProposalForm,
    NewSourceForm,
    ProposalEditForm,
    SourceEditForm,
    VoteForm,
)
from debates.models import Argument, Consultation, Contribution, Kind, Proposal, Stance
from debates.rules import Decision, may_edit, participation, participation_on
from debates.views import _counted, _debate_page, _get_debate, _get_proposal, _proposal_page


def refuse(request: HttpRequest, decision: Decision, next_url: str) -> HttpResponse:
    """Answer a refused write: sign in for visitors, a 403 page that says why otherwise."""
    if decision.needs_sign_in:
        return redirect_to_login(next_url)
    return render(
        request, "403.html", {"reason": decision.message, "back_url": next_url}, status=403
    )


def too_fast(request: HttpRequest, back_url: str) -> HttpResponse:
    """Return the 429 page of a post beyond the user's rate limit."""
    message = _(
        "Vous avez publié beaucoup de contributions en peu de temps. "
        "Patientez quelques minutes avant de publier à nouveau : votre texte n'est pas perdu, "
        "revenez en arrière pour le retrouver."
    )
    return render(request, "429.html", {"reason": message, "back_url": back_url}, status=429)


def _publish(
    request: HttpRequest, form: Form, create: object, back_url: str, consultation: Consultation
) -> HttpResponse:
    """Create once per submitted form: a second post of the same form finds the first.

    The token is checked before the rate limit, so resubmitting a form that
    was published just at the limit still leads to its contribution. The
    closing gate is asked once more right before the write, and the write is
    stamped with that moment: a request that began before `closes_at` and
    reaches this point after it is refused, never stamped at or after it.
    """
    token = form.cleaned_data.pop("submission_token", None)
    existing = actions.already_submitted(author=request.user, submission_token=token)
    if existing is None:
        now = timezone.now()
        if not (decision := participation(request.user, consultation, now)):
            return refuse(request, decision, back_url)
        try:
            # The limit is counted in the inserting transaction (actions.PostingTooFast).
            contribution = create(  # type: ignore[operator]
                submission_token=token, rate_limited=True, created_at=now, **form.cleaned_data
            )
        except actions.PostingTooFast:
            return too_fast(request, back_url)
        except IntegrityError:
            # The same form posted twice at the same instant: the other request won.
            existing = actions.already_submitted(author=request.user, submission_token=token)
            if existing is None:
                raise
        else:
            messages.success(request, published_message(contribution))
            return redirect(contribution.get_absolute_url())
    messages.info(request, _("Cette contribution était déjà publiée (#%d).") % existing.number)
    return redirect(existing.get_absolute_url())


def published_message(contribution: Contribution) -> str:
    if contribution.kind == Kind.PROPOSAL:
        return _("Votre proposition est publiée sous le numéro #%d.") % contribution.number
    if contribution.kind == Kind.ARGUMENT:
        return _("Votre argument est publié sous le numéro #%d.") % contribution.number
    return _("Votre source est déposée sous le numéro #%d.") % contribution.number


@require_POST
def proposal_create(request: HttpRequest, consultation: str, slug: str) -> HttpResponse:
    debate = _get_debate(request, consultation, slug)
    decision = participation(request.user, debate.consultation)
    if not decision:
        return refuse(request, decision, debate.get_absolute_url())
    form = NewProposalForm(request.POST)
    if not form.is_valid():
        return _debate_page(request, debate, form=form, status=400)

    def create(**fields: object) -> Proposal:
        return actions.post_proposal(debate=debate, author=request.user, **fields)  # type: ignore[arg-type]

    return _publish(request, form, create, debate.get_absolute_url(), debate.consultation)


@require_POST
def argument_create(
    request: HttpRequest, consultation: str, debate: str, number: int
) -> HttpResponse:
    proposal = _get_proposal(request, consultation, debate, number, counts=False)
    decision = participation_on(request.user, proposal, proposal.debate.consultation)
    if not decision:
        return refuse(request, decision, proposal.get_page_url())
    form = NewArgumentForm(request.POST)
    if not form.is_valid():
        stance = request.POST.get("stance", Stance.FOR)
        return _proposal_page(request, _counted(proposal), forms={stance: form}, status=400)

    def create(**fields: object) -> Argument:
        return actions.post_argument(proposal=proposal, author=request.user, **fields)  # type: ignore[arg-type]

    return _publish(request, form, create, proposal.get_page_url(), proposal.debate.consultation)


@require_POST
def source_create(
    request: HttpRequest, consultation: str, debate: str, number: int
) -> HttpResponse:
    proposal = _get_proposal(request, consultation, debate, number, counts=False)
    decision = participation_on(request.user, proposal, proposal.debate.consultation)
    if not decision:
        return refuse(request, decision, proposal.get_page_url())
    form = NewSourceForm(request.POST)
    if not form.is_valid():
        return _proposal_page(request, _counted(proposal), forms={"source": form}, status=400)

    def create(**fields: object) -> Contribution:
        return actions.post_source(proposal=proposal, author=request.user, **fields)  # type: ignore[arg-type]

    return _publish(request, form, create, proposal.get_page_url(), proposal.debate.consultation)


@require_POST
def vote(request: HttpRequest, consultation: str, debate: str, number: int) -> HttpResponse:
    proposal = _get_proposal(request, consultation, debate, number, counts=False)
    back = proposal.get_page_url() + "#vote"
    now = timezone.now()  # the vote is stamped with the moment the gate was asked
    decision = participation_on(request.user, proposal, proposal.debate.consultation, now)
    if not decision:
        return refuse(request, decision, back)
    form = VoteForm(request.POST)
    if not form.is_valid():
        return _proposal_page(request, _counted(proposal), forms={"vote": form}, status=400)
    value = form.cleaned_data["value"]
    if value == WITHDRAW:
        if actions.withdraw_vote(proposal=proposal, user=request.user):  # type: ignore[arg-type]
            messages.success(request, _("Votre vote est retiré."))
        else:
            messages.info(request, _("Vous n'aviez pas voté sur cette proposition."))
    else:
        cast = actions.cast_vote(proposal=proposal, user=request.user, value=value, now=now)  # type: ignore[arg-type]
        messages.success(request, _("Votre vote « %s » est enregistré.") % cast.get_value_display())
    return redirect(back)


@require_POST
def endorse(request: HttpRequest, number: int) -> HttpResponse:
    argument = get_object_or_404(
        Argument.objects.select_related("proposal__debate__consultation"), number=number
    )
    back = f"{argument.proposal.get_page_url()}#{argument.anchor}"
    decision = participation_on(request.user, argument, argument.proposal.debate.consultation)
    if not decision:
        return refuse(request, decision, back)
    on = actions.toggle_endorsement(argument=argument, user=request.user)  # type: ignore[arg-type]
    messages.success(
        request,
        _("Vous êtes d'accord avec l'argument #%d.") % number
        if on
        else _("Vous avez retiré votre accord à l'argument #%d.") % number,
    )
    return redirect(back)


EDIT_FORMS = {
    Kind.PROPOSAL: ProposalEditForm,
    Kind.ARGUMENT: ArgumentEditForm,
    Kind.SOURCE: SourceEditForm,
}


@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, number: int) -> HttpResponse:
    contribution = get_object_or_404(Contribution.objects.with_place(), number=number)
    target, proposal = contribution.concrete, contribution.thread
    consultation = proposal.debate.consultation
    decision = may_edit(request.user, contribution, consultation)
    if not decision:
        return refuse(request, decision, contribution.get_absolute_url())
    form_class = EDIT_FORMS[Kind(contribution.kind)]
    form = form_class(request.POST or None, instance=target)
    if request.method == "POST" and form.is_valid():
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        if changed:
            actions.edit_contribution(contribution=target, **changed)
            messages.success(request, _("Votre contribution #%d est modifiée.") % number)
        return redirect(contribution.get_absolute_url())
    context = {
        "form": form,
        "contribution": target,
        "proposal": proposal,
        "consultation": consultation,
        "debate": proposal.debate,
    }
    return render(
        request,
        "debates/edit.html",
        context,
        status=400 if request.method == "POST" else 200,
    )
