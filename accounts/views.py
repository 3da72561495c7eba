"""Profiles, the account page, personal data download and account deletion."""

from __future__ import annotations

import json

from allauth.account.decorators import reauthentication_required
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts import actions
from accounts.forms import DeleteAccountForm, DisplayNameForm
from accounts.models import User
from debates.models import Consultation, Contribution
from debates.moderation import in_consultations


@require_safe
def profile(request: HttpRequest, pk: int) -> HttpResponse:
    users = User.objects.select_related("verified_by", "identity_verification")
    user = get_object_or_404(users, pk=pk)
    # Contributions in drafts stay out of sight of those who may not read them.
    readable = Consultation.objects.visible_to(request.user)
    contributions = (
        Contribution.objects.filter(author=user)
        .filter(in_consultations(readable))
        .with_place()
        .order_by("-number")
    )
    page = Paginator(contributions, settings.PROPOSALS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "accounts/profile.html", {"person": user, "page": page})


@login_required
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    form = DisplayNameForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Vos préférences sont enregistrées."))
        return redirect("account")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/account.html", {"form": form}, status=status)


@login_required
@require_safe
def download_data(request: HttpRequest) -> HttpResponse:
    data = actions.personal_data(request.user)  # type: ignore[arg-type]
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="mes-donnees-{stamp}.json"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
# A stolen session must not be enough: a fresh password, TOTP or emailed code
# (allauth's reauthentication, at most ACCOUNT_REAUTHENTICATION_TIMEOUT old).
@reauthentication_required
def delete_account(request: HttpRequest) -> HttpResponse:
    form = DeleteAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = request.user
        logout(request)
        actions.delete_account(user=user)  # type: ignore[arg-type]
        messages.success(
            request,
            _(
                "Votre compte est supprimé. Vos contributions restent publiées "
                "sous le nom « Compte supprimé »."
            ),
        )
        return redirect("home")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/delete.html", {"form": form}, status=status)


@require_safe
def verified_accounts(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/verified.html")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the page's language, and remember it for a signed-in user's emails."""
    response = i18n.set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        request.user.language = language
        request.user.save(update_fields=["language"])
    return response
