"""Public side of moderation: reporting a contribution, and the moderation log."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from debates import moderation
from debates.forms import ReportForm
from debates.models import Consultation, Contribution
from debates.rules import may_report
from debates.views import ensure_visible


@require_http_methods(["GET", "POST"])
def report(request: HttpRequest, number: int) -> HttpResponse:
    contribution = get_object_or_404(Contribution.objects.with_place(), number=number)
    consultation = moderation.consultation_of(contribution)
    ensure_visible(request, consultation)
    decision = may_report(request.user, consultation)
    if decision.needs_sign_in:
        return redirect_to_login(request.get_full_path())
    if not decision:
        context = {"reason": decision.message, "back_url": contribution.get_absolute_url()}
        return render(request, "403.html", context, status=403)
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            moderation.report(contribution=contribution, reporter=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except moderation.AlreadyReported:
            messages.info(request, _("Vous aviez déjà signalé la contribution #%d.") % number)
        else:
            messages.success(
                request,
                _("Merci : la contribution #%d est signalée à la modération.") % number,
            )
        return redirect(contribution.get_absolute_url())
    context = {"form": form, "contribution": contribution, "consultation": consultation}
    status = 400 if request.method == "POST" else 200
    return render(request, "debates/report.html", context, status=status)


@require_safe
def moderation_log(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = get_object_or_404(Consultation, slug=slug)
    ensure_visible(request, consultation)
    events = consultation.moderation_events.select_related("contribution").order_by("-at", "-pk")
    page = Paginator(events, settings.PROPOSALS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request, "debates/moderation_log.html", {"consultation": consultation, "page": page}
    )
