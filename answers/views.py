"""The organisers' answer and results forms, the results page and the answers' open data."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from answers import actions
from answers.forms import AnswerForm, ResultsForm
from answers.models import Answer, Results
from answers.page import answer_of
from answers.synthesis import synthesis, synthesis_document
from debates.models import Consultation
from debates.opendata.exports import FETCH_SIZE, csv_chunks
from debates.rules import may_answer
from debates.views import _get_proposal, ensure_visible
from debates.write_views import refuse


@require_http_methods(["GET", "POST"])
def answer_edit(request: HttpRequest, consultation: str, debate: str, number: int) -> HttpResponse:
    proposal = _get_proposal(request, consultation, debate, number, counts=False)
    back = proposal.get_page_url()
    decision = may_answer(request.user, proposal.debate.consultation)
    if not decision:
        return refuse(request, decision, back)
    existing = answer_of(proposal)
    form = AnswerForm(request.POST or None, instance=existing)
    if request.method == "POST" and form.is_valid():
        actions.answer_proposal(proposal=proposal, author=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        publish_at = form.cleaned_data["publish_at"]
        if publish_at and publish_at > timezone.now():
            messages.success(
                request, _("La réponse est enregistrée ; sa publication est programmée.")
            )
        else:
            messages.success(request, _("La réponse officielle est publiée."))
        return redirect(back + "#reponse")
    context = {
        "form": form,
        "proposal": proposal,
        "debate": proposal.debate,
        "consultation": proposal.debate.consultation,
        "answer": existing,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "answers/answer_form.html", context, status=status)


def _closed_or_preview(request: HttpRequest, slug: str) -> tuple[Consultation, bool]:
    """Return the consultation and whether the reader organises it; 404 before the close."""
    consultation = get_object_or_404(Consultation, slug=slug)
    ensure_visible(request, consultation)
    organiser = bool(request.user.is_authenticated and may_answer(request.user, consultation))
    if not consultation.is_closed and not organiser:
        raise Http404
    return consultation, organiser


@require_safe
def results_page(request: HttpRequest, slug: str) -> HttpResponse:
    consultation, organiser = _closed_or_preview(request, slug)
    context = {"consultation": consultation, "organiser": organiser, **synthesis(consultation)}
    if organiser:
        context["draft"] = Results.objects.filter(consultation=consultation).first()
    return render(request, "answers/results.html", context)


@require_http_methods(["GET", "POST"])
def results_edit(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = get_object_or_404(Consultation, slug=slug)
    ensure_visible(request, consultation)
    back = f"/consultations/{consultation.slug}/synthese/"
    decision = may_answer(request.user, consultation)
    if not decision:
        return refuse(request, decision, back)
    existing = Results.objects.filter(consultation=consultation).first()
    form = ResultsForm(request.POST or None, instance=existing)
    if request.method == "POST" and form.is_valid():
        actions.write_results(consultation=consultation, author=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        messages.success(request, _("La synthèse est enregistrée."))
        return redirect("results", slug=consultation.slug)
    context = {"form": form, "consultation": consultation}
    status = 400 if request.method == "POST" else 200
    return render(request, "answers/results_form.html", context, status=status)


ANSWER_COLUMNS = [
    "proposal",
    "debate",
    "title",
    "state",
    "state_label",
    "text",
    "answered_on",
    "link",
    "published_at",
]


def answer_rows(consultation: Consultation) -> Iterator[list[Any]]:
    """Yield one row per published answer, in proposal number order (one query)."""
    answers = (
        Answer.objects.of_consultation(consultation)
        .published()
        .select_related("proposal__debate")
        .order_by("proposal__number")
    )
    for answer in answers.iterator(chunk_size=FETCH_SIZE):
        proposal = answer.proposal
        yield [
            proposal.number,
            proposal.debate.slug,
            "" if proposal.is_hidden else proposal.title,
            answer.state,
            str(answer.get_state_display()),
            answer.text,
            answer.answered_on.isoformat(),
            answer.link,
            timezone.localtime(answer.publish_at).isoformat(),
        ]


def _published(slug: str) -> Consultation:
    return get_object_or_404(Consultation.objects.published(), slug=slug)


@require_safe
def answers_csv(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    """Send the published answers as CSV (live: answers come after the close)."""
    consultation = _published(slug)
    utf8 = request.GET.get("format") == "utf8"
    response = StreamingHttpResponse(
        csv_chunks(ANSWER_COLUMNS, answer_rows(consultation), spreadsheet=not utf8),
        content_type="text/csv; charset=utf-8; header=present",
    )
    name = f"{consultation.slug}-reponses{'-utf8' if utf8 else ''}.csv"
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
def synthesis_json(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = _published(slug)
    if not consultation.is_closed:
        raise Http404
    document = synthesis_document(consultation)
    response = HttpResponse(
        json.dumps(document, ensure_ascii=False, indent=2) + "\n",
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = content_disposition_header(
        True, f"{consultation.slug}-synthese.json"
    )
    return response
