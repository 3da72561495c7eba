"""Follow buttons, the notification settings of the account, and one-click unsubscribe."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from debates.models import Consultation, Debate, Proposal
from debates.views import ensure_visible
from followups import actions
from followups.forms import NotificationSettingsForm
from followups.links import ALL_CHANNELS, read_unsubscribe_token
from followups.models import Channel, Follow

TARGETS: dict[str, Any] = {"proposition": Proposal, "debat": Debate, "consultation": Consultation}
SHOWN_FOLLOWS = 50


def _consultation_of(target: actions.Target) -> Consultation:
    if isinstance(target, Proposal):
        return target.debate.consultation
    if isinstance(target, Debate):
        return target.consultation
    return target


def _page_of(target: actions.Target) -> str:
    return target.get_page_url() if isinstance(target, Proposal) else target.get_absolute_url()


@login_required
@require_POST
def follow(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    model = TARGETS.get(kind)
    if model is None:
        raise Http404
    related = {
        Proposal: ("debate__consultation",),
        Debate: ("consultation",),
        Consultation: (),
    }[model]
    target = get_object_or_404(model.objects.select_related(*related), pk=pk)
    ensure_visible(request, _consultation_of(target))
    if request.POST.get("action") == "stop":
        actions.stop_following(user=request.user, target=target)  # type: ignore[arg-type]
        messages.success(request, _("Vous ne suivez plus « %(title)s ».") % {"title": target.title})
    else:
        actions.follow(user=request.user, target=target)  # type: ignore[arg-type]
        messages.success(
            request,
            _("Vous suivez « %(title)s » : vous serez prévenu(e) par courriel.")
            % {"title": target.title},
        )
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = _page_of(target)
    return redirect(back)


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    current = actions.settings_of(request.user)  # type: ignore[arg-type]
    form = NotificationSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Vos choix de notifications sont enregistrés."))
        return redirect("notification_settings")
    follows = list(
        Follow.objects.filter(user=request.user, stopped_at__isnull=True)
        .select_related("proposal__debate__consultation", "debate__consultation", "consultation")
        .order_by("-created_at", "-pk")[:SHOWN_FOLLOWS]
    )
    context = {"form": form, "follows": follows, "shown_follows": SHOWN_FOLLOWS}
    status = 400 if request.method == "POST" else 200
    return render(request, "followups/settings.html", context, status=status)


def _channel_label(channel: str) -> str:
    if channel == ALL_CHANNELS:
        return _("toutes les notifications")
    return str(Channel(channel).label)


# A mail client posts the one-click unsubscribe (RFC 8058) without any cookie or
# CSRF token; the signed token in the address is what authorises it.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user_id, channel = read_unsubscribe_token(token)
    except signing.BadSignature:
        return render(
            request,
            "followups/unsubscribe.html",
            {"invalid": True},
            status=400,
        )
    if channel != ALL_CHANNELS and channel not in Channel.values:
        return render(request, "followups/unsubscribe.html", {"invalid": True}, status=400)
    context = {"token": token, "channel_label": _channel_label(channel), "done": False}
    if request.method == "POST":
        if not actions.switch_off(user_id=user_id, channel=channel):
            return render(request, "followups/unsubscribe.html", {"invalid": True}, status=400)
        context["done"] = True
    return render(request, "followups/unsubscribe.html", context)
